import { getOpSpec, registeredKernels, registeredOps } from '../src';
import { loadCases } from '../src/testing';

// Operators exempt from a rule, each with the reason. Keep this short.
const NO_CASES: Record<string, string> = {};

describe('operator coverage', () => {
  const cases = loadCases();
  const ops = registeredOps();

  it('every registered operator has a CPU kernel', () => {
    const cpu = new Set(registeredKernels('cpu'));
    expect(ops.filter((o) => !cpu.has(o))).toEqual([]);
  });

  it('every registered operator has conformance cases', () => {
    const withCases = new Set(cases.map((c) => c.op));
    expect(ops.filter((o) => !withCases.has(o) && !NO_CASES[o])).toEqual([]);
  });

  it('every differentiable operator has at least one gradient-checked case', () => {
    const checked = new Set(cases.filter((c) => c.grad !== false).map((c) => c.op));
    expect(ops.filter((o) => getOpSpec(o).grad && !checked.has(o))).toEqual([]);
  });

  it('every case names a registered operator and has a unique id', () => {
    expect(cases.filter((c) => !ops.includes(c.op)).map((c) => c.id)).toEqual([]);
    const ids = cases.map((c) => c.id);
    expect(ids.length).toBe(new Set(ids).size);
  });

  it('cases that skip the gradient check say why', () => {
    const silent = cases.filter((c) => c.grad === false && getOpSpec(c.op).grad && !c.grad_skip_reason);
    expect(silent.map((c) => c.id)).toEqual([]);
  });
});
