/** Argument checks shared by the layers. */
import type { ParamAttrLike } from '../param-attr';

/** Throws unless v is a positive integer. */
export function requirePositiveInt(layer: string, what: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${layer}: ${what} must be a positive integer, got ${String(v)}`);
}

/** Weights that Paddle requires: false is rejected with a clear message. */
export function notFalse(layer: string, what: string, a: ParamAttrLike): Exclude<ParamAttrLike, false> {
  if (a === false) throw new TypeError(`${layer}: ${what} cannot be false (the layer needs its weight)`);
  return a;
}

/** A number or a 2-list of integers >= `min` as [h, w]. */
export function toPair(layer: string, what: string, v: number | number[], min = 0): [number, number] {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((x) => Number.isInteger(x) && x >= min)) {
    throw new RangeError(`${layer}: ${what} must be an integer or 2 integers (each >= ${min}), got ${JSON.stringify(v)}`);
  }
  return [p[0]!, p[1]!];
}
