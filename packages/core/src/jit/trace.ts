/**
 * Records one forward pass of a layer as a list of Paddle operators, through the engine's op
 * listener. Every tensor the operators touch becomes a traced value that is either a feed (an
 * input of the pass), an output of a recorded op, a persistable tensor that existed before the
 * pass (parameters, buffers, captured tensors), or a constant made during the pass from host data
 * (its values are copied at once, since the pass frees it).
 *
 * Tensors are matched by identity. A tensor made outside any operator that shares the memory of a
 * known one (batch_norm's views of its running statistics, `detach`) stands for that one when it
 * has the same shape and dtype; with another shape it is an error, since the program could not
 * say where its values come from.
 */
import { engine } from '../engine/engine';
import { getOpSpec, type Attrs, type SlotMap } from '../kernels/registry';
import type { DType, TypedArray } from '../tensor/dtype';
import { Parameter } from '../tensor/parameter';
import { fmtShape, shapesEqual } from '../tensor/shape';
import { Storage, Tensor } from '../tensor/tensor';
import { JitError } from './errors';

export type ValueOrigin =
  | { kind: 'feed'; index: number }
  | { kind: 'op'; op: number }
  | { kind: 'persistable'; tensor: Tensor }
  | { kind: 'constant'; data: TypedArray };

export interface TracedValue {
  shape: number[];
  dtype: DType;
  origin: ValueOrigin;
  /** The tensor's own name (persistables), or undefined. */
  name?: string;
}

export interface TracedSlot {
  /** Traced value ids, in slot order. */
  values: number[];
}

export interface TracedOp {
  type: string;
  inputs: Record<string, TracedSlot>;
  outputs: Record<string, TracedSlot>;
  /** Output slots that update an input in place (batch_norm's MeanOut): they add no value. */
  inplace: Set<string>;
  attrs: Attrs;
}

export interface Trace {
  values: TracedValue[];
  ops: TracedOp[];
  feeds: number[];
  outputs: number[];
}

/** Operators that only make sense while training or computing gradients. */
const TRAINING_ONLY = new Set(['sgd', 'momentum', 'adam', 'adamw', 'rmsprop', 'lamb']);

function copyAttrs(a: Attrs): Attrs {
  const out: Attrs = {};
  for (const [k, v] of Object.entries(a)) out[k] = Array.isArray(v) ? ([...v] as typeof v) : v;
  return out;
}

/** The tensors of a forward result: a tensor, or arrays / plain objects of them, in order. */
export function flattenOutputs(v: unknown, where = 'output'): Tensor[] {
  if (v instanceof Tensor) return [v];
  if (Array.isArray(v)) return v.flatMap((x, i) => flattenOutputs(x, `${where}[${i}]`));
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => flattenOutputs(x, `${where}.${k}`));
  }
  throw new JitError(`the forward pass returned ${v === null ? 'null' : typeof v} at ${where}; only tensors (or arrays / objects of tensors) can be fetched`);
}

/**
 * Runs `forward(inputs)` without autograd and returns what ran. `persistables` are the tensors of
 * the layer (parameters and buffers) whose memory may be viewed by tensors made outside ops.
 */
export function traceForward(forward: (inputs: Tensor[]) => unknown, inputs: Tensor[], persistables: readonly Tensor[]): Trace {
  const values: TracedValue[] = [];
  const ops: TracedOp[] = [];
  const ids = new Map<Tensor, number>();
  const byStorage = new Map<Storage, number[]>();
  const owners = new Map<Storage, Tensor>();
  for (const t of persistables) if (!owners.has(t._storage)) owners.set(t._storage, t);
  // Tensors made before the inputs existed were not made by this pass.
  const firstId = inputs.length ? Math.min(...inputs.map((t) => t.id)) : Infinity;

  const add = (t: Tensor, origin: ValueOrigin, name?: string): number => {
    const id = values.length;
    values.push({ shape: [...t.shape], dtype: t.dtype, origin, name });
    ids.set(t, id);
    const list = byStorage.get(t._storage);
    if (list) list.push(id);
    else byStorage.set(t._storage, [id]);
    return id;
  };

  const persistable = (t: Tensor): number => {
    const known = ids.get(t);
    if (known !== undefined) return known;
    return add(t, { kind: 'persistable', tensor: t }, t.name);
  };

  const resolve = (t: Tensor, where: string): number => {
    const known = ids.get(t);
    if (known !== undefined) return known;
    if (t instanceof Parameter) return persistable(t);
    const owner = owners.get(t._storage);
    if (owner) {
      if (owner === t || (shapesEqual(owner.shape, t.shape) && owner.dtype === t.dtype)) {
        const id = persistable(owner);
        ids.set(t, id);
        return id;
      }
      throw new JitError(
        `${where} is a view of "${owner.name}" (${fmtShape(owner.shape)}) with shape ${fmtShape(t.shape)} made outside any operator; the program cannot express it (use reshape)`,
      );
    }
    const same = byStorage.get(t._storage);
    if (same) {
      const match = same.find((id) => shapesEqual(values[id]!.shape, t.shape) && values[id]!.dtype === t.dtype);
      if (match === undefined) {
        throw new JitError(`${where} (${fmtShape(t.shape)} ${t.dtype}) shares memory with a traced tensor of another shape but was made outside any operator; the program cannot express it (use reshape)`);
      }
      ids.set(t, match);
      return match;
    }
    // Neither an input, nor computed by a traced op, nor the layer's: a constant. Its values are
    // read now, while the pass still holds it.
    if (t._kept || t.id < firstId) return add(t, { kind: 'persistable', tensor: t }, t.name);
    return add(t, { kind: 'constant', data: t.dataSync().slice() as TypedArray });
  };

  const feeds = inputs.map((t, i) => add(t, { kind: 'feed', index: i }));

  const listener = (type: string, inTensors: SlotMap<Tensor>, attrs: Attrs, outTensors: SlotMap<Tensor>): void => {
    const where = `operator #${ops.length} (${type})`;
    if (type.endsWith('_grad') || TRAINING_ONLY.has(type)) {
      throw new JitError(`${where} computes gradients or updates parameters; it cannot be traced into an inference program (is an optimizer step or backward() inside forward?)`);
    }
    const spec = getOpSpec(type);
    const op: TracedOp = { type, inputs: {}, outputs: {}, inplace: new Set(), attrs: copyAttrs(attrs) };
    for (const [slot, v] of Object.entries(inTensors)) {
      if (v === undefined) continue;
      const list = Array.isArray(v) ? v : [v];
      op.inputs[slot] = { values: list.map((t, i) => resolve(t, `input ${slot}${Array.isArray(v) ? `[${i}]` : ''} of ${where}`)) };
    }
    const index = ops.length;
    for (const [slot, v] of Object.entries(outTensors)) {
      if (v === undefined) continue;
      const target = spec.inplace?.[slot];
      if (target !== undefined && inTensors[target] === v) {
        op.inplace.add(slot);
        op.outputs[slot] = { values: [resolve(v as Tensor, `output ${slot} of ${where}`)] };
        continue;
      }
      const list = Array.isArray(v) ? v : [v];
      op.outputs[slot] = { values: list.map((t) => add(t, { kind: 'op', op: index })) };
    }
    ops.push(op);
  };

  const remove = engine.addOpListener(listener);
  let outputs: number[];
  try {
    outputs = engine.noGrad(() =>
      engine.tidy(() => {
        const result = forward(inputs);
        return flattenOutputs(result).map((t, i) => resolve(t, `output ${i} of the forward pass`));
      }),
    );
  } finally {
    remove();
  }
  return { values, ops, feeds, outputs };
}
