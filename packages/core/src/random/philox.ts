/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011), the
 * counter-based generator behind every random op on every backend. Element i of a launch with
 * state (key, offset) comes from counter block `offset + floor(i / 4)`, lane `i % 4`, so any
 * device can produce any element independently and a seeded run repeats bit for bit.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the unsigned 64-bit product a*b. */
function mulhi(a: number, b: number): number {
  const aL = a & 0xffff;
  const aH = a >>> 16;
  const bL = b & 0xffff;
  const bH = b >>> 16;
  const ll = aL * bL;
  const lh = aL * bH;
  const hl = aH * bL;
  const hh = aH * bH;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (hh + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 65536)) >>> 0;
}

/** Writes the 4 words of block `ctr` (a 64-bit counter as lo/hi words) under `key` into out. */
export function philoxBlock(k0: number, k1: number, ctrLo: number, ctrHi: number, out: Uint32Array): void {
  let c0 = ctrLo >>> 0;
  let c1 = ctrHi >>> 0;
  let c2 = 0;
  let c3 = 0;
  let a = k0 >>> 0;
  let b = k1 >>> 0;
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    const n0 = (hi1 ^ c1 ^ a) >>> 0;
    const n1 = lo1;
    const n2 = (hi0 ^ c3 ^ b) >>> 0;
    const n3 = lo0;
    c0 = n0;
    c1 = n1;
    c2 = n2;
    c3 = n3;
    a = (a + W0) >>> 0;
    b = (b + W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/** Fills `out` with `out.length` raw 32-bit words starting at counter block `offset`. */
export function philoxWords(key: readonly [number, number], offset: number, out: Uint32Array): void {
  const blk = new Uint32Array(4);
  const n = out.length;
  for (let i = 0, b = offset; i < n; i += 4, b++) {
    philoxBlock(key[0], key[1], b % 0x100000000, Math.floor(b / 0x100000000), blk);
    const m = Math.min(4, n - i);
    for (let j = 0; j < m; j++) out[i + j] = blk[j]!;
  }
}

/** Uniform floats in [0, 1) with 24 random bits each (as float32 generators do). */
export function philoxUniform(key: readonly [number, number], offset: number, n: number): Float64Array {
  const w = new Uint32Array(n);
  philoxWords(key, offset, w);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (w[i]! >>> 8) * (1 / 16777216);
  return out;
}

/**
 * Standard normal draws by Box–Muller: element i uses the words of block offset + floor(i/2)
 * (lanes 0–1 for even i, lanes 2–3 for odd i), so each element still depends only on its index.
 */
export function philoxNormal(key: readonly [number, number], offset: number, n: number): Float64Array {
  const out = new Float64Array(n);
  const blk = new Uint32Array(4);
  for (let i = 0; i < n; i += 2) {
    const b = offset + i / 2;
    philoxBlock(key[0], key[1], b % 0x100000000, Math.floor(b / 0x100000000), blk);
    for (let j = 0; j < 2 && i + j < n; j++) {
      // u1 in (0, 1] avoids log(0).
      const u1 = ((blk[2 * j]! >>> 8) + 1) / 16777216;
      const u2 = (blk[2 * j + 1]! >>> 8) / 16777216;
      out[i + j] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
  }
  return out;
}

/** Blocks a launch of n uniform or normal draws consumes (normal uses 2 words per element). */
export function blocksFor(n: number, normal: boolean): number {
  return normal ? Math.ceil(n / 2) : Math.ceil(n / 4);
}
