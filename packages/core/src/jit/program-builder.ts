/**
 * From traced forward passes to a Paddle inference program laid out as Paddle 2.0's `jit.save`
 * writes it (spec §5): the ops the fetch targets need, in run order, between `feed` ops (prepended,
 * so in reverse `col` order) and a `scale` (1.0) op plus a `fetch` op per output; variables named
 * Paddle's way (`conv2d_0.tmp_0`, parameters by their own names, `save_infer_model/scale_0.tmp_1`);
 * `is_test` set; the outputs Paddle's ops declare but Oar's do not produce (XShape, dropout's Mask)
 * added, since Paddle's shape inference requires them.
 *
 * Free extents: the pass is traced twice, the second time with every free input extent one
 * larger. Variables whose extents differ between the two passes get -1 there. Attributes that
 * differ are generalized where Paddle has a way to say "copy this extent" (reshape's 0, slice's
 * open end); anything else that differs (another op sequence, a constant computed from the input
 * on the host) is an error naming the op, since the saved program would be wrong for other sizes.
 */
import { getOpSpec, type AttrValue } from '../kernels/registry';
import type { DType, TypedArray } from '../tensor/dtype';
import { dtypeToPaddle } from '../tensor/dtype';
import { fmtShape } from '../tensor/shape';
import type { ParamValue } from '../static/params';
import { AttrType, VarKind, type AttrDesc, type OpDesc, type ProgramDesc, type VarDesc } from '../static/proto';
import { toAttrDesc } from './attr-types';
import { JitError } from './errors';
import type { Trace, TracedOp, TracedValue } from './trace';

/** Paddle 2.0.2, the release whose writer this follows (spec §2.2). */
export const PADDLE_VERSION = 2000002;

/**
 * The op version map Paddle 2.0.2 writes into every program (its registry's upgrade counts; spec
 * §2.8), copied from a 2.0.2 `jit.save` program. Paddle compares it with its own to decide
 * whether an op's attributes need upgrading on load.
 */
export const PADDLE_2_0_OP_VERSIONS: Readonly<Record<string, number>> = {
  not_equal: 1, equal: 1, greater_than: 1, less_equal: 1, generate_proposals_v2: 1, distribute_fpn_proposals: 2,
  elementwise_add: 1, elementwise_div: 1, elementwise_floordiv: 1, for_pybind_test__: 4, elementwise_max: 1,
  elementwise_min: 1, elementwise_mod: 1, elementwise_mul: 1, elementwise_pow: 1, adam: 1, lamb: 1, hard_shrink: 1,
  instance_norm: 1, less_than: 1, matmul: 1, arg_max: 1, gather: 1, fusion_gru: 1, conv_transpose: 1, print: 1,
  lookup_table_v2: 1, quantize: 1, coalesce_tensor: 1, linspace: 1, elementwise_sub: 1, trace: 1, gaussian_random: 1,
  grid_sampler: 1, leaky_relu: 1, momentum: 1, softplus: 1, roi_align: 3, conv2d_transpose: 1, roi_pool: 2,
  softmax_with_cross_entropy: 1, rank_attention: 1, flip: 1, arg_min: 1, fill_constant: 2, greater_equal: 1, unique: 1,
  fake_channel_wise_quantize_abs_max: 1, pixel_shuffle: 1, cumsum: 1, data_norm: 1,
  fake_channel_wise_dequantize_max_abs: 1, depthwise_conv2d: 1, cudnn_lstm: 1, collect_fpn_proposals: 1,
  conv3d_transpose: 1, generate_proposals: 2, depthwise_conv2d_transpose: 1, conv2d: 1, conv3d: 1, clip: 1,
  matrix_nms: 1, allclose: 2,
};

/** Ops whose XShape output ([0, ...X dims]) Paddle's shape inference requires. */
const XSHAPE_OPS = new Set(['reshape2', 'transpose2', 'squeeze2', 'unsqueeze2', 'flatten2', 'flatten_contiguous_range']);

