/**
 * Export round trip: a BERT and an ERNIE sequence classifier written by exportClassifier (the
 * core's jit.save) as inference.pdmodel + .pdiparams, loaded by the core's Predictor, give the
 * live model's logits for a padded batch whose batch size and sequence length differ from those
 * the program was traced with.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { framework, inference, noGrad, seed, tensor } from '@oar/core';
import { exportClassifier, INFERENCE_INPUTS } from '../../src/engine/export';
import { BertForSequenceClassification, BertModel, ErnieForSequenceClassification, ErnieModel, type EncoderConfig, type SequenceClassifier } from '../../src/models';

const SMALL: EncoderConfig = {
  vocab_size: 100,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 64,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 64,
  type_vocab_size: 2,
  // Larger than PaddleNLP's 0.02 so that the logits differ clearly between inputs.
  initializer_range: 0.2,
  pad_token_id: 0,
};

// Three rows of 13 (jit.save traces with [1, 8] and [2, 9]); the last two padded with the pad id 0.
const IDS = [
  [1, 23, 45, 67, 8, 2, 31, 32, 33, 34, 35, 36, 2],
  [1, 51, 52, 53, 2, 61, 62, 2, 0, 0, 0, 0, 0],
  [1, 99, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
];
const TYPES = [
  [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1],
  [0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0],
  [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
];
const MASK = IDS.map((r) => r.map((id) => (id === 0 ? 0 : 1)));

let root: string;
beforeAll(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'oar-nlp-export-'))));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function maxRelError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return diff / scale;
}

describe.each([
  ['BertForSequenceClassification', () => new BertForSequenceClassification(new BertModel(SMALL), 3)],
  ['ErnieForSequenceClassification', () => new ErnieForSequenceClassification(new ErnieModel({ ...SMALL, hidden_act: 'relu' }), 3)],
])('%s', (name, make) => {
  let model: SequenceClassifier;
  let dir: string;

  beforeAll(() => {
    seed(5);
    model = make();
    dir = path.join(root, name);
    exportClassifier(model, dir);
  });
  afterAll(() => model.dispose());

  it('exports inference.pdmodel + inference.pdiparams with free batch and sequence extents', () => {
    expect(fs.readdirSync(dir).sort()).toEqual(['inference.pdiparams', 'inference.pdmodel']);
    const program = framework.decodeProgram(fs.readFileSync(path.join(dir, 'inference.pdmodel')), 'inference.pdmodel');
    const vars = program.blocks[0]!.vars;
    for (const input of INFERENCE_INPUTS) expect(vars.get(input)!.dims).toEqual([-1, -1]);
    const types = new Set(program.blocks[0]!.ops.map((o) => o.type));
    // Position ids from ops (ones_like, cumsum, minus ones), not from the traced length.
    for (const op of ['fill_any_like', 'cumsum', 'elementwise_sub']) expect(types).toContain(op);
  });

  it('gives the live model\'s logits through the Predictor (another batch size and length, padding)', () => {
    const predictor = inference.createPredictor(new inference.Config(dir));
    try {
      expect(predictor.getInputNames()).toEqual([...INFERENCE_INPUTS]);
      for (const [input, rows] of [['input_ids', IDS], ['token_type_ids', TYPES]] as const) {
        const h = predictor.getInputHandle(input);
        h.reshape([3, 13]);
        h.copyFromCpu(rows.flat());
      }
      predictor.run();
      const out = predictor.getOutputHandle(predictor.getOutputNames()[0]!);
      expect(out.shape()).toEqual([3, 3]);
      const got = out.copyToCpu() as Float32Array;
      model.eval();
      const ids = tensor(IDS, { dtype: 'int64' });
      const types = tensor(TYPES, { dtype: 'int64' });
      const mask = tensor(MASK, { dtype: 'int64' });
      // Without a mask the live model masks the pad ids, as the program does; with the
      // tokenizer's attention mask (what training and eval pass) it must agree too.
      const live = noGrad(() => model.call(ids, { tokenTypeIds: types }));
      const liveMasked = noGrad(() => model.call(ids, { tokenTypeIds: types, attentionMask: mask }));
      const want = live.dataSync() as Float32Array;
      expect(maxRelError(got, want)).toBeLessThanOrEqual(1e-5);
      expect(maxRelError(liveMasked.dataSync() as Float32Array, want)).toBeLessThanOrEqual(1e-5);
      // The rows really differ: a constant output would pass the comparison trivially.
      expect(Math.abs(want[0]! - want[3]!) + Math.abs(want[3]! - want[6]!)).toBeGreaterThan(1e-3);
      for (const t of [ids, types, mask, live, liveMasked]) t.dispose();
    } finally {
      predictor.dispose();
    }
  });
});
