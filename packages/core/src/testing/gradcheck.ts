/**
 * Finite-difference gradient checks. Float inputs are promoted to float64, the scalar
 * L = Σ w·out (fixed pseudo-random w) is differentiated by autograd and by central differences,
 * and the two must agree. Random operators replay the same Philox draws for every evaluation.
 */
import { grad } from '../engine/autograd';
import { engine } from '../engine/engine';
import { getOpSpec, type AttrValue, type SlotMap } from '../kernels/registry';
import { tensor } from '../ops/creation';
import { isFloatDType } from '../tensor/dtype';
import type { Tensor } from '../tensor/tensor';
import { decodeNumber, type ConformanceCase, type TensorCase } from './cases';

export interface GradcheckOptions {
  device?: string;
  eps?: number;
  rtol?: number;
  atol?: number;
  /** At most this many elements per input are perturbed (spread evenly). */
  maxElements?: number;
}

interface HostInput {
  shape: number[];
  dtype: TensorCase['dtype'];
  data: number[];
  perturb: boolean;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
}

/**
 * Checks the gradient of `op` at the given inputs. Returns null when analytic and numeric
 * gradients agree, else the first disagreement.
 */
export function gradcheck(
  op: string,
  inputs: Record<string, TensorCase | TensorCase[]>,
  attrs: Record<string, AttrValue>,
  opts: GradcheckOptions & { outputs?: string[]; wrt?: string[] } = {},
): string | null {
  const spec = getOpSpec(op);
  if (!spec.grad) return `operator ${op} has no gradient`;
  const device = opts.device ?? 'cpu';
  const eps = opts.eps ?? 1e-6;
  const rtol = opts.rtol ?? 1e-4;
  const atol = opts.atol ?? 1e-6;
  const maxEl = opts.maxElements ?? 24;
  const outSlots = opts.outputs ?? [spec.outputs[0]!.name];

  // Host copies of every input, floats promoted to float64.
  const host: Record<string, HostInput[]> = {};
  const isList: Record<string, boolean> = {};
  for (const [slot, v] of Object.entries(inputs)) {
    const s = spec.inputs.find((x) => x.name === slot);
    isList[slot] = Array.isArray(v);
    host[slot] = (Array.isArray(v) ? v : [v]).map((tc) => {
      const float = isFloatDType(tc.dtype);
      const perturb = float && !s?.noGrad && (!opts.wrt || opts.wrt.includes(slot));
      return { shape: tc.shape, dtype: float ? 'float64' : tc.dtype, data: tc.data.map(decodeNumber), perturb };
    });
  }
  const rng0 = engine.getRngState();
  const build = (): SlotMap<Tensor> => {
    const m: SlotMap<Tensor> = {};
    for (const [slot, list] of Object.entries(host)) {
      const ts = list.map((h) => {
        const t =
          h.dtype === 'int64'
            ? tensor(BigInt64Array.from(h.data.map((x) => BigInt(x))), { shape: h.shape, place: device })
            : tensor(h.data, { shape: h.shape, dtype: h.dtype, place: device });
        if (h.perturb) t.stopGradient = false;
        return t;
      });
      m[slot] = isList[slot] ? ts : ts[0];
    }
    return m;
  };
  let weights: Record<string, number[][]> | null = null;
  const lossOf = (outs: SlotMap<Tensor>): { value: number; loss: Tensor | null } => {
    if (!weights) {
      const r = lcg(1234);
      weights = {};
      for (const slot of outSlots) {
        const o = outs[slot];
        if (!o) throw new Error(`gradcheck ${op}: output ${slot} was not produced`);
        weights[slot] = (Array.isArray(o) ? o : [o]).map((t) => Array.from({ length: t.size }, r));
      }
    }
    let value = 0;
    let loss: Tensor | null = null;
    for (const slot of outSlots) {
      const list = outs[slot]!;
      (Array.isArray(list) ? list : [list]).forEach((t, i) => {
        const w = weights![slot]![i]!;
        const d = t.toFlatArray();
        for (let k = 0; k < d.length; k++) value += d[k]! * w[k]!;
        if (!t.stopGradient) {
          const wt = tensor(w, { shape: t.shape, dtype: t.dtype, place: device });
          const term = engine.runOp('reduce_sum', { X: engine.runOp('elementwise_mul', { X: t, Y: wt }).Out as Tensor }, { reduce_all: true }).Out as Tensor;
          loss = loss ? (engine.runOp('elementwise_add', { X: loss, Y: term }).Out as Tensor) : term;
        }
      });
    }
    return { value, loss };
  };
  const evalAt = (): number =>
    engine.tidy(() => {
      engine.setRngState(rng0);
      return engine.noGrad(() => lossOf(engine.runOp(op, build(), attrs)).value);
    });

  return engine.tidy(() => {
    engine.setRngState(rng0);
    const ins = build();
    const outs = engine.runOp(op, ins, attrs);
    const { loss } = lossOf(outs);
    const targets: { slot: string; idx: number; t: Tensor }[] = [];
    for (const [slot, v] of Object.entries(ins)) {
      const list = Array.isArray(v) ? v : [v!];
      list.forEach((t, idx) => {
        if (host[slot]![idx]!.perturb) targets.push({ slot, idx, t });
      });
    }
    if (!targets.length) return `gradcheck ${op}: no float input to differentiate`;
    if (!loss) return `gradcheck ${op}: outputs ${outSlots.join(', ')} do not depend on any perturbed input`;
    const grads = grad(loss, targets.map((x) => x.t), undefined, { allowUnused: true });
    for (let ti = 0; ti < targets.length; ti++) {
      const { slot, idx } = targets[ti]!;
      const h = host[slot]![idx]!;
      const g = grads[ti];
      const analytic = g ? g.toFlatArray() : new Array<number>(h.data.length).fill(0);
      const n = h.data.length;
      const step = Math.max(1, Math.floor(n / maxEl));
      for (let k = 0; k < n; k += step) {
        const orig = h.data[k]!;
        h.data[k] = orig + eps;
        const fp = evalAt();
        h.data[k] = orig - eps;
        const fm = evalAt();
        h.data[k] = orig;
        const numeric = (fp - fm) / (2 * eps);
        const a = analytic[k]!;
        if (!(Math.abs(a - numeric) <= atol + rtol * Math.max(Math.abs(numeric), Math.abs(a)))) {
          return `d/d${slot}${isList[slot] ? `[${idx}]` : ''}[${k}]: autograd ${a}, finite difference ${numeric}`;
        }
      }
    }
    return null;
  });
}

/** The gradient check a conformance case implies, or the reason it has none. */
export function caseGradcheck(c: ConformanceCase, opts: GradcheckOptions = {}): string | null {
  return gradcheck(c.op, c.inputs, c.attrs, { ...opts, outputs: c.grad_outputs, wrt: c.grad_inputs });
}
