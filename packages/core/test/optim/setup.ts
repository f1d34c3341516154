/** The small quadratic the optimizer tests train, and its Python reference (reference.json). */
import * as fs from 'fs';
import * as path from 'path';
import { add, backward, multiply, Parameter, scale, subtract, sum, tensor, tidy, type Tensor } from '../../src';

export interface Reference {
  steps: number;
  init: { w: number[]; b: number[]; t: number[]; a: number[]; u: number[] };
  trajectories: Record<string, { w: number[]; b: number[] }[]>;
  schedulers: Record<string, number[]>;
}

export const REF = JSON.parse(fs.readFileSync(path.join(__dirname, 'reference.json'), 'utf8')) as Reference;

/** Fresh parameters w [2, 3] and b [3] at the reference's starting point. */
export function makeParams(dtype: 'float32' | 'float64' = 'float32'): { w: Parameter; b: Parameter } {
  return {
    w: Parameter.from(tensor(REF.init.w, { shape: [2, 3], dtype }), 'w'),
    b: Parameter.from(tensor(REF.init.b, { dtype }), 'b'),
  };
}

/** 0.5·Σ a(w−t)² + Σ (b−u)², and its gradients accumulated into w.grad and b.grad. */
export function lossAndBackward(w: Tensor, b: Tensor): void {
  tidy(() => {
    const t = tensor(REF.init.t, { shape: [2, 3], dtype: w.dtype });
    const a = tensor(REF.init.a, { shape: [2, 3], dtype: w.dtype });
    const u = tensor(REF.init.u, { dtype: b.dtype });
    const dw = subtract(w, t);
    const db = subtract(b, u);
    const loss = add(scale(sum(multiply(a, multiply(dw, dw))), 0.5), sum(multiply(db, db)));
    backward(loss);
  });
}

/** Asserts |got − want| <= atol + rtol·|want| elementwise, naming the first offending element. */
export function expectClose(got: number[], want: number[], rtol: number, atol: number, what: string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    if (!(err <= atol + rtol * Math.abs(want[i]!))) {
      throw new Error(`${what}[${i}]: got ${got[i]}, expected ${want[i]} (|diff| ${err.toExponential(3)})`);
    }
  }
}
