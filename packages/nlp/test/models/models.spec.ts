/**
 * BERT and ERNIE models: PaddleNLP 2.0's parameter names, the base configurations' parameter
 * counts, every head's output shapes, masking, and a forward + backward pass.
 */
import { concat, full, noGrad, seed, tensor, type Tensor } from '@oar/core';
import {
  BertForPretraining,
  BertForQuestionAnswering,
  BertForSequenceClassification,
  BertForTokenClassification,
  BertModel,
  ErnieForPretraining,
  ErnieForQuestionAnswering,
  ErnieForSequenceClassification,
  ErnieForTokenClassification,
  ErnieModel,
  namedConfig,
  pretrainingLoss,
  type EncoderConfig,
} from '../../src/models';

const tiny: EncoderConfig = {
  vocab_size: 50,
  hidden_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 32,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 12,
  type_vocab_size: 2,
  initializer_range: 0.02,
  pad_token_id: 0,
};

const ids = (rows: number[][]): Tensor => tensor(rows, { dtype: 'int64' });
const count = (m: { parameters(): { size: number }[] }): number => m.parameters().reduce((a, p) => a + p.size, 0);

/** Parameters of a base model by formula: embeddings, L layers, pooler. */
function expectedCount(c: EncoderConfig): number {
  const h = c.hidden_size;
  const emb = (c.vocab_size + c.max_position_embeddings + c.type_vocab_size) * h + 2 * h;
  const layer = 4 * (h * h + h) + (h * c.intermediate_size + c.intermediate_size) + (c.intermediate_size * h + h) + 4 * h;
  return emb + c.num_hidden_layers * layer + h * h + h;
}

describe('base configurations', () => {
  // bert-base-uncased is the published "110M" model: 109,482,240 parameters with the pooler.
  it('bert-base-uncased, built in full, has 109,482,240 parameters under PaddleNLP names', () => {
    const { config } = namedConfig('bert-base-uncased');
    const m = new BertModel(config);
    try {
      expect(count(m)).toBe(109_482_240);
      expect(expectedCount(config)).toBe(109_482_240);
      expect(m.stateDict().get('embeddings.word_embeddings.weight')!.shape).toEqual([30522, 768]);
      expect(m.stateDict().get('encoder.layers.11.linear1.weight')!.shape).toEqual([768, 3072]);
      expect(m.stateDict().get('pooler.dense.weight')!.shape).toEqual([768, 768]);
    } finally {
      m.dispose();
    }
  }, 60_000);

  // The other two are checked by formula, and their layers by building them one layer deep
  // (a full build draws 100M random numbers: ten seconds each on this CPU).
  it.each([
    ['bert-base-chinese', 102_267_648],
    ['ernie-1.0', 99_866_112],
  ])('%s has %d parameters', (name, n) => {
    const { type, config } = namedConfig(name);
    expect(expectedCount(config)).toBe(n);
    const shallow = { ...config, num_hidden_layers: 1 };
    const m = type === 'bert' ? new BertModel(shallow) : new ErnieModel(shallow);
    try {
      expect(count(m)).toBe(expectedCount(shallow));
      expect(m.stateDict().get('embeddings.word_embeddings.weight')!.shape).toEqual([config.vocab_size, 768]);
      expect(m.stateDict().get('embeddings.position_embeddings.weight')!.shape).toEqual([config.max_position_embeddings, 768]);
    } finally {
      m.dispose();
    }
  }, 60_000);

  it('gives ERNIE 1.0 its ReLU, 18000 words and 513 positions', () => {
    const { config } = namedConfig('ernie-1.0');
    expect([config.hidden_act, config.vocab_size, config.max_position_embeddings]).toEqual(['relu', 18000, 513]);
    expect(namedConfig('bert-base-uncased').config.hidden_act).toBe('gelu');
    expect(() => namedConfig('bert-large')).toThrow(/unknown model name "bert-large"; known: bert-base-uncased/);
  });
});

describe('parameter names', () => {
  it('are PaddleNLP 2.0 names, with the MLM decoder tied to the word embeddings', () => {
    seed(3);
    const m = new BertForPretraining(new BertModel(tiny));
    const keys = [...m.stateDict().keys()];
    expect(keys.slice(0, 5)).toEqual([
      'bert.embeddings.word_embeddings.weight',
      'bert.embeddings.position_embeddings.weight',
      'bert.embeddings.token_type_embeddings.weight',
      'bert.embeddings.layer_norm.weight',
      'bert.embeddings.layer_norm.bias',
    ]);
    for (const k of [
      'bert.encoder.layers.0.self_attn.q_proj.weight',
      'bert.encoder.layers.1.self_attn.out_proj.bias',
      'bert.encoder.layers.1.linear1.weight',
      'bert.encoder.layers.1.norm2.bias',
      'bert.pooler.dense.weight',
      'cls.predictions.transform.weight',
      'cls.predictions.layer_norm.weight',
      'cls.predictions.decoder_weight',
      'cls.predictions.decoder_bias',
      'cls.seq_relationship.weight',
    ]) {
      expect(keys).toContain(k);
    }
    expect(m.cls.predictions.decoder_weight).toBe(m.bert.embeddings.word_embeddings.weight);
    // Tied: listed twice in the state dict (as Paddle saves it), trained once.
    expect(m.parameters().filter((p) => p === m.cls.predictions.decoder_weight)).toHaveLength(1);
    const e = new ErnieForSequenceClassification(new ErnieModel({ ...tiny, hidden_act: 'relu' }), 3);
    expect([...e.stateDict().keys()].filter((k) => !k.startsWith('ernie.'))).toEqual(['classifier.weight', 'classifier.bias']);
    expect([...e.stateDict().keys()][0]).toBe('ernie.embeddings.word_embeddings.weight');
  });
});

