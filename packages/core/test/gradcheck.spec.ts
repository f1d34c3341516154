import { getOpSpec } from '../src';
import { caseGradcheck, loadCases } from '../src/testing';

// A finite-difference gradient check for every conformance case of a differentiable operator.
const FLOAT = new Set(['float16', 'bfloat16', 'float32', 'float64']);
const hasFloatInput = (c: ReturnType<typeof loadCases>[number]): boolean =>
  Object.entries(c.inputs).some(
    ([slot, v]) =>
      !getOpSpec(c.op).inputs.find((s) => s.name === slot)?.noGrad &&
      (Array.isArray(v) ? v : [v]).some((t) => FLOAT.has(t.dtype)),
  );
const cases = loadCases().filter((c) => getOpSpec(c.op).grad && c.grad !== false && hasFloatInput(c));
const byOp = new Map<string, typeof cases>();
for (const c of cases) byOp.set(c.op, [...(byOp.get(c.op) ?? []), c]);

for (const [op, list] of byOp) {
  describe(`gradcheck ${op}`, () => {
    for (const c of list) {
      it(c.id, () => {
        const msg = caseGradcheck(c);
        if (msg) throw new Error(`${c.id}: ${msg}`);
      });
    }
  });
}
