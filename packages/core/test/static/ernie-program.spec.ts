import { engine, memory, type Tensor } from '../../src';
import {
  AttrType,
  ProgramExecutor,
  VarKind,
  optimizeProgram,
  decodeProgram,
  encodeProgram,
  type AttrDesc,
  type OpDesc,
  type ProgramDesc,
  type VarDesc,
} from '../../src/static';
import { prng } from './helpers';

/**
 * No BERT/ERNIE program file could be obtained (their weights exceed what was available), so
 * this builds one layer of a Fluid 1.x ERNIE encoder as `save_inference_model` writes it (spec
 * §8-§9): 4 INT64 [B, S, 1] feeds, lookup_table, layer_norm, the mask outer product with matmul
 * + scale(bias_after_scale=false) + stack, mul with x_num_col_dims = 2, reshape2/transpose2
 * heads, matmul with alpha, softmax, dropout (upscale_in_train), gelu, slice of [CLS], tanh,
 * and 1.x attribute encodings (is_test as INT, padding_idx as LONG, fill_constant shape as
 * LONGS). The program goes through the encoder and decoder, then runs; the result is checked
 * against the same layer computed with eager operators.
 */

const B = 2;
const S = 5;
const H = 8;
const NH = 2;
const D = H / NH;
const V = 11;
const FF = 16;
const C = 3;

const I = AttrType.INT;
const F = AttrType.FLOAT;
const INTS = AttrType.INTS;
const a = (type: number, value: AttrDesc['value']): AttrDesc => ({ type, value });
const op = (type: string, inputs: OpDesc['inputs'], outputs: OpDesc['outputs'], attrs: Record<string, AttrDesc> = {}): OpDesc => ({
  type,
  inputs,
  outputs,
  attrs: { op_role: a(I, 0), op_callstack: a(AttrType.STRINGS, ['  File "ernie.py", line 1']), ...attrs },
});

const PARAMS: Record<string, number[]> = {
  word_embedding: [V, H],
  pos_embedding: [S, H],
  sent_embedding: [2, H],
  pre_ln_scale: [H],
  pre_ln_bias: [H],
  q_w: [H, H],
  q_b: [H],
  k_w: [H, H],
  k_b: [H],
  v_w: [H, H],
  v_b: [H],
  o_w: [H, H],
  o_b: [H],
  ln1_scale: [H],
  ln1_bias: [H],
  ffn1_w: [H, FF],
  ffn1_b: [FF],
  ffn2_w: [FF, H],
  ffn2_b: [H],
  ln2_scale: [H],
  ln2_bias: [H],
  pool_w: [H, H],
  pool_b: [H],
  cls_w: [H, C],
  cls_b: [C],
};