/**
 * Ops whose Paddle 2.0 makers declare `is_test` (seen set in 2.x inference programs), whether or
 * not Oar's operator reads it; `save_inference_model` sets it on all of them.
 */
const IS_TEST_OPS = new Set([
  'batch_norm',
  'conv2d',
  'depthwise_conv2d',
  'dropout',
  'pool2d',
  'softmax',
  'lrn',
  'fake_quantize_moving_average_abs_max',
  'fake_quantize_dequantize_moving_average_abs_max',
]);

/** Paddle's "to the end" for slice ends (INT_MAX, clamped to the extent). */
const OPEN_END = 2147483647;

export interface BuiltModel {
  program: ProgramDesc;
  /** The persistable variables' values (empty when saving the program only). */
  params: ParamValue[];
  feedNames: string[];
  fetchNames: string[];
}

function prune(t: Trace): number[] {
  const needed = new Set(t.outputs);
  const keep: number[] = [];
  for (let i = t.ops.length - 1; i >= 0; i--) {
    const op = t.ops[i]!;
    const produces = Object.entries(op.outputs).some(([slot, s]) => !op.inplace.has(slot) && s.values.some((v) => needed.has(v)));
    if (!produces) continue;
    keep.push(i);
    for (const s of Object.values(op.inputs)) for (const v of s.values) needed.add(v);
  }
  return keep.reverse();
}

function sameValue(x: AttrValue, y: AttrValue): boolean {
  if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((v, i) => v === y[i]);
  return x === y;
}

function sameData(x: TypedArray, y: TypedArray): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  return true;
}

/** Names the k-th op the outputs need, in run order (feed ops not counted). */
const describeOp = (k: number, op: TracedOp): string => `traced op #${k} (${op.type})`;

/**
 * The pairing of the two passes: value ids of pass A to those of pass B, checked op by op.
 * Returns, per kept op of A, the matching op of B.
 */
function matchPasses(a: Trace, keptA: number[], b: Trace, keptB: number[], sizes: string): Map<number, number> {
  const map = new Map<number, number>();
  const fail = (msg: string): never => {
    throw new JitError(
      `${msg}. The forward pass depends on the input ${sizes} in a way a program cannot express (shape- or data-dependent ` +
        'control flow, or values computed on the host); give those extents fixed sizes in the InputSpec',
    );
  };
  a.feeds.forEach((v, i) => map.set(v, b.feeds[i]!));
  const pair = (va: number, vb: number, where: string): void => {
    const m = map.get(va);
    if (m !== undefined) {
      if (m !== vb) fail(`${where} reads different tensors in the two traced passes`);
      return;
    }
    const oa = a.values[va]!.origin;
    const ob = b.values[vb]!.origin;
    if (oa.kind === 'persistable' && ob.kind === 'persistable' && oa.tensor === ob.tensor) map.set(va, vb);
    else if (oa.kind === 'constant' && ob.kind === 'constant') {
      if (!sameData(oa.data, ob.data) || fmtShape(a.values[va]!.shape) !== fmtShape(b.values[vb]!.shape)) {
        fail(`${where} reads a constant made during the pass whose values or shape differ between the traced passes`);
      }
      map.set(va, vb);
    } else fail(`${where} reads different tensors in the two traced passes`);
  };
  if (keptA.length !== keptB.length) fail(`the two traced passes run ${keptA.length} and ${keptB.length} operators`);
  keptA.forEach((ia, k) => {
    const opA = a.ops[ia]!;
    const opB = b.ops[keptB[k]!]!;
    const where = describeOp(k, opA);
    if (opA.type !== opB.type) fail(`${where} is a ${opB.type} op in the second traced pass`);
    for (const [side, sa, sb] of [['input', opA.inputs, opB.inputs], ['output', opA.outputs, opB.outputs]] as const) {
      const keys = Object.keys(sa).sort();
      if (keys.join() !== Object.keys(sb).sort().join()) fail(`${where} has other ${side} slots in the second traced pass`);
      for (const slot of keys) {
        const la = sa[slot]!.values;
        const lb = sb[slot]!.values;
        if (la.length !== lb.length) fail(`${where} ${side} ${slot} holds ${la.length} and ${lb.length} tensors in the two passes`);
        la.forEach((v, i) => {
          if (side === 'input' || opA.inplace.has(slot)) pair(v, lb[i]!, `${where} ${side} ${slot}`);
          else map.set(v, lb[i]!);
        });
      }
    }
  });
  a.outputs.forEach((v, i) => pair(v, b.outputs[i]!, `output ${i} of the forward pass`));
  return map;
}

