/**
 * The random draws PaddleClas makes with Python's `random` and NumPy, taken from the core
 * Philox generator (`uniforms`), so `seed()` makes augmentation repeat.
 */
import { data } from '@oar/core';

const { uniforms } = data.transforms;

/** random.random(): one uniform in [0, 1). */
export function random(): number {
  return uniforms(1)[0]!;
}

/** random.uniform(a, b). */
export function uniform(a: number, b: number): number {
  return a + (b - a) * random();
}

/** random.randint(a, b): an integer in [a, b], both ends included. */
export function randint(a: number, b: number): number {
  return a + Math.min(b - a, Math.floor(random() * (b - a + 1)));
}

/** n standard normal draws (Box–Muller). */
export function normals(n: number): Float64Array {
  const u = uniforms(2 * Math.ceil(n / 2));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - u[i]!));
    const t = 2 * Math.PI * u[i + 1]!;
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

/**
 * log of a Gamma(alpha, 1) draw (Marsaglia–Tsang; for alpha < 1 the boost
 * Gamma(alpha) = Gamma(alpha + 1) · U^(1/alpha)). Logs keep tiny draws for small alpha, as
 * Mixup's alpha = 0.2 produces, from underflowing to 0.
 */
function logGamma(alpha: number): number {
  if (alpha < 1) return logGamma(alpha + 1) + Math.log(1 - random()) / alpha;
  const d = alpha - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normals(1)[0]!;
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = 1 - random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return Math.log(d * v);
  }
}

/** np.random.beta(a, b). */
export function beta(a: number, b: number): number {
  const x = logGamma(a);
  const y = logGamma(b);
  return 1 / (1 + Math.exp(y - x));
}

/** np.random.permutation(n). */
export function permutation(n: number): number[] {
  return data.shuffledIndices(n);
}
