/**
 * Recycles the large float arrays of disposed tensors. A fresh multi-megabyte typed array costs
 * its size in page faults on first write (2.2 ns per float32 here, as much as a ReLU pass), so
 * kernel outputs are taken from arrays released by tensors whose storage was freed (exact
 * length match), up to a byte budget: OAR_CPU_POOL_MB, by default a quarter of the machine's
 * memory capped at 4 GiB; 0 turns pooling off. Only arrays the pool handed out come back to it,
 * so an array some other code still holds is never reused.
 */
import * as os from 'node:os';
import { setLayout } from './dnnl/layout';

type PooledArray = Float32Array | Float64Array;

/** Smaller arrays come cheaply from the allocator's own free lists. */
const MIN_ELEMENTS = 1 << 14;

function budgetBytes(): number {
  const env = process.env.OAR_CPU_POOL_MB;
  if (env !== undefined && env !== '') {
    const mb = Number(env);
    if (!(mb >= 0)) throw new Error(`OAR_CPU_POOL_MB must be a number of megabytes >= 0, got "${env}"`);
    return mb * 2 ** 20;
  }
  return Math.min(4 * 2 ** 30, os.totalmem() / 4);
}

const budget = budgetBytes();
const owned = new WeakSet<PooledArray>();
const free = new Map<string, PooledArray[]>();
/** Pooled arrays, oldest release first; entries already taken again are skipped lazily. */
let order: PooledArray[] = [];
const pooled = new Set<PooledArray>();
let bytes = 0;

const keyOf = (a: PooledArray): string => (a instanceof Float32Array ? 'f' : 'd') + a.length;

function take<T extends PooledArray>(ctor: new (n: number) => T, tag: string, n: number, zero: boolean): T {
  if (n >= MIN_ELEMENTS && budget > 0) {
    const a = free.get(tag + n)?.pop() as T | undefined;
    if (a) {
      pooled.delete(a);
      bytes -= a.byteLength;
      if (zero) a.fill(0);
      return a;
    }
  }
  const a = new ctor(n);
  if (n >= MIN_ELEMENTS) owned.add(a);
  return a;
}

/** A float32 array of n elements, zero-filled unless `zero` is false (the caller writes every element). */
export function takeF32(n: number, zero = true): Float32Array {
  return take(Float32Array, 'f', n, zero);
}

export function takeF64(n: number, zero = true): Float64Array {
  return take(Float64Array, 'd', n, zero);
}

/** Gives back a tensor's array once nothing refers to it (the engine freed its storage). */
export function release(a: unknown): void {
  if (!(a instanceof Float32Array || a instanceof Float64Array) || !owned.has(a) || pooled.has(a)) return;
  if (a.byteLength === 0 || a.byteLength > budget) return; // detached (transferred) or too large
  if (a instanceof Float32Array) setLayout(a, undefined); // its next owner writes it afresh
  while (bytes + a.byteLength > budget && order.length > 0) {
    const old = order.shift()!;
    if (!pooled.delete(old)) continue;
    const list = free.get(keyOf(old))!;
    list.splice(list.indexOf(old), 1);
    bytes -= old.byteLength;
  }
  if (order.length > 4 * (pooled.size + 16)) order = order.filter((x) => pooled.has(x));
  const k = keyOf(a);
  let list = free.get(k);
  if (!list) free.set(k, (list = []));
  list.push(a);
  order.push(a);
  pooled.add(a);
  bytes += a.byteLength;
}

/** Bytes held for reuse. */
export function pooledBytes(): number {
  return bytes;
}

/** Drops every pooled array (the garbage collector reclaims them). */
export function emptyPool(): void {
  free.clear();
  pooled.clear();
  order = [];
  bytes = 0;
}
