/**
 * Action and observation spaces (gym's `Discrete` and `Box`): what an environment accepts and
 * returns, checked at the boundary so a wrong action or observation fails with one message that
 * names the value and what is allowed.
 */

/** `Discrete(n)`: the integers 0..n-1. */
export class Discrete {
  readonly kind = 'Discrete';
  constructor(readonly n: number) {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Discrete: n must be a positive integer, got ${n}`);
  }

  contains(x: unknown): x is number {
    return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < this.n;
  }

  /** Returns `x` if it is an action of this space, else throws a RangeError naming it. */
  check(x: unknown, where: string): number {
    if (!this.contains(x)) {
      throw new RangeError(`${where}: action ${describe(x)} is outside the action space ${this}: expected an integer in [0, ${this.n - 1}]`);
    }
    return x;
  }

  toString(): string {
    return `Discrete(${this.n})`;
  }
}

/** `Box(low, high, shape)`: real vectors of a fixed shape, bounded per element (±Infinity allowed). */
export class Box {
  readonly kind = 'Box';
  readonly shape: readonly number[];
  readonly size: number;

  constructor(
    readonly low: Float64Array,
    readonly high: Float64Array,
    shape?: readonly number[],
  ) {
    if (low.length !== high.length) throw new RangeError(`Box: low has ${low.length} elements, high ${high.length}`);
    this.shape = shape ?? [low.length];
    this.size = this.shape.reduce((a, b) => a * b, 1);
    if (this.size !== low.length) throw new RangeError(`Box: shape [${this.shape.join(', ')}] holds ${this.size} elements, low has ${low.length}`);
  }

  contains(x: ArrayLike<number>): boolean {
    if (x.length !== this.size) return false;
    for (let i = 0; i < x.length; i++) if (!(x[i]! >= this.low[i]! && x[i]! <= this.high[i]!)) return false;
    return true;
  }

  toString(): string {
    return `Box(shape=[${this.shape.join(', ')}])`;
  }
}

export type Space = Discrete | Box;

/** Throws a RangeError unless `obs` is an array-like of `size` finite numbers. */
export function checkObservation(obs: unknown, size: number, where: string): asserts obs is ArrayLike<number> {
  const isArrayLike = Array.isArray(obs) || (ArrayBuffer.isView(obs) && !(obs instanceof DataView));
  if (!isArrayLike) throw new TypeError(`${where}: an observation must be an array or typed array of ${size} numbers, got ${describe(obs)}`);
  const a = obs as ArrayLike<unknown>;
  if (a.length !== size) {
    throw new RangeError(`${where}: observation of shape [${a.length}] does not fit the observation space: expected shape [${size}]`);
  }
  for (let i = 0; i < size; i++) {
    const v = a[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new RangeError(`${where}: observation element ${i} is ${describe(v)}; expected a finite number`);
    }
  }
}

export function describe(x: unknown): string {
  if (typeof x === 'string') return JSON.stringify(x);
  if (Array.isArray(x)) return `[${x.slice(0, 6).map(describe).join(', ')}${x.length > 6 ? ', ...' : ''}]`;
  if (ArrayBuffer.isView(x)) return `${x.constructor.name}(${(x as unknown as ArrayLike<unknown>).length})`;
  if (x === null) return 'null';
  if (typeof x === 'object') return 'an object';
  return String(x);
}