function ernieProgram(): ProgramDesc {
  const vars = new Map<string, VarDesc>();
  const tensor = (name: string, dataType: number, dims: number[], persistable = false): void => {
    vars.set(name, { name, kind: VarKind.LOD_TENSOR, dataType, dims, lodLevel: 0, persistable, needCheckFeed: false });
  };
  vars.set('feed', { name: 'feed', kind: VarKind.FEED_MINIBATCH, lodLevel: 0, persistable: true, needCheckFeed: false });
  vars.set('fetch', { name: 'fetch', kind: VarKind.FETCH_LIST, lodLevel: 0, persistable: true, needCheckFeed: false });
  for (const n of ['src_ids', 'pos_ids', 'sent_ids']) tensor(n, VarKind.INT64, [-1, S, 1]);
  tensor('input_mask', VarKind.FP32, [-1, S, 1]);
  for (const [n, dims] of Object.entries(PARAMS)) tensor(n, VarKind.FP32, dims, true);
  const ops: OpDesc[] = [
    // feed ops are prepended one by one, so they come in reverse col order
    op('feed', { X: ['feed'] }, { Out: ['input_mask'] }, { col: a(I, 3) }),
    op('feed', { X: ['feed'] }, { Out: ['sent_ids'] }, { col: a(I, 2) }),
    op('feed', { X: ['feed'] }, { Out: ['pos_ids'] }, { col: a(I, 1) }),
    op('feed', { X: ['feed'] }, { Out: ['src_ids'] }, { col: a(I, 0) }),
  ];
  const lookup = (ids: string, w: string, out: string) =>
    op('lookup_table', { Ids: [ids], W: [w] }, { Out: [out] }, { padding_idx: a(AttrType.LONG, -1), is_sparse: a(AttrType.BOOLEAN, false), is_test: a(I, 1) });
  const add = (x: string, y: string, out: string, axis = -1) => op('elementwise_add', { X: [x], Y: [y] }, { Out: [out] }, { axis: a(I, axis) });
  const fc = (x: string, w: string, b: string, out: string, ncol: number) => [
    op('mul', { X: [x], Y: [w] }, { Out: [`${out}.mul`] }, { x_num_col_dims: a(I, ncol), y_num_col_dims: a(I, 1) }),
    add(`${out}.mul`, b, out, ncol),
  ];
  const ln = (x: string, s: string, b: string, out: string) =>
    op('layer_norm', { X: [x], Scale: [s], Bias: [b] }, { Y: [out], Mean: [`${out}.mean`], Variance: [`${out}.var`] }, {
      begin_norm_axis: a(I, 2),
      epsilon: a(F, 1e-12),
    });
  const dropout = (x: string, out: string) =>
    op('dropout', { X: [x] }, { Out: [out], Mask: [`${out}.mask`] }, {
      dropout_prob: a(F, 0.1),
      is_test: a(I, 1),
      dropout_implementation: a(AttrType.STRING, 'upscale_in_train'),
    });
  const heads = (x: string, out: string) => [
    op('reshape2', { X: [x] }, { Out: [`${out}.r`], XShape: [`${out}.rx`] }, { shape: a(INTS, [0, 0, NH, D]) }),
    op('transpose2', { X: [`${out}.r`] }, { Out: [out], XShape: [`${out}.tx`] }, { axis: a(INTS, [0, 2, 1, 3]) }),
  ];
  ops.push(
    lookup('src_ids', 'word_embedding', 'emb_w'),
    lookup('pos_ids', 'pos_embedding', 'emb_p'),
    lookup('sent_ids', 'sent_embedding', 'emb_s'),
    add('emb_w', 'emb_p', 'emb_wp'),
    add('emb_wp', 'emb_s', 'emb'),
    ln('emb', 'pre_ln_scale', 'pre_ln_bias', 'emb_ln'),
    dropout('emb_ln', 'enc_in'),
    // attention bias: (mask·maskᵀ − 1)·10000, one copy per head
    op('matmul', { X: ['input_mask'], Y: ['input_mask'] }, { Out: ['mask2d'] }, { transpose_X: a(AttrType.BOOLEAN, false), transpose_Y: a(AttrType.BOOLEAN, true), alpha: a(F, 1) }),
    op('scale', { X: ['mask2d'] }, { Out: ['attn_bias0'] }, { scale: a(F, 10000), bias: a(F, -1), bias_after_scale: a(AttrType.BOOLEAN, false) }),
    op('stack', { X: new Array(NH).fill('attn_bias0') }, { Y: ['attn_bias'] }, { axis: a(I, 1) }),
    ...fc('enc_in', 'q_w', 'q_b', 'q', 2),
    ...fc('enc_in', 'k_w', 'k_b', 'k', 2),
    ...fc('enc_in', 'v_w', 'v_b', 'v', 2),
    ...heads('q', 'qh'),
    ...heads('k', 'kh'),
    ...heads('v', 'vh'),
    op('matmul', { X: ['qh'], Y: ['kh'] }, { Out: ['scores'] }, { transpose_Y: a(AttrType.BOOLEAN, true), alpha: a(F, 1 / Math.sqrt(D)) }),
    add('scores', 'attn_bias', 'scores_b'),
    op('softmax', { X: ['scores_b'] }, { Out: ['probs'] }, { is_test: a(I, 1) }),
    dropout('probs', 'probs_d'),
    op('matmul', { X: ['probs_d'], Y: ['vh'] }, { Out: ['ctx'] }, {}),
    op('transpose2', { X: ['ctx'] }, { Out: ['ctx_t'], XShape: ['ctx_tx'] }, { axis: a(INTS, [0, 2, 1, 3]) }),
    op('reshape2', { X: ['ctx_t'] }, { Out: ['ctx_m'], XShape: ['ctx_mx'] }, { shape: a(INTS, [0, 0, H]) }),
    ...fc('ctx_m', 'o_w', 'o_b', 'attn_out', 2),
    add('attn_out', 'enc_in', 'res1'),
    ln('res1', 'ln1_scale', 'ln1_bias', 'h1'),
    ...fc('h1', 'ffn1_w', 'ffn1_b', 'ffn1', 2),
    op('gelu', { X: ['ffn1'] }, { Out: ['ffn1_act'] }, {}),
    ...fc('ffn1_act', 'ffn2_w', 'ffn2_b', 'ffn2', 2),
    add('ffn2', 'h1', 'res2'),
    ln('res2', 'ln2_scale', 'ln2_bias', 'enc_out'),
    op('slice', { Input: ['enc_out'] }, { Out: ['cls'] }, { axes: a(INTS, [1]), starts: a(INTS, [0]), ends: a(INTS, [1]) }),
    op('reshape2', { X: ['cls'] }, { Out: ['cls_flat'], XShape: ['cls_x'] }, { shape: a(INTS, [-1, H]) }),
    ...fc('cls_flat', 'pool_w', 'pool_b', 'pooled_lin', 1),
    op('tanh', { X: ['pooled_lin'] }, { Out: ['pooled'] }),
    ...fc('pooled', 'cls_w', 'cls_b', 'logits', 1),
    op('softmax', { X: ['logits'] }, { Out: ['probs_cls'] }),
    op('scale', { X: ['probs_cls'] }, { Out: ['save_infer_model/scale_0'] }, { scale: a(F, 1), bias: a(F, 0) }),
    op('fetch', { X: ['save_infer_model/scale_0'] }, { Out: ['fetch'] }, { col: a(I, 0) }),
  );
  for (const o of ops) for (const names of Object.values(o.outputs)) for (const n of names) if (!vars.has(n)) tensor(n, VarKind.FP32, []);
  return { blocks: [{ idx: 0, parentIdx: -1, forwardBlockIdx: -1, vars, ops }], version: 1007000, opVersions: {} };
}

