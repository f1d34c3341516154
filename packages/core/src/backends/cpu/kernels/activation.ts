/**
 * CPU kernels of the activations and their `<op>_grad` ops, one pass each. FORWARD gives the
 * loop computing f; DERIV the loop computing dOut · f', with f' written in terms of the tensor
 * the grad op reads (Out for relu, relu6, hard_sigmoid, sigmoid, tanh; X otherwise; see
 * ACT_GRAD_DEP in the spec). Every op has its own loop literal so that V8 inlines the math
 * (see `Loop` in unary.ts).
 */
import type { Attrs, KernelFn, TensorMeta } from '../../../kernels/registry';
import { ACT_GRAD_DEP, preluLayout } from '../../../kernels/specs/activation';
import { boolAttr, floatAttr } from '../../../kernels/specs/common';
import type { FloatArray } from '../../../tensor/dtype';
import { numel } from '../../../tensor/shape';
import type { Tensor } from '../../../tensor/tensor';
import { floatBuf, narrowTo, rawBuf } from '../backend';
import { dnnlElementwise, dnnlEltwise, dnnlEltwiseGrad, dnnlRelu, dnnlReluGrad } from '../dnnl/eltwise';
import { ALG_ELTWISE_GELU_ERF, ALG_ELTWISE_GELU_TANH, ALG_ELTWISE_LOGISTIC, ALG_ELTWISE_LOGISTIC_USE_DST, ALG_ELTWISE_TANH, ALG_ELTWISE_TANH_USE_DST } from '../dnnl/lib';
import { layoutOf, sameLayout, setLayout, toPlain } from '../dnnl/layout';
import { takeF32 } from '../pool';
import { erfc, gradLoopKernel, loopKernel, stageArray, type GradLoop, type Loop } from './unary';

const f = (a: Attrs, name: string): number => floatAttr(a, name);
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const GELU_C = 0.044715;

/** 1 / (1 + e^-x); for very negative x exp overflows to Infinity, giving exactly 0. */
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Paddle's mish softplus: x above the threshold, e^x below -threshold, log(1 + e^x) between. */
const mishSp = (x: number, th: number): number => (x > th ? x : x < -th ? Math.exp(x) : Math.log1p(Math.exp(x)));

// ---- branch-free float32 relu family -------------------------------------------------------------
//
// `x < 0 ? 0 : x` compiles to a branch that mispredicts on mixed-sign data (~50% of activations).
// For float32 the test runs on the bit pattern instead, through an Int32Array view, with the exact
// semantics of the float comparison: with u = bits + 0x7fffffff (wrapping),
//   x < 0  <=>  0 <= u <= 0x7f7fffff  <=>  sign bit of ((u - 0x7f800000) & ~u)
// which is false for -0 (u = -1) and for NaN of either sign (u > 0x7f7fffff or u < 0), so -0 and
// NaN pass through unchanged, as in the generic loop. Likewise, with t = bits - 1,
//   y > 0  <=>  0 <= t <= 0x7f7fffff  (0 < bits <= +Infinity's bits).
// Each mask is 0 or -1, and out-bits = in-bits & mask gives the value or +0 exactly.

const i32 = (a: Float32Array, n: number): Int32Array => new Int32Array(a.buffer, a.byteOffset, n);

/** o = x < 0 ? 0 : x on float32. */
function reluF32(s: Float32Array, o: Float32Array, n: number): void {
  const si = i32(s, n);
  const oi = i32(o, n);
  for (let i = 0; i < n; i++) {
    const v = si[i]!;
    const u = (v + 0x7fffffff) | 0;
    oi[i] = v & ~((((u - 0x7f800000) | 0) & ~u) >> 31);
  }
}

/** o = y > 0 ? dy : 0 on float32 (y the relu output). */
function reluGradF32(y: Float32Array, dy: Float32Array, o: Float32Array, n: number): void {
  const yi = i32(y, n);
  const di = i32(dy, n);
  const oi = i32(o, n);
  for (let i = 0; i < n; i++) {
    const t = (yi[i]! - 1) | 0;
    oi[i] = di[i]! & ((((t - 0x7f800000) | 0) & ~t) >> 31);
  }
}

