/** Shape-inference helpers shared by operator specs. */
import type { Attrs, SlotMap, TensorMeta } from '../registry';
import { isFloatDType, type DType } from '../../tensor/dtype';
import { broadcastShapes, fmtShape, shapesEqual, type Shape } from '../../tensor/shape';
import { OpError } from '../../utils/errors';

export function one(inputs: SlotMap<TensorMeta>, slot: string): TensorMeta {
  return inputs[slot] as TensorMeta;
}

export function maybe(inputs: SlotMap<TensorMeta>, slot: string): TensorMeta | undefined {
  return inputs[slot] as TensorMeta | undefined;
}

export function list(inputs: SlotMap<TensorMeta>, slot: string): TensorMeta[] {
  return (inputs[slot] as TensorMeta[] | undefined) ?? [];
}

export function requireFloat(op: string, slot: string, m: TensorMeta): void {
  if (!isFloatDType(m.dtype)) throw new OpError(op, `input ${slot} must be a float tensor, got ${m.dtype}`);
}

export function requireDType(op: string, slot: string, m: TensorMeta, allowed: DType[]): void {
  if (!allowed.includes(m.dtype)) {
    throw new OpError(op, `input ${slot} must have dtype ${allowed.join(' or ')}, got ${m.dtype}`);
  }
}

export function requireSameDType(op: string, a: [string, TensorMeta], b: [string, TensorMeta]): void {
  if (a[1].dtype !== b[1].dtype) {
    throw new OpError(op, `inputs ${a[0]} (${a[1].dtype}) and ${b[0]} (${b[1].dtype}) must have the same dtype`);
  }
}

export function requireSameShape(op: string, a: [string, TensorMeta], b: [string, TensorMeta]): void {
  if (!shapesEqual(a[1].shape, b[1].shape)) {
    throw new OpError(op, `inputs ${a[0]} ${fmtShape(a[1].shape)} and ${b[0]} ${fmtShape(b[1].shape)} must have the same shape`);
  }
}

export function requireRank(op: string, slot: string, m: TensorMeta, ranks: number[]): void {
  if (!ranks.includes(m.shape.length)) {
    throw new OpError(op, `input ${slot} must have rank ${ranks.join(' or ')}, got shape ${fmtShape(m.shape)}`);
  }
}

/** Output meta equal to input X's (unary elementwise ops). */
export function sameAsX(inputs: SlotMap<TensorMeta>, _attrs: Attrs, slot = 'X'): SlotMap<TensorMeta> {
  const x = one(inputs, slot);
  return { Out: { shape: x.shape, dtype: x.dtype } };
}

export function intAttr(attrs: Attrs, name: string): number {
  const v = attrs[name];
  return typeof v === 'bigint' ? Number(v) : typeof v === 'boolean' ? (v ? 1 : 0) : (v as number);
}

export function intsAttr(attrs: Attrs, name: string): number[] {
  const v = attrs[name];
  if (Array.isArray(v)) return (v as unknown[]).map((x) => Number(x));
  if (v === undefined || v === '') return [];
  return [Number(v)];
}

export function boolAttr(attrs: Attrs, name: string): boolean {
  const v = attrs[name];
  return typeof v === 'string' ? v === 'true' : Boolean(v);
}

export function floatAttr(attrs: Attrs, name: string): number {
  return Number(attrs[name]);
}

export function strAttr(attrs: Attrs, name: string): string {
  return String(attrs[name]);
}

/**
 * Y's shape aligned against X's by Paddle's elementwise `axis` rule: the lower-rank operand is
 * placed starting at dimension `axis` (-1: right-aligned) and padded with 1s to the higher rank.
 * Returns both shapes padded to the same rank.
 */
export function alignByAxis(op: string, xs: Shape, ys: Shape, axis: number): [number[], number[]] {
  if (xs.length === ys.length) return [[...xs], [...ys]];
  const swap = xs.length < ys.length;
  const big = swap ? ys : xs;
  const small = swap ? xs : ys;
  // Trailing 1s of the smaller operand are dropped first (Paddle's trim rule) when axis is explicit.
  let sm = [...small];
  const diff = big.length - sm.length;
  const ax = axis < 0 ? diff : axis;
  if (axis >= 0) {
    while (sm.length > 0 && ax + sm.length > big.length && sm[sm.length - 1] === 1) sm = sm.slice(0, -1);
  }
  if (ax < 0 || ax + sm.length > big.length) {
    throw new OpError(
      op,
      `axis ${axis} is out of range to align shape ${fmtShape(small)} with ${fmtShape(big)} (needs 0 <= axis <= ${big.length - small.length})`,
    );
  }
  const padded = [...new Array(ax).fill(1), ...sm, ...new Array(big.length - ax - sm.length).fill(1)];
  return swap ? [padded, [...big]] : [[...big], padded];
}

/** Output shape of a Paddle elementwise op, with the axis rule and numpy broadcasting. */
export function elementwiseShape(op: string, xs: Shape, ys: Shape, axis: number): number[] {
  const [a, b] = alignByAxis(op, xs, ys, axis);
  const out = broadcastShapes(a, b);
  if (!out) {
    throw new OpError(op, `shapes X ${fmtShape(xs)} and Y ${fmtShape(ys)} cannot be broadcast (axis=${axis})`);
  }
  return out;
}