/** The same layer with eager operators (attributes given explicitly, eval-mode dropout). */
function eager(p: Map<string, Tensor>, ids: Tensor[], mask: Tensor): Tensor {
  const r = (type: string, inputs: Record<string, Tensor | Tensor[]>, attrs: Record<string, unknown> = {}, slot = 'Out'): Tensor =>
    engine.runOp(type, inputs, attrs as never)[slot] as Tensor;
  const P = (n: string): Tensor => p.get(n)!;
  const ln = (x: Tensor, s: string, b: string) => r('layer_norm', { X: x, Scale: P(s), Bias: P(b) }, { begin_norm_axis: 2, epsilon: Math.fround(1e-12) }, 'Y');
  const fc = (x: Tensor, w: string, b: string, ncol: number) =>
    r('elementwise_add', { X: r('mul', { X: x, Y: P(w) }, { x_num_col_dims: ncol }), Y: P(b) }, { axis: ncol });
  const heads = (x: Tensor) => r('transpose2', { X: r('reshape2', { X: x }, { shape: [B, S, NH, D] }) }, { axis: [0, 2, 1, 3] });
  const emb = ['word_embedding', 'pos_embedding', 'sent_embedding'].map((w, i) => r('lookup_table', { W: P(w), Ids: ids[i]! }));
  const x = ln(r('elementwise_add', { X: r('elementwise_add', { X: emb[0]!, Y: emb[1]! }), Y: emb[2]! }), 'pre_ln_scale', 'pre_ln_bias');
  const m2 = r('matmul', { X: mask, Y: mask }, { transpose_Y: true });
  const bias0 = r('scale', { X: m2 }, { scale: 10000, bias: -1, bias_after_scale: false });
  const biasAll = r('stack', { X: new Array(NH).fill(bias0) }, { axis: 1 }, 'Y');
  const q = heads(fc(x, 'q_w', 'q_b', 2));
  const k = heads(fc(x, 'k_w', 'k_b', 2));
  const v = heads(fc(x, 'v_w', 'v_b', 2));
  const probs = r('softmax', { X: r('elementwise_add', { X: r('matmul', { X: q, Y: k }, { transpose_Y: true, alpha: Math.fround(1 / Math.sqrt(D)) }), Y: biasAll }) });
  const ctx = r('reshape2', { X: r('transpose2', { X: r('matmul', { X: probs, Y: v }) }, { axis: [0, 2, 1, 3] }) }, { shape: [B, S, H] });
  const h1 = ln(r('elementwise_add', { X: fc(ctx, 'o_w', 'o_b', 2), Y: x }), 'ln1_scale', 'ln1_bias');
  const f = fc(r('gelu', { X: fc(h1, 'ffn1_w', 'ffn1_b', 2) }), 'ffn2_w', 'ffn2_b', 2);
  const out = ln(r('elementwise_add', { X: f, Y: h1 }), 'ln2_scale', 'ln2_bias');
  const cls = r('reshape2', { X: r('slice', { Input: out }, { axes: [1], starts: [0], ends: [1] }) }, { shape: [B, H] });
  const pooled = r('tanh', { X: fc(cls, 'pool_w', 'pool_b', 1) });
  return r('softmax', { X: fc(pooled, 'cls_w', 'cls_b', 1) });
}