/**
 * One attribute of the two passes' op: equal, or generalized to a form valid for every size.
 */
function mergeAttr(
  type: string,
  name: string,
  va: AttrValue,
  vb: AttrValue,
  inA: TracedValue | undefined,
  inB: TracedValue | undefined,
  opA: TracedOp,
): AttrValue | undefined {
  if (sameValue(va, vb)) return va;
  if (!Array.isArray(va) || !Array.isArray(vb) || va.length !== vb.length || !inA || !inB) return undefined;
  const xa = va as number[];
  const xb = vb as number[];
  const diff = xa.map((x, i) => x !== xb[i]);
  if ((type === 'reshape2' || type === 'reshape') && name === 'shape') {
    // An extent copied from the input at the same position is Paddle's 0; a single other one is -1.
    const out = xa.slice();
    const rest: number[] = [];
    diff.forEach((d, i) => {
      if (!d) return;
      if (inA.shape[i] === xa[i] && inB.shape[i] === xb[i]) out[i] = 0;
      else rest.push(i);
    });
    if (rest.length === 0) return out;
    if (rest.length === 1 && !out.includes(-1)) {
      out[rest[0]!] = -1;
      return out;
    }
    return undefined;
  }
  if ((type === 'slice' || type === 'strided_slice') && name === 'ends') {
    const axes = (opA.attrs.axes ?? []) as number[];
    const out = xa.slice();
    for (let i = 0; i < xa.length; i++) {
      if (!diff[i]) continue;
      const ax = axes[i]!;
      const r = inA.shape.length;
      const axis = ax < 0 ? ax + r : ax;
      // Slicing to the end of an extent that varies: an open end.
      if (inA.shape[axis] === xa[i] && inB.shape[axis] === xb[i]) out[i] = OPEN_END;
      else return undefined;
    }
    return out;
  }
  return undefined;
}

interface VarInfo {
  name: string;
  dtype: DType;
  dims: number[];
  persistable: boolean;
}

/**
 * Builds the program of pass `a` (with `b`, the pass with larger free extents, when there are
 * any). `withValues` also collects the persistable values for the parameter file.
 */
