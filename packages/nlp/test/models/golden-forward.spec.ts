/**
 * BertModel and ErnieModel against an independent implementation made of PyTorch's own modules
 * (nn.Embedding, nn.LayerNorm, nn.TransformerEncoderLayer, the tanh pooler), with the same random
 * weights: tools/nlp/bert_reference.py writes them under PaddleNLP's names and layouts, with the
 * float64 reference outputs of a padded batch of pairs. The weights load through the package's
 * own checkpoint path (readModelConfig + loadWeights, strict), as a saved model folder does.
 *
 * Error measure: max |Oar - reference| / max |reference| over the whole output (hidden states are
 * LayerNorm outputs of order 1, so this is close to the absolute error), every position included,
 * padded ones too (their queries attend to the real tokens in both implementations).
 */
import * as fs from 'fs';
import * as path from 'path';
import { noGrad, tensor, type Tensor } from '@oar/core';
import { loadWeights, readModelConfig } from '../../src/engine/checkpoint';
import { createBackbone } from '../../src/models';

const GOLDEN = path.join(__dirname, '../fixtures/golden');

interface Reference {
  input_ids: number[][];
  token_type_ids: number[][];
  attention_mask: number[][];
  sequence_output: number[][][];
  pooled_output: number[][];
}

function relError(got: Tensor, want: number[]): number {
  const g = Array.from(got.dataSync() as Float32Array);
  expect(g.length).toBe(want.length);
  let maxDiff = 0;
  let maxRef = 0;
  want.forEach((w, i) => {
    maxDiff = Math.max(maxDiff, Math.abs(g[i]! - w));
    maxRef = Math.max(maxRef, Math.abs(w));
  });
  return maxDiff / maxRef;
}

describe.each([
  ['bert', 'BertModel'],
  ['ernie', 'ErnieModel'],
])('%s against PyTorch', (name, cls) => {
  const dir = path.join(GOLDEN, name);
  const ref = JSON.parse(fs.readFileSync(path.join(dir, 'reference.json'), 'utf8')) as Reference;
  const saved = readModelConfig(dir);
  const model = createBackbone(saved.model_type, saved.init_args);
  loadWeights(dir, model, null, true);
  model.eval();
  const ids = tensor(ref.input_ids, { dtype: 'int64' });
  const types = tensor(ref.token_type_ids, { dtype: 'int64' });
  const mask = tensor(ref.attention_mask, { dtype: 'int64' });
  const wantSeq = ref.sequence_output.flat(2);
  const wantPooled = ref.pooled_output.flat();

  afterAll(() => {
    for (const t of [ids, types, mask]) t.dispose();
    model.dispose();
  });

  it(`is a ${cls} with the reference's configuration`, () => {
    expect(model.constructor.name).toBe(cls);
    expect(saved.init_args.hidden_act).toBe(name === 'bert' ? 'gelu' : 'relu');
  });

  it('gives the reference hidden states and pooled output to 1e-4 with the attention mask', () => {
    const [seq, pooled] = noGrad(() => model.call(ids, types, null, mask));
    expect(seq.shape).toEqual([3, 12, 32]);
    expect(relError(seq, wantSeq)).toBeLessThan(1e-4);
    expect(relError(pooled, wantPooled)).toBeLessThan(1e-4);
    seq.dispose();
    pooled.dispose();
  });

  it('masks the pad-token positions the same way when no mask is given (PaddleNLP default)', () => {
    const [seq, pooled] = noGrad(() => model.call(ids, types));
    expect(relError(seq, wantSeq)).toBeLessThan(1e-4);
    expect(relError(pooled, wantPooled)).toBeLessThan(1e-4);
    seq.dispose();
    pooled.dispose();
  });
});