/**
 * What the inference passes make of the layer: its 2 dropouts removed; 8 mul + bias add pairs
 * (q, k, v, output, both feed-forward products, pooler, classifier) become fc; gelu and the
 * pooler's tanh join theirs; both residual additions join the products before them.
 */
const FUSED = { simplify_with_basic_ops_pass: 2, fc_fuse_pass: 8, fc_act_mkldnn_fuse_pass: 2, fc_elementwise_add_mkldnn_fuse_pass: 2 };

describe('an ERNIE 1.x encoder layer in program form', () => {
  it('decodes, plans and runs, matching the eager computation; memory returns to where it was', () => {
    const program = decodeProgram(encodeProgram(ernieProgram()), 'ernie/__model__');
    const rand = prng(11);
    const params = new Map<string, Tensor>();
    for (const [n, dims] of Object.entries(PARAMS)) {
      const size = dims.reduce((x, y) => x * y, 1);
      // Layer-norm scales near 1, everything else in [-0.5, 0.5].
      const ln = n.endsWith('_scale');
      const data = Float32Array.from({ length: size }, () => (ln ? 1 : 0) + (rand() * 2 - 1) * (ln ? 0.1 : 0.5));
      params.set(n, engine.keep(engine.fromArray(data, dims, 'float32')));
    }
    const ex = new ProgramExecutor(program, params, { file: 'ernie/__model__' });
    expect(ex.feeds.map((f) => [f.col, f.name, f.dtype])).toEqual([
      [0, 'src_ids', 'int64'],
      [1, 'pos_ids', 'int64'],
      [2, 'sent_ids', 'int64'],
      [3, 'input_mask', 'float32'],
    ]);
    const idData = [
      BigInt64Array.from({ length: B * S }, (_, i) => BigInt((i * 7 + 3) % V)),
      BigInt64Array.from({ length: B * S }, (_, i) => BigInt(i % S)),
      BigInt64Array.from({ length: B * S }, (_, i) => BigInt(i % S >= 3 ? 1 : 0)),
    ];
    const ids = idData.map((d) => engine.fromArray(d, [B, S, 1], 'int64'));
    // The second sequence is padded after 3 tokens.
    const mask = engine.fromArray(Float32Array.from({ length: B * S }, (_, i) => (i >= S && i % S >= 3 ? 0 : 1)), [B, S, 1], 'float32');
    const before = memory().numTensors;
    const { outputs } = ex.run({ src_ids: ids[0]!, pos_ids: ids[1]!, sent_ids: ids[2]!, input_mask: mask });
    const out = outputs[0]!;
    expect(out.shape).toEqual([B, C]);
    const want = engine.tidy(() => eager(params, ids, mask).toFlatArray());
    const got = out.toFlatArray();
    got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 6));
    expect(Math.max(...got) - Math.min(...got)).toBeGreaterThan(1e-3);
    out.dispose();
    expect(memory().numTensors).toBe(before);

    // The inference passes on the 1.x encodings: mul + bias add at axis 2 become fc, the gelu and
    // the residual additions join it, the inference dropouts go; the result does not change.
    const opt = optimizeProgram(program, new Map(params));
    expect(Object.fromEntries(opt.applied.filter((x) => x.fused).map((x) => [x.pass, x.fused]))).toEqual(FUSED);
    const fused = new ProgramExecutor(opt.program, opt.params, { file: 'ernie/__model__' }).run({ src_ids: ids[0]!, pos_ids: ids[1]!, sent_ids: ids[2]!, input_mask: mask }).outputs[0]!;
    fused.toFlatArray().forEach((g, i) => expect(g).toBeCloseTo(got[i]!, 6));
    fused.dispose();
    for (const t of [...ids, mask, ...params.values()]) t.dispose();
  });
});
