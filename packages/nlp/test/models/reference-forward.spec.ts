/**
 * BertModel and ErnieModel against a forward pass written out here in plain arithmetic from
 * the published definition (embeddings sum → LayerNorm(1e-12); per layer: multi-head attention
 * with the additive padding mask, residual + LayerNorm, GELU or ReLU feed-forward, residual +
 * LayerNorm; tanh pooler on the first token), on the model's own random weights. It pins down the
 * wiring until the golden test against Hugging Face's BertModel (owed: it needs the GPU machine).
 */
import { noGrad, seed, tensor } from '@oar/core';
import { BertModel, ErnieModel, type EncoderConfig } from '../../src/models';

type Mat = number[][];

const cfg: EncoderConfig = {
  vocab_size: 40,
  hidden_size: 12,
  num_hidden_layers: 2,
  num_attention_heads: 3,
  intermediate_size: 20,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 16,
  type_vocab_size: 2,
  initializer_range: 0.5,
  pad_token_id: 0,
};

/** erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7). */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

const matmul = (a: Mat, w: Mat): Mat => a.map((row) => w[0]!.map((_, j) => row.reduce((s, v, k) => s + v * w[k]![j]!, 0)));
const addBias = (a: Mat, b: number[]): Mat => a.map((r) => r.map((v, j) => v + b[j]!));
const add = (a: Mat, b: Mat): Mat => a.map((r, i) => r.map((v, j) => v + b[i]![j]!));
function layerNorm(a: Mat, g: number[], b: number[]): Mat {
  return a.map((r) => {
    const mu = r.reduce((s, v) => s + v, 0) / r.length;
    const varc = r.reduce((s, v) => s + (v - mu) ** 2, 0) / r.length;
    return r.map((v, j) => ((v - mu) / Math.sqrt(varc + 1e-12)) * g[j]! + b[j]!);
  });
}

function reference(w: Map<string, Mat | number[]>, ids: number[], types: number[], mask: number[], c: EncoderConfig): { seq: Mat; pooled: number[] } {
  const W = (k: string): Mat => w.get(k) as Mat;
  const V = (k: string): number[] => w.get(k) as number[];
  let x: Mat = ids.map((id, p) => W('embeddings.word_embeddings.weight')[id]!.map((v, j) => v + W('embeddings.position_embeddings.weight')[p]![j]! + W('embeddings.token_type_embeddings.weight')[types[p]!]![j]!));
  x = layerNorm(x, V('embeddings.layer_norm.weight'), V('embeddings.layer_norm.bias'));
  const h = c.num_attention_heads;
  const dh = c.hidden_size / h;
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const P = `encoder.layers.${l}.`;
    const proj = (n: string): Mat => addBias(matmul(x, W(`${P}self_attn.${n}.weight`)), V(`${P}self_attn.${n}.bias`));
    const [q, k, v] = [proj('q_proj'), proj('k_proj'), proj('v_proj')];
    const ctx: Mat = x.map(() => new Array<number>(c.hidden_size).fill(0));
    for (let head = 0; head < h; head++) {
      const cols = (m: Mat, i: number): number[] => m[i]!.slice(head * dh, (head + 1) * dh);
      for (let i = 0; i < x.length; i++) {
        const scores = x.map((_, j) => cols(q, i).reduce((s, qv, d) => s + qv * cols(k, j)[d]!, 0) / Math.sqrt(dh) + (mask[j]! - 1) * 1e9);
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((s, v2) => s + v2, 0);
        for (let j = 0; j < x.length; j++) for (let d = 0; d < dh; d++) ctx[i]![head * dh + d]! += (e[j]! / z) * cols(v, j)[d]!;
      }
    }
    const attn = addBias(matmul(ctx, W(`${P}self_attn.out_proj.weight`)), V(`${P}self_attn.out_proj.bias`));
    x = layerNorm(add(x, attn), V(`${P}norm1.weight`), V(`${P}norm1.bias`));
    const act = (u: number): number => (c.hidden_act === 'gelu' ? 0.5 * u * (1 + erf(u / Math.SQRT2)) : Math.max(0, u));
    const ff = addBias(matmul(addBias(matmul(x, W(`${P}linear1.weight`)), V(`${P}linear1.bias`)).map((r) => r.map(act)), W(`${P}linear2.weight`)), V(`${P}linear2.bias`));
    x = layerNorm(add(x, ff), V(`${P}norm2.weight`), V(`${P}norm2.bias`));
  }
  const pooled = addBias(matmul([x[0]!], W('pooler.dense.weight')), V('pooler.dense.bias'))[0]!.map(Math.tanh);
  return { seq: x, pooled };
}

describe.each([
  ['BertModel', (c: EncoderConfig) => new BertModel(c), cfg],
  ['ErnieModel', (c: EncoderConfig) => new ErnieModel(c), { ...cfg, hidden_act: 'relu' as const }],
])('%s', (_name, make, c) => {
  it('matches the reference forward pass, padding masked, to 1e-4', () => {
    seed(11);
    const model = make(c).eval();
    const w = new Map([...model.stateDict()].map(([k, t]) => [k, t.toArray() as Mat | number[]]));
    const rows = [
      [1, 7, 9, 33, 2, 0, 0],
      [1, 5, 6, 2, 8, 4, 2],
    ];
    const types = [
      [0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 1, 1, 1],
    ];
    const masks = [
      [1, 1, 1, 1, 1, 0, 0],
      [1, 1, 1, 1, 1, 1, 1],
    ];
    const [seq, pooled] = noGrad(() => model.call(tensor(rows, { dtype: 'int64' }), tensor(types, { dtype: 'int64' }), null, tensor(masks, { dtype: 'int64' })));
    const got = seq.toArray() as number[][][];
    const gotPooled = pooled.toArray() as number[][];
    rows.forEach((ids, b) => {
      const ref = reference(w, ids, types[b]!, masks[b]!, c);
      for (let t = 0; t < ids.length; t++) {
        if (!masks[b]![t]) continue; // pad positions' outputs are not defined by the reference
        ref.seq[t]!.forEach((v, j) => expect(Math.abs(got[b]![t]![j]! - v)).toBeLessThan(1e-4 * Math.max(1, Math.abs(v))));
      }
      ref.pooled.forEach((v, j) => expect(Math.abs(gotPooled[b]![j]! - v)).toBeLessThan(1e-4));
    });
  });
});