/** o = x < 0 ? 0 : x > th ? th : x on float32, for th >= 0 (the upper test rarely fires, so it branches). */
function relu6F32(s: Float32Array, o: Float32Array, n: number, th: number): void {
  const si = i32(s, n);
  const oi = i32(o, n);
  for (let i = 0; i < n; i++) {
    const v = si[i]!;
    const u = (v + 0x7fffffff) | 0;
    oi[i] = v & ~((((u - 0x7f800000) | 0) & ~u) >> 31);
    if (s[i]! > th) o[i] = th;
  }
}

/** o = y > 0 && y < th ? dy : 0 on float32 (y the relu6 output). */
function relu6GradF32(y: Float32Array, dy: Float32Array, o: Float32Array, n: number, th: number): void {
  const yi = i32(y, n);
  const di = i32(dy, n);
  const oi = i32(o, n);
  for (let i = 0; i < n; i++) {
    const t = (yi[i]! - 1) | 0;
    const m = di[i]! & ((((t - 0x7f800000) | 0) & ~t) >> 31);
    oi[i] = y[i]! < th ? m : 0;
  }
}

const FORWARD: Record<string, (a: Attrs) => Loop> = {
  relu: () => (s, o, n) => {
    if (s instanceof Float32Array && o instanceof Float32Array) return reluF32(s, o, n);
    for (let i = 0; i < n; i++) {
      const x = s[i]!;
      o[i] = x < 0 ? 0 : x; // NaN passes through
    }
  },
  relu6: (a) => {
    const t = f(a, 'threshold');
    return (s, o, n) => {
      if (t >= 0 && s instanceof Float32Array && o instanceof Float32Array) return relu6F32(s, o, n, t);
      for (let i = 0; i < n; i++) {
        const x = s[i]!;
        o[i] = x < 0 ? 0 : x > t ? t : x;
      }
    };
  },
  leaky_relu: (a) => {
    const al = f(a, 'alpha');
    return (s, o, n) => {
      for (let i = 0; i < n; i++) {
        const x = s[i]!;
        o[i] = x > 0 ? x : al * x;
      }
    };
  },
  brelu: (a) => {
    const lo = f(a, 't_min');
    const hi = f(a, 't_max');
    return (s, o, n) => {
      for (let i = 0; i < n; i++) {
        const x = s[i]!;
        o[i] = x < lo ? lo : x > hi ? hi : x;
      }
    };
  },
  thresholded_relu: (a) => {
    const t = f(a, 'threshold');
    return (s, o, n) => {
      for (let i = 0; i < n; i++) {
        const x = s[i]!;
        o[i] = x > t ? x : 0;
      }
    };
  },
  hard_shrink: (a) => {
    const t = f(a, 'threshold');
    return (s, o, n) => {
      for (let i = 0; i < n; i++) {
        const x = s[i]!;
        o[i] = x < -t || x > t ? x : 0;
      }
    };
  },
  softshrink: (a) => {
    const l = f(a, 'lambda');
    return (s, o, n) => {
      for (let i = 0; i < n; i++) {
        const x = s[i]!;
        o[i] = x > l ? x - l : x < -l ? x + l : 0;
      }
    };
  },
  hard_sigmoid: (a) => {
    const sl = f(a, 'slope');
    const of = f(a, 'offset');
    return (s, o, n) => {
      for (let i = 0; i < n; i++) {
        const v = sl * s[i]! + of;
        o[i] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    };
  },
  sigmoid: () => (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = 1 / (1 + Math.exp(-s[i]!));
  },
  // log sigmoid(x) = min(x, 0) - log1p(exp(-|x|)), without overflow on either side
  logsigmoid: () => (s, o, n) => {
    for (let i = 0; i < n; i++) {
      const x = s[i]!;
      o[i] = (x < 0 ? x : 0) - Math.log1p(Math.exp(-Math.abs(x)));
    }
  },
  tanh: () => (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.tanh(s[i]!);
  },
  gelu: (a) =>
    boolAttr(a, 'approximate')
      ? (s, o, n) => {
          for (let i = 0; i < n; i++) {
            const x = s[i]!;
            o[i] = 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_C * x * x * x)));
          }
        }
      : // x·Phi(x) with Phi through erfc, accurate for large negative x
        (s, o, n) => {
          for (let i = 0; i < n; i++) {
            const x = s[i]!;
            o[i] = 0.5 * x * erfc(-x * Math.SQRT1_2);
          }
        },
  softplus: (a) => {
    const b = f(a, 'beta');
    const t = f(a, 'threshold');
    return (s, o, n) => {
      for (let i = 0; i < n; i++) {
        const x = s[i]!;
        const bx = b * x;
        // log(1 + e^bx) = max(bx, 0) + log1p(e^-|bx|)
        o[i] = bx > t ? x : ((bx > 0 ? bx : 0) + Math.log1p(Math.exp(-Math.abs(bx)))) / b;
      }
    };
  },
  mish: (a) => {
    const t = f(a, 'threshold');
    return (s, o, n) => {
      for (let i = 0; i < n; i++) {
        const x = s[i]!;
        o[i] = x * Math.tanh(mishSp(x, t));
      }
    };
  },
  swish: (a) => {
    const b = f(a, 'beta');
    return (s, o, n) => {
      for (let i = 0; i < n; i++) {
        const x = s[i]!;
        o[i] = x / (1 + Math.exp(-b * x));
      }
    };
  },
  silu: () => (s, o, n) => {
    for (let i = 0; i < n; i++) {
      const x = s[i]!;
      o[i] = x / (1 + Math.exp(-x));
    }
  },
  elu: (a) => {
    const al = f(a, 'alpha');
    return (s, o, n) => {
      for (let i = 0; i < n; i++) {
        const x = s[i]!;
        o[i] = x > 0 ? x : al * Math.expm1(x);
      }
    };
  },
  selu: (a) => {
    const sc = f(a, 'scale');
    const al = f(a, 'alpha');
    return (s, o, n) => {
      for (let i = 0; i < n; i++) {
        const x = s[i]!;
        o[i] = sc * (x > 0 ? x : al * Math.expm1(x));
      }
    };
  },
  hard_swish: (a) => {
    const t = f(a, 'threshold');
    const sc = f(a, 'scale');
    const of = f(a, 'offset');
    return (s, o, n) => {
      for (let i = 0; i < n; i++) {
        const x = s[i]!;
        const v = x + of;
        // max(v, 0) without a branch: exact, except that v = -0 gives +0 (only for x = offset = -0)
        const p = 0.5 * (v + Math.abs(v));
        o[i] = (x * (p > t ? t : p)) / sc;
      }
    };
  },
  tanh_shrink: () => (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = s[i]! - Math.tanh(s[i]!);
  },
  softsign: () => (s, o, n) => {
    for (let i = 0; i < n; i++) o[i] = s[i]! / (1 + Math.abs(s[i]!));
  },
  stanh: (a) => {
    const sa = f(a, 'scale_a');
    const sb = f(a, 'scale_b');
    return (s, o, n) => {
      for (let i = 0; i < n; i++) o[i] = sb * Math.tanh(sa * s[i]!);
    };
  },
};