export function buildProgram(a: Trace, b: Trace | undefined, feedNames: readonly string[], withValues: boolean): BuiltModel {
  const keptA = prune(a);
  const keptB = b ? prune(b) : [];
  const map = b ? matchPasses(a, keptA, b, keptB, 'sizes given by the free extents of the InputSpec') : undefined;
  const dimsOf = (v: number): number[] => {
    const da = a.values[v]!.shape;
    if (!b || !map) return [...da];
    const db = b.values[map.get(v)!]!.shape;
    if (db.length !== da.length) {
      throw new JitError(`a tensor has rank ${da.length} in one traced pass and ${db.length} in the other; its rank depends on the input sizes`);
    }
    return da.map((d, i) => (d === db[i] ? d : -1));
  };

  const used = new Set<string>(['feed', 'fetch']);
  const vars = new Map<number, VarInfo>();
  /** Prefixes of the `<prefix>.tmp_N` names taken, so generated prefixes avoid them. */
  const tmpPrefixes = new Set<string>();
  const claim = (name: string, what: string): string => {
    if (used.has(name)) throw new JitError(`two variables of the program would be named "${name}" (${what}); Paddle's format identifies variables by name`);
    used.add(name);
    const at = name.lastIndexOf('.tmp_');
    if (at > 0) tmpPrefixes.add(name.slice(0, at));
    return name;
  };
  const counters = new Map<string, number>();
  /** Paddle's unique_name: `<key>_<n>`, skipping prefixes already taken. */
  const fresh = (key: string): string => {
    for (;;) {
      const n = counters.get(key) ?? 0;
      counters.set(key, n + 1);
      const base = `${key}_${n}`;
      if (!tmpPrefixes.has(base)) return base;
    }
  };

  a.feeds.forEach((v, i) => {
    vars.set(v, { name: claim(feedNames[i]!, `input ${i}`), dtype: a.values[v]!.dtype, dims: dimsOf(v), persistable: false });
  });
  // Persistable variables first, so generated names never take theirs.
  const persistables = new Set<number>();
  const visitInput = (v: number): void => {
    if (!vars.has(v) && a.values[v]!.origin.kind === 'persistable') persistables.add(v);
  };
  for (const i of keptA) for (const s of Object.values(a.ops[i]!.inputs)) s.values.forEach(visitInput);
  a.outputs.forEach(visitInput);
  for (const v of persistables) {
    const val = a.values[v]!;
    vars.set(v, { name: claim(val.name ?? `tensor_${v}`, 'a parameter or buffer'), dtype: val.dtype, dims: [...val.shape], persistable: true });
  }
  const constantName = (v: number): VarInfo => {
    const val = a.values[v]!;
    return { name: claim(`${fresh('constant')}.tmp_0`, 'a constant'), dtype: val.dtype, dims: [...val.shape], persistable: true };
  };

  const ops: OpDesc[] = [];
  const extraVars: VarInfo[] = [];
  keptA.forEach((ia, k) => {
    const op = a.ops[ia]!;
    const spec = getOpSpec(op.type);
    const key = fresh(op.type);
    let tmp = 0;
    const inputs: Record<string, string[]> = {};
    for (const slot of spec.inputs.map((s) => s.name).sort()) {
      inputs[slot] = (op.inputs[slot]?.values ?? []).map((v) => {
        if (!vars.has(v)) {
          if (a.values[v]!.origin.kind !== 'constant') throw new JitError(`${describeOp(k, op)} reads a tensor that no earlier op wrote`);
          vars.set(v, constantName(v));
        }
        return vars.get(v)!.name;
      });
    }
    const outputs: Record<string, string[]> = {};
    const x = op.inputs.X?.values[0];
    for (const slot of spec.outputs.map((s) => s.name).sort()) {
      const traced = op.outputs[slot];
      if (traced) {
        outputs[slot] = traced.values.map((v) => {
          if (op.inplace.has(slot)) return vars.get(v)!.name;
          const info: VarInfo = { name: claim(`${key}.tmp_${tmp++}`, `output ${slot} of ${op.type}`), dtype: a.values[v]!.dtype, dims: dimsOf(v), persistable: false };
          vars.set(v, info);
          return info.name;
        });
      } else if (x !== undefined && ((slot === 'XShape' && XSHAPE_OPS.has(op.type)) || (slot === 'Mask' && op.type === 'dropout'))) {
        const xi = vars.get(x)!;
        const info: VarInfo = {
          name: claim(`${key}.tmp_${tmp++}`, `output ${slot} of ${op.type}`),
          dtype: slot === 'Mask' ? 'uint8' : xi.dtype,
          dims: slot === 'Mask' ? [...xi.dims] : [0, ...xi.dims],
          persistable: false,
        };
        extraVars.push(info);
        outputs[slot] = [info.name];
      }
    }
    const attrs: Record<string, AttrDesc> = {};
    const opB = b && map ? b.ops[keptB[k]!] : undefined;
    for (const name of Object.keys(op.attrs).sort()) {
      let value: AttrValue = op.attrs[name]!;
      if (opB) {
        const first = (op.inputs.X ?? op.inputs.Input)?.values[0];
        const inA = first === undefined ? undefined : a.values[first];
        const inB = first === undefined ? undefined : b!.values[map!.get(first)!];
        const merged = mergeAttr(op.type, name, value, opB.attrs[name]!, inA, inB, op);
        if (merged === undefined) {
          throw new JitError(
            `${describeOp(k, op)}: attribute "${name}" is ${JSON.stringify(value)} in one traced pass and ${JSON.stringify(opB.attrs[name])} in the other; ` +
              'it depends on the input\'s sizes or values (a value computed on the host?) in a way Paddle\'s op cannot express. ' +
              'If it depends on sizes only, give the free extents of the InputSpec fixed sizes',
          );
        }
        value = merged;
      }
      if (name === 'is_test') value = true;
      attrs[name] = toAttrDesc(op.type, name, value);
    }
    if (IS_TEST_OPS.has(op.type)) attrs.is_test = { type: AttrType.BOOLEAN, value: true };
    ops.push({ type: op.type, inputs, outputs, attrs });
  });

  // Outputs read directly from a constant (a forward that returns one) still need its variable.
  for (const v of a.outputs) if (!vars.has(v)) vars.set(v, constantName(v));

  const fetchNames = a.outputs.map((_, i) => claim(`save_infer_model/scale_${i}.tmp_1`, `output ${i}`));
  const scaleOps: OpDesc[] = a.outputs.map((v, i) => ({
    type: 'scale',
    inputs: { ScaleTensor: [], X: [vars.get(v)!.name] },
    outputs: { Out: [fetchNames[i]!] },
    attrs: {
      bias: { type: AttrType.FLOAT, value: 0 },
      bias_after_scale: { type: AttrType.BOOLEAN, value: true },
      scale: { type: AttrType.FLOAT, value: 1 },
    },
  }));
  const col = (i: number): Record<string, AttrDesc> => ({ col: { type: AttrType.INT, value: i } });
  const feedOps: OpDesc[] = a.feeds.map((v, i) => ({ type: 'feed', inputs: { X: ['feed'] }, outputs: { Out: [vars.get(v)!.name] }, attrs: col(i) })).reverse();
  const fetchOps: OpDesc[] = fetchNames.map((n, i) => ({ type: 'fetch', inputs: { X: [n] }, outputs: { Out: ['fetch'] }, attrs: col(i) }));

  const block = new Map<string, VarDesc>();
  const put = (v: VarInfo): void => {
    block.set(v.name, { name: v.name, kind: VarKind.LOD_TENSOR, dataType: dtypeToPaddle(v.dtype), dims: v.dims, lodLevel: 0, persistable: v.persistable, needCheckFeed: false });
  };
  block.set('feed', { name: 'feed', kind: VarKind.FEED_MINIBATCH, lodLevel: 0, persistable: true, needCheckFeed: false });
  block.set('fetch', { name: 'fetch', kind: VarKind.FETCH_LIST, lodLevel: 0, persistable: true, needCheckFeed: false });
  for (const v of vars.values()) put(v);
  for (const v of extraVars) put(v);
  a.outputs.forEach((v, i) => put({ ...vars.get(v)!, name: fetchNames[i]!, persistable: false }));

  const params: ParamValue[] = [];
  if (withValues) {
    for (const [v, info] of vars) {
      if (!info.persistable) continue;
      const o = a.values[v]!.origin;
      if (o.kind === 'constant') params.push({ name: info.name, dtype: info.dtype, dims: info.dims, data: o.data });
      else if (o.kind === 'persistable') {
        if (o.tensor.isDisposed) throw new JitError(`"${info.name}" was disposed during the forward pass; its value cannot be saved`);
        params.push({ name: info.name, dtype: info.dtype, dims: info.dims, data: o.tensor.dataSync() });
      }
    }
  }
  const opVersions: Record<string, number> = { ...PADDLE_2_0_OP_VERSIONS };
  return {
    program: {
      blocks: [{ idx: 0, parentIdx: -1, vars: block, ops: [...feedOps, ...ops, ...scaleOps, ...fetchOps], forwardBlockIdx: -1 }],
      version: PADDLE_VERSION,
      opVersions,
    },
    params,
    feedNames: a.feeds.map((v) => vars.get(v)!.name),
    fetchNames,
  };
}
