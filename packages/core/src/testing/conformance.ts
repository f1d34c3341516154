/**
 * Runs conformance cases against a device. Any backend calls the same runner: the CPU tests in
 * core, the accelerator's on the GPU machine, each with a ledger of the cases it skips and why.
 */
import { engine } from '../engine/engine';
import { tensor } from '../ops/creation';
import type { SlotMap } from '../kernels/registry';
import { type DType } from '../tensor/dtype';
import { fmtShape, shapesEqual } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { decodeNumber, loadCases, type ConformanceCase, type TensorCase } from './cases';

/** Default tolerances per dtype: |got − want| <= atol + rtol·|want|. */
export const TOLERANCE: Record<DType, { rtol: number; atol: number }> = {
  float64: { rtol: 1e-10, atol: 1e-12 },
  float32: { rtol: 1e-5, atol: 1e-6 },
  float16: { rtol: 1e-3, atol: 1e-3 },
  bfloat16: { rtol: 1e-2, atol: 1e-2 },
  int64: { rtol: 0, atol: 0 },
  int32: { rtol: 0, atol: 0 },
  int16: { rtol: 0, atol: 0 },
  int8: { rtol: 0, atol: 0 },
  uint8: { rtol: 0, atol: 0 },
  bool: { rtol: 0, atol: 0 },
};

/** A tensor on `device` from a case's description. */
export function caseTensor(tc: TensorCase, device: string): Tensor {
  if (tc.dtype === 'int64') {
    return tensor(BigInt64Array.from(tc.data.map((v) => BigInt(decodeNumber(v)))), { shape: tc.shape, place: device });
  }
  return tensor(tc.data.map(decodeNumber), { shape: tc.shape, dtype: tc.dtype, place: device });
}

export function caseInputs(c: ConformanceCase, device: string): SlotMap<Tensor> {
  const inputs: SlotMap<Tensor> = {};
  for (const [slot, v] of Object.entries(c.inputs)) {
    inputs[slot] = Array.isArray(v) ? v.map((t) => caseTensor(t, device)) : caseTensor(v, device);
  }
  return inputs;
}

/** Compares a tensor with an expected case tensor; returns a description of the first mismatch. */
export function compareTensor(got: Tensor, want: TensorCase, rtol?: number, atol?: number): string | null {
  if (!shapesEqual(got.shape, want.shape)) return `shape ${fmtShape(got.shape)}, expected ${fmtShape(want.shape)}`;
  if (got.dtype !== want.dtype) return `dtype ${got.dtype}, expected ${want.dtype}`;
  const tol = TOLERANCE[want.dtype];
  const rt = rtol ?? tol.rtol;
  const at = atol ?? tol.atol;
  const g = got.toFlatArray();
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < g.length; i++) {
    const w = decodeNumber(want.data[i]!);
    const v = g[i]!;
    if (Number.isNaN(w) && Number.isNaN(v)) continue;
    if (!Number.isFinite(w) || !Number.isFinite(v)) {
      if (v !== w) return `element ${i}: got ${v}, expected ${w}`;
      continue;
    }
    const err = Math.abs(v - w) - (at + rt * Math.abs(w));
    if (err > 0 && err > worstErr) {
      worst = i;
      worstErr = err;
    }
  }
  if (worst >= 0) {
    const w = decodeNumber(want.data[worst]!);
    return `element ${worst}: got ${g[worst]}, expected ${w} (|diff| ${Math.abs(g[worst]! - w).toExponential(3)} > atol ${at} + rtol ${rt}·|expected|)`;
  }
  return null;
}

/** Runs one case on `device`; returns null when it passes, else what went wrong. */
export function runCase(c: ConformanceCase, device = 'cpu'): string | null {
  return engine.tidy(() => {
    const inputs = caseInputs(c, device);
    let outputs: SlotMap<Tensor>;
    try {
      outputs = engine.runOp(c.op, inputs, c.attrs);
    } catch (e) {
      return `threw ${(e as Error).message}`;
    }
    for (const [slot, want] of Object.entries(c.outputs)) {
      const got = outputs[slot];
      if (got === undefined) return `output ${slot} missing`;
      const gl = Array.isArray(got) ? got : [got];
      const wl = Array.isArray(want) ? want : [want];
      if (gl.length !== wl.length) return `output ${slot}: ${gl.length} tensors, expected ${wl.length}`;
      for (let i = 0; i < wl.length; i++) {
        const msg = compareTensor(gl[i]!, wl[i]!, c.rtol, c.atol);
        if (msg) return `output ${slot}${Array.isArray(want) ? `[${i}]` : ''}: ${msg}`;
      }
    }
    return null;
  });
}

export interface ConformanceOptions {
  device?: string;
  /** Case ids or operator types not expected to pass on this backend, each with its reason. */
  ledger?: Record<string, string>;
  /** Only cases whose op is in this list. */
  ops?: string[];
}

/**
 * Declares one jest test per case (call inside a test file). Cases listed in the ledger are
 * declared as skipped with their reason in the title, so gaps stay visible.
 */
/** The jest (or jasmine/mocha-compatible) globals the declaring helpers use. */
interface TestGlobals {
  describe(name: string, fn: () => void): void;
  it: ((name: string, fn: () => void) => void) & { skip(name: string, fn: () => void): void };
}

function testGlobals(): TestGlobals {
  const g = globalThis as unknown as Partial<TestGlobals>;
  if (typeof g.describe !== 'function' || typeof g.it !== 'function') {
    throw new Error('describeConformance must be called from a test file (jest globals describe/it are missing)');
  }
  return g as TestGlobals;
}

export function describeConformance(opts: ConformanceOptions = {}): void {
  const { describe, it } = testGlobals();
  const device = opts.device ?? 'cpu';
  const ledger = opts.ledger ?? {};
  const cases = loadCases().filter((c) => !opts.ops || opts.ops.includes(c.op));
  const byOp = new Map<string, ConformanceCase[]>();
  for (const c of cases) {
    if (!byOp.has(c.op)) byOp.set(c.op, []);
    byOp.get(c.op)!.push(c);
  }
  for (const [op, list] of [...byOp].sort((a, b) => a[0].localeCompare(b[0]))) {
    describe(`${op} on ${device}`, () => {
      for (const c of list) {
        const reason = ledger[c.id] ?? ledger[op];
        if (reason) {
          it.skip(`${c.id} (ledger: ${reason})`, () => undefined);
          continue;
        }
        it(c.id, () => {
          const msg = runCase(c, device);
          if (msg) throw new Error(`${c.id}: ${msg}`);
        });
      }
    });
  }
}