const DERIV: Record<string, (a: Attrs) => GradLoop> = {
  relu: () => (out, dy, o, n) => {
    if (out instanceof Float32Array && dy instanceof Float32Array && o instanceof Float32Array) return reluGradF32(out, dy, o, n);
    for (let i = 0; i < n; i++) o[i] = out[i]! > 0 ? dy[i]! : 0;
  },
  relu6: (a) => {
    const t = f(a, 'threshold');
    return (out, dy, o, n) => {
      if (out instanceof Float32Array && dy instanceof Float32Array && o instanceof Float32Array) {
        return relu6GradF32(out, dy, o, n, t);
      }
      for (let i = 0; i < n; i++) o[i] = out[i]! > 0 && out[i]! < t ? dy[i]! : 0;
    };
  },
  leaky_relu: (a) => {
    const al = f(a, 'alpha');
    return (x, dy, o, n) => {
      for (let i = 0; i < n; i++) o[i] = x[i]! > 0 ? dy[i]! : al * dy[i]!;
    };
  },
  brelu: (a) => {
    const lo = f(a, 't_min');
    const hi = f(a, 't_max');
    return (x, dy, o, n) => {
      for (let i = 0; i < n; i++) o[i] = x[i]! > lo && x[i]! < hi ? dy[i]! : 0;
    };
  },
  thresholded_relu: (a) => {
    const t = f(a, 'threshold');
    return (x, dy, o, n) => {
      for (let i = 0; i < n; i++) o[i] = x[i]! > t ? dy[i]! : 0;
    };
  },
  hard_shrink: (a) => {
    const t = f(a, 'threshold');
    return (x, dy, o, n) => {
      for (let i = 0; i < n; i++) o[i] = x[i]! < -t || x[i]! > t ? dy[i]! : 0;
    };
  },
  softshrink: (a) => {
    const l = f(a, 'lambda');
    return (x, dy, o, n) => {
      for (let i = 0; i < n; i++) o[i] = x[i]! > l || x[i]! < -l ? dy[i]! : 0;
    };
  },
  hard_sigmoid: (a) => {
    const sl = f(a, 'slope');
    return (out, dy, o, n) => {
      for (let i = 0; i < n; i++) o[i] = out[i]! > 0 && out[i]! < 1 ? sl * dy[i]! : 0;
    };
  },
  sigmoid: () => (out, dy, o, n) => {
    for (let i = 0; i < n; i++) o[i] = dy[i]! * out[i]! * (1 - out[i]!);
  },
  tanh: () => (out, dy, o, n) => {
    for (let i = 0; i < n; i++) o[i] = dy[i]! * (1 - out[i]! * out[i]!);
  },
  gelu: (a) =>
    boolAttr(a, 'approximate')
      ? (xs, dy, o, n) => {
          for (let i = 0; i < n; i++) {
            const x = xs[i]!;
            const x2 = x * x;
            const t = Math.tanh(SQRT_2_OVER_PI * (x + GELU_C * x2 * x));
            o[i] = dy[i]! * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_C * x2));
          }
        }
      : // Phi(x) + x·phi(x)
        (xs, dy, o, n) => {
          for (let i = 0; i < n; i++) {
            const x = xs[i]!;
            o[i] = dy[i]! * (0.5 * erfc(-x * Math.SQRT1_2) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x));
          }
        },
  softplus: (a) => {
    const b = f(a, 'beta');
    const t = f(a, 'threshold');
    return (x, dy, o, n) => {
      for (let i = 0; i < n; i++) {
        const bx = b * x[i]!;
        o[i] = bx > t ? dy[i]! : dy[i]! / (1 + Math.exp(-bx));
      }
    };
  },
  mish: (a) => {
    const th = f(a, 'threshold');
    return (xs, dy, o, n) => {
      for (let i = 0; i < n; i++) {
        const x = xs[i]!;
        const sp = mishSp(x, th);
        const p = x > th ? 1 : x < -th ? sp : sigmoid(x); // d sp / dx
        const t = Math.tanh(sp);
        o[i] = dy[i]! * (t + x * (1 - t * t) * p);
      }
    };
  },
  swish: (a) => {
    const b = f(a, 'beta');
    return (xs, dy, o, n) => {
      for (let i = 0; i < n; i++) {
        const bx = b * xs[i]!;
        const s = 1 / (1 + Math.exp(-bx));
        o[i] = dy[i]! * (s + bx * s * (1 - s));
      }
    };
  },
  silu: () => (xs, dy, o, n) => {
    for (let i = 0; i < n; i++) {
      const x = xs[i]!;
      const s = 1 / (1 + Math.exp(-x));
      o[i] = dy[i]! * (s + x * s * (1 - s));
    }
  },
  elu: (a) => {
    const al = f(a, 'alpha');
    return (x, dy, o, n) => {
      for (let i = 0; i < n; i++) o[i] = x[i]! > 0 ? dy[i]! : dy[i]! * al * Math.exp(x[i]!);
    };
  },
  selu: (a) => {
    const sc = f(a, 'scale');
    const al = f(a, 'alpha');
    return (x, dy, o, n) => {
      for (let i = 0; i < n; i++) o[i] = dy[i]! * (x[i]! > 0 ? sc : sc * al * Math.exp(x[i]!));
    };
  },
  hard_swish: (a) => {
    const t = f(a, 'threshold');
    const sc = f(a, 'scale');
    const of = f(a, 'offset');
    return (xs, dy, o, n) => {
      for (let i = 0; i < n; i++) {
        const x = xs[i]!;
        const v = x + of;
        o[i] = dy[i]! * (v <= 0 ? 0 : v >= t ? t / sc : (2 * x + of) / sc);
      }
    };
  },
};

