import { engine } from '../engine/engine';

/**
 * Runs `fn` and returns how many tensors and bytes it left alive. A training step wrapped in
 * tidy should leave none beyond what it deliberately keeps (parameters, optimizer state).
 */
export function liveDelta(fn: () => void): { tensors: number; bytes: number } {
  const before = engine.memory();
  fn();
  const after = engine.memory();
  return { tensors: after.numTensors - before.numTensors, bytes: after.numBytes - before.numBytes };
}

/** Throws when `fn` leaves tensors alive. */
export function expectNoLeaks(fn: () => void, what = 'function'): void {
  const d = liveDelta(fn);
  if (d.tensors !== 0 || d.bytes !== 0) {
    throw new Error(`${what} leaked ${d.tensors} tensors (${d.bytes} bytes)`);
  }
}