describe('heads', () => {
  const input = ids([
    [1, 5, 6, 7, 2],
    [1, 8, 2, 0, 0],
  ]);
  const types = ids([
    [0, 0, 0, 1, 1],
    [0, 0, 0, 0, 0],
  ]);

  it.each([
    ['bert', (c: EncoderConfig) => new BertModel(c)],
    ['ernie', (c: EncoderConfig) => new ErnieModel({ ...c, hidden_act: 'relu' })],
  ] as const)('%s: every head has the right output shapes', (type, make) => {
    seed(4);
    const [seq, pooled] = make(tiny).call(input, types);
    expect(seq.shape).toEqual([2, 5, 16]);
    expect(pooled.shape).toEqual([2, 16]);
    const heads = type === 'bert'
      ? { sc: new BertForSequenceClassification(make(tiny), 3), tc: new BertForTokenClassification(make(tiny), 4), qa: new BertForQuestionAnswering(make(tiny)), pt: new BertForPretraining(make(tiny)) }
      : { sc: new ErnieForSequenceClassification(make(tiny), 3), tc: new ErnieForTokenClassification(make(tiny), 4), qa: new ErnieForQuestionAnswering(make(tiny)), pt: new ErnieForPretraining(make(tiny)) };
    expect(heads.sc.call(input, { tokenTypeIds: types }).shape).toEqual([2, 3]);
    expect(heads.tc.call(input).shape).toEqual([2, 5, 4]);
    const [start, end] = heads.qa.call(input);
    expect([start.shape, end.shape]).toEqual([[2, 5], [2, 5]]);
    const [scores, nsp] = heads.pt.call(input, { maskedPositions: ids([[2], [6]]).reshape([2]) });
    expect([scores.shape, nsp.shape]).toEqual([[2, tiny.vocab_size], [2, 2]]);
    const [all] = heads.pt.call(input);
    expect(all.shape).toEqual([10, tiny.vocab_size]);
  });

  it('ignores padding: a padded sequence gives the same outputs as the unpadded one', () => {
    seed(5);
    const m = new BertModel(tiny).eval();
    noGrad(() => {
      const [a, pa] = m.call(ids([[1, 8, 9, 2]]));
      const [b, pb] = m.call(concat([ids([[1, 8, 9, 2]]), full([1, 3], 0, { dtype: 'int64' })], 1), null, null, ids([[1, 1, 1, 1, 0, 0, 0]]));
      const av = a.toArray() as number[][][];
      const bv = b.toArray() as number[][][];
      for (let t = 0; t < 4; t++) av[0]![t]!.forEach((v, i) => expect(bv[0]![t]![i]).toBeCloseTo(v, 5));
      (pa.toArray() as number[][])[0]!.forEach((v, i) => expect((pb.toArray() as number[][])[0]![i]).toBeCloseTo(v, 5));
    });
  });

  it('refuses inputs longer than the position table before running', () => {
    const m = new BertModel(tiny);
    expect(() => m.call(full([1, 13], 1, { dtype: 'int64' }))).toThrow(/13 tokens but the model has 12 positions/);
    expect(() => new BertModel({ ...tiny, num_attention_heads: 3 })).toThrow(/divisible by num_attention_heads/);
  });

  it('ERNIE embeds the pad token to zeros (padding_idx)', () => {
    const m = new ErnieModel({ ...tiny, hidden_act: 'relu' });
    const row = (m.embeddings.word_embeddings.weight.toArray() as number[][])[0]!;
    expect(row.every((v) => v === 0)).toBe(true);
  });
});

describe('training step', () => {
  it('runs forward and backward through the pre-training heads and reaches every parameter', () => {
    seed(6);
    const m = new BertForPretraining(new BertModel(tiny));
    const input = ids([
      [1, 5, 3, 7, 2, 9, 2],
      [1, 3, 2, 8, 3, 2, 0],
    ]);
    const [scores, nsp] = m.call(input, { tokenTypeIds: ids([[0, 0, 0, 0, 0, 1, 1], [0, 0, 0, 1, 1, 1, 0]]), maskedPositions: ids([[2], [8], [11]]).reshape([3]) });
    const { loss, mlm, nsp: nspLoss } = pretrainingLoss(scores, nsp, ids([[6], [4], [9]]), ids([[1], [0]]));
    // Near-uniform predictions at initialization: ln(50) for the MLM, ln(2) for NSP.
    expect(mlm.item()).toBeCloseTo(Math.log(50), 0);
    expect(nspLoss.item()).toBeCloseTo(Math.log(2), 0);
    loss.backward();
    const noGrad = m.namedParameters().filter(([, p]) => !p.grad).map(([n]) => n);
    expect(noGrad).toEqual([]);
    expect(Number.isFinite(loss.item())).toBe(true);
  });
});