/** prelu: Out = x for x > 0, alpha · x otherwise, alpha shared per mode. */
const prelu: KernelFn = (inputs, ctx) => {
  const xt = inputs.X as Tensor;
  const at = inputs.Alpha as Tensor;
  const { mode, nhwc } = preluLayout(xt.shape, at.shape, ctx.attrs);
  const x = floatBuf(xt);
  const alpha = floatBuf(at);
  const dtype = (ctx.meta.Out as TensorMeta).dtype;
  const n = x.length;
  const out = stageArray(dtype, n) as FloatArray;
  if (mode === 'all') {
    const al = alpha[0]!;
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      out[i] = v > 0 ? v : al * v;
    }
  } else if (mode === 'element' || nhwc) {
    // alpha repeats with period numel(alpha): per sample (element) or per pixel (channel, NHWC)
    const p = alpha.length;
    for (let base = 0; base < n; base += p) {
      for (let j = 0; j < p; j++) {
        const v = x[base + j]!;
        out[base + j] = v > 0 ? v : alpha[j]! * v;
      }
    }
  } else {
    // channel, NCHW: one alpha per contiguous run of numel(x.shape[2:]) elements
    const c = alpha.length;
    const inner = numel(xt.shape.slice(2));
    for (let base = 0, ch = 0; base < n; base += inner, ch = (ch + 1) % c) {
      const al = alpha[ch]!;
      for (let j = base; j < base + inner; j++) {
        const v = x[j]!;
        out[j] = v > 0 ? v : al * v;
      }
    }
  }
  return { Out: narrowTo(dtype, out) };
};

