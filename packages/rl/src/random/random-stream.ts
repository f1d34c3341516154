/**
 * Uniform draws for exploration, replay sampling and environment resets, taken from the core's
 * Philox generator so that `seed()` makes a whole run repeat. Draws are fetched in blocks (one
 * `uniform` launch per block) because a tensor per draw would cost more than the step it serves.
 *
 * A stream either shares the core's global generator (what `seed()` sets) or owns a private
 * Philox stream keyed by its own seed, as gym gives each environment its own generator: its
 * state is swapped into the engine for the launch and out again, so drawing from it leaves the
 * global sequence untouched.
 */
import { engine, tidy, uniform } from '@oar/core';

type RngState = { key: [number, number]; offset: number };

/** Draws per launch: large enough to amortize the launch, small enough to stay cheap. */
const BLOCK = 1024;

export class RandomStream {
  private buf: Float64Array = new Float64Array(0);
  private pos = 0;
  /** null: the core's global generator. */
  private own: RngState | null;

  /** Without a seed the stream follows the core's global generator. */
  constructor(seed?: number) {
    this.own = seed === undefined ? null : keyedState(seed);
  }

  /** Whether this stream owns its generator (it was given a seed). */
  get isPrivate(): boolean {
    return this.own !== null;
  }

  /** A uniform number in [0, 1) (24 random bits, as the core's uniform_random draws). */
  uniform(): number {
    if (this.pos === this.buf.length) this.refill();
    return this.buf[this.pos++]!;
  }

  /** A uniform number in [low, high). */
  uniformIn(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** A uniform integer in [0, n). */
  integer(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`RandomStream.integer: n must be a positive integer, got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  /** A seed for another stream: one of 2^24 values spread over [0, 2^31) (one 24-bit draw). */
  seedValue(): number {
    return this.integer(0x80000000);
  }

  private refill(): void {
    const draw = (): Float64Array =>
      Float64Array.from(tidy(() => uniform([BLOCK], { min: 0, max: 1, dtype: 'float64' }).dataSync() as Float64Array));
    if (this.own === null) {
      this.buf = draw();
    } else {
      const saved = engine.getRngState();
      engine.setRngState(this.own);
      try {
        this.buf = draw();
        this.own = engine.getRngState();
      } finally {
        engine.setRngState(saved);
      }
    }
    this.pos = 0;
  }
}

/** The Philox state `seed(n)` would set, without touching the global generator. */
function keyedState(seed: number): RngState {
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
  const saved = engine.getRngState();
  engine.seed(seed);
  const st = engine.getRngState();
  engine.setRngState(saved);
  return st;
}