/**
 * relu and relu_grad on large float32 tensors through oneDNN, in whatever layout the inputs are
 * stored (dnnl/layout.ts): elementwise, so the result takes that layout too. Otherwise the loops.
 */
function reluDnnl(loop: KernelFn): KernelFn {
  return (inputs, ctx) => {
    const xr = rawBuf(inputs.X as Tensor);
    if (!(xr instanceof Float32Array) || !dnnlElementwise(xr.length)) return loop(inputs, ctx);
    const out = takeF32(xr.length, false);
    if (!dnnlRelu(xr, out, xr.length)) return loop(inputs, ctx);
    setLayout(out, layoutOf(xr));
    return { Out: out };
  };
}

function reluGradDnnl(loop: KernelFn): KernelFn {
  return (inputs, ctx) => {
    const yr = rawBuf(inputs.Out as Tensor);
    const dyr = rawBuf(inputs['Out@GRAD'] as Tensor);
    if (!(yr instanceof Float32Array && dyr instanceof Float32Array) || !dnnlElementwise(yr.length)) return loop(inputs, ctx);
    if (!sameLayout(layoutOf(yr), layoutOf(dyr))) {
      toPlain(yr);
      toPlain(dyr);
    }
    const dx = takeF32(yr.length, false);
    if (!dnnlReluGrad(yr, dyr, dx, yr.length)) return loop(inputs, ctx);
    setLayout(dx, layoutOf(yr));
    return { 'X@GRAD': dx };
  };
}

/** oneDNN's algorithm for an activation (forward, and backward from the slot its grad op reads). */
interface EltwiseAlg {
  fwd: number;
  bwd: number;
}

const DNNL_ACTIVATIONS: Record<string, (a: Attrs) => EltwiseAlg> = {
  gelu: (a) => (boolAttr(a, 'approximate') ? { fwd: ALG_ELTWISE_GELU_TANH, bwd: ALG_ELTWISE_GELU_TANH } : { fwd: ALG_ELTWISE_GELU_ERF, bwd: ALG_ELTWISE_GELU_ERF }),
  tanh: () => ({ fwd: ALG_ELTWISE_TANH, bwd: ALG_ELTWISE_TANH_USE_DST }),
  sigmoid: () => ({ fwd: ALG_ELTWISE_LOGISTIC, bwd: ALG_ELTWISE_LOGISTIC_USE_DST }),
};

/** An activation on a large float32 tensor through oneDNN (in its stored layout); the loop otherwise. */
function eltwiseDnnl(loop: KernelFn, alg: (a: Attrs) => EltwiseAlg): KernelFn {
  return (inputs, ctx) => {
    const xr = rawBuf(inputs.X as Tensor);
    if (!(xr instanceof Float32Array) || (ctx.meta.Out as TensorMeta).dtype !== 'float32' || !dnnlElementwise(xr.length)) return loop(inputs, ctx);
    const out = takeF32(xr.length, false);
    if (!dnnlEltwise(alg(ctx.attrs).fwd, 0, 0, xr, out, xr.length)) return loop(inputs, ctx);
    setLayout(out, layoutOf(xr));
    return { Out: out };
  };
}

function eltwiseGradDnnl(loop: KernelFn, dep: 'X' | 'Out', alg: (a: Attrs) => EltwiseAlg): KernelFn {
  return (inputs, ctx) => {
    const vr = rawBuf(inputs[dep] as Tensor);
    const dyr = rawBuf(inputs['Out@GRAD'] as Tensor);
    const f32 = vr instanceof Float32Array && dyr instanceof Float32Array && (ctx.meta['X@GRAD'] as TensorMeta).dtype === 'float32';
    if (!f32 || !dnnlElementwise(vr.length)) return loop(inputs, ctx);
    if (!sameLayout(layoutOf(vr), layoutOf(dyr))) {
      toPlain(vr);
      toPlain(dyr);
    }
    const dx = takeF32(vr.length, false);
    if (!dnnlEltwiseGrad(alg(ctx.attrs).bwd, 0, 0, vr, dyr, dx, vr.length)) return loop(inputs, ctx);
    setLayout(dx, layoutOf(vr));
    return { 'X@GRAD': dx };
  };
}

const loops: Record<string, KernelFn> = {
  ...Object.fromEntries(Object.entries(FORWARD).map(([k, make]) => [k, loopKernel(make)])),
  ...Object.fromEntries(
    Object.entries(DERIV).map(([k, make]) => {
      const dep = ACT_GRAD_DEP[k];
      if (!dep) throw new Error(`activation kernel ${k}_grad: the spec declares no grad op`);
      return [`${k}_grad`, gradLoopKernel(dep, make)];
    }),
  ),
};

export const kernels: Record<string, KernelFn> = {
  prelu,
  ...loops,
  relu: reluDnnl(loops.relu!),
  relu_grad: reluGradDnnl(loops.relu_grad!),
  ...Object.fromEntries(
    Object.entries(DNNL_ACTIVATIONS).flatMap(([k, alg]) => [
      [k, eltwiseDnnl(loops[k]!, alg)],
      [`${k}_grad`, eltwiseGradDnnl(loops[`${k}_grad`]!, ACT_GRAD_DEP[k]!, alg)],
    ]),
  ),
};

