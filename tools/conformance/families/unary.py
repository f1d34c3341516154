"""Unary math, clip, clip_grad and the unary pow op (NumPy reference in float64, rounded to the
case dtype; erf from PyTorch, which NumPy lacks)."""
import numpy as np
import torch

from common import T, case, np_version, rng, torch_version

REFERENCE = np_version() + ' / ' + torch_version() + ' (erf)'

FLT_MAX = float(np.finfo(np.float32).max)


def away(x, kinks, gap=0.05):
    x = np.array(x, dtype=np.float64)
    for k in kinks:
        near = np.abs(x - k) < gap
        x[near] = k + np.where(x[near] >= k, gap, -gap)
    return x


def away_from_integers(x, gap=0.05):
    f = x - np.round(x)
    x = np.where(np.abs(f) < gap, np.round(x) + np.where(f >= 0, gap, -gap), x)
    return x


def t_erf(x):
    return torch.erf(torch.tensor(x, dtype=torch.float64)).numpy()


def round_half_away(x):
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


# op -> (reference in float64, input sampler(rng, shape))
OPS = {
    'exp': (np.exp, lambda r, s: r.standard_normal(s) * 2),
    'expm1': (np.expm1, lambda r, s: r.standard_normal(s)),
    'log': (np.log, lambda r, s: r.uniform(0.1, 5, s)),
    'log2': (np.log2, lambda r, s: r.uniform(0.1, 5, s)),
    'log10': (np.log10, lambda r, s: r.uniform(0.1, 5, s)),
    'log1p': (np.log1p, lambda r, s: r.uniform(-0.9, 4, s)),
    'sqrt': (np.sqrt, lambda r, s: r.uniform(0.1, 5, s)),
    'rsqrt': (lambda x: 1 / np.sqrt(x), lambda r, s: r.uniform(0.2, 5, s)),
    'abs': (np.abs, lambda r, s: away(r.standard_normal(s) * 2, [0])),
    'square': (np.square, lambda r, s: r.standard_normal(s) * 2),
    'reciprocal': (np.reciprocal, lambda r, s: np.sign(r.standard_normal(s)) * r.uniform(0.3, 3, s)),
    'sin': (np.sin, lambda r, s: r.uniform(-4, 4, s)),
    'cos': (np.cos, lambda r, s: r.uniform(-4, 4, s)),
    'tan': (np.tan, lambda r, s: r.uniform(-1.3, 1.3, s)),
    'asin': (np.arcsin, lambda r, s: r.uniform(-0.9, 0.9, s)),
    'acos': (np.arccos, lambda r, s: r.uniform(-0.9, 0.9, s)),
    'atan': (np.arctan, lambda r, s: r.standard_normal(s) * 3),
    'sinh': (np.sinh, lambda r, s: r.standard_normal(s) * 2),
    'cosh': (np.cosh, lambda r, s: r.standard_normal(s) * 2),
    'floor': (np.floor, lambda r, s: away_from_integers(r.standard_normal(s) * 3)),
    'ceil': (np.ceil, lambda r, s: away_from_integers(r.standard_normal(s) * 3)),
    'round': (round_half_away, lambda r, s: away_from_integers(r.standard_normal(s) * 3 + 0.5) - 0.5),
    'sign': (np.sign, lambda r, s: away(r.standard_normal(s), [0])),
    'erf': (t_erf, lambda r, s: r.standard_normal(s) * 1.5),
}


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def unary_cases(r):
    out = []
    for op, (fn, sample) in OPS.items():
        x = f32(sample(r, (2, 3, 4)))
        out.append(case('%s/float32' % op, op, {'X': T(x, np.float32)}, {}, {'Out': T(fn(x), np.float32)}))
        x = f32(sample(r, (7,)))
        out.append(case('%s/odd7' % op, op, {'X': T(x, np.float32)}, {}, {'Out': T(fn(x), np.float32)}))
        x = sample(r, (3, 1, 5))
        out.append(case('%s/float64' % op, op, {'X': T(x)}, {}, {'Out': T(fn(x))},
                        grad=False, grad_skip_reason='covered by the float32 cases'))
    # rounding ties go away from zero (C's round), unlike numpy's half-to-even
    ties = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -0.49999997, 3.4999998])
    out.append(case('round/ties', 'round', {'X': T(ties, np.float32)}, {}, {'Out': T(round_half_away(f32(ties)), np.float32)},
                    grad=False, grad_skip_reason='ties sit on the steps'))
    z = np.array([-2.0, 0.0, 3.0, -0.0])
    out.append(case('sign/zeros', 'sign', {'X': T(z, np.float32)}, {}, {'Out': T(np.sign(z), np.float32)},
                    grad=False, grad_skip_reason='zero is a step'))
    # erf over its whole range in float64 (the series/Chebyshev switch sits at |x| = 1)
    x = np.concatenate([np.linspace(-7, 7, 57), [0.999999, 1.0, 1.000001, -1e-8, 26.5]])
    out.append(case('erf/range_float64', 'erf', {'X': T(x)}, {}, {'Out': T(t_erf(x))},
                    grad=False, grad_skip_reason='covered by the float32 cases'))
    # non-finite results
    nf = np.array([0.0, -1.0, np.inf, 1.0])
    with np.errstate(all='ignore'):
        for op, fn in (('log', np.log), ('sqrt', np.sqrt), ('reciprocal', np.reciprocal), ('exp', np.exp)):
            xs = nf if op != 'exp' else np.array([-np.inf, 0.0, 100.0, np.inf])
            out.append(case('%s/nonfinite' % op, op, {'X': T(xs, np.float32)}, {}, {'Out': T(fn(xs.astype(np.float32)))},
                            grad=False, grad_skip_reason='non-finite values'))
    # integer inputs (abs, square, sign)
    xi = r.integers(-50, 50, (3, 4)).astype(np.int32)
    for op, fn in (('abs', np.abs), ('square', np.square), ('sign', np.sign)):
        out.append(case('%s/int32' % op, op, {'X': T(xi)}, {}, {'Out': T(fn(xi).astype(np.int32))}))
    xl = r.integers(-10 ** 6, 10 ** 6, (5,)).astype(np.int64)
    out.append(case('abs/int64', 'abs', {'X': T(xl)}, {}, {'Out': T(np.abs(xl))}))
    out.append(case('square/int64', 'square', {'X': T(xl)}, {}, {'Out': T(np.square(xl))}))
    return out


def pow_cases(r):
    out = []
    for name, factor, lo in (('square', 2.0, -2.0), ('cube', 3.0, -2.0), ('sqrt', 0.5, 0.2), ('neg1.5', -1.5, 0.3),
                             ('f1.7', 1.7, 0.1), ('one', 1.0, -2.0), ('zero', 0.0, 0.2)):
        x = f32(r.uniform(lo, 2.5, (2, 3, 4)))
        out.append(case('pow/%s' % name, 'pow', {'X': T(x, np.float32)}, {'factor': factor},
                        {'Out': T(np.power(x, factor), np.float32)}))
    x = r.uniform(0.2, 3, (3, 5))
    out.append(case('pow/float64', 'pow', {'X': T(x)}, {'factor': 2.5}, {'Out': T(np.power(x, 2.5))},
                    grad=False, grad_skip_reason='covered by the float32 cases'))
    # the factor as a tensor overrides the attribute
    x = f32(r.uniform(0.2, 3, (2, 5)))
    out.append(case('pow/factor_tensor', 'pow', {'X': T(x, np.float32), 'FactorTensor': T(np.array([1.5]), np.float32)},
                    {'factor': 4.0}, {'Out': T(np.power(x, 1.5), np.float32)}))
    return out


def clip_cases(r):
    out = []
    x = f32(away(r.standard_normal((2, 3, 4)) * 2, [-0.5, 0.75]))
    out.append(case('clip/both', 'clip', {'X': T(x, np.float32)}, {'min': -0.5, 'max': 0.75},
                    {'Out': T(np.clip(x, -0.5, 0.75), np.float32)}))
    x = f32(away(r.standard_normal((7,)) * 2, [0.25]))
    out.append(case('clip/min_only', 'clip', {'X': T(x, np.float32)}, {'min': 0.25, 'max': FLT_MAX},
                    {'Out': T(np.maximum(x, 0.25), np.float32)}))
    x = f32(away(r.standard_normal((3, 5)) * 2, [-1.0]))
    out.append(case('clip/max_only', 'clip', {'X': T(x, np.float32)}, {'min': -FLT_MAX, 'max': -1.0},
                    {'Out': T(np.minimum(x, -1.0), np.float32)}))
    # tensor bounds override the attributes
    x = f32(away(r.standard_normal((2, 5)) * 2, [-0.25, 1.5]))
    out.append(case('clip/tensor_bounds', 'clip',
                    {'X': T(x, np.float32), 'Min': T(np.array([-0.25]), np.float32), 'Max': T(np.array([1.5]), np.float32)},
                    {'min': -10.0, 'max': 10.0}, {'Out': T(np.clip(x, -0.25, 1.5), np.float32)}))
    x = away(r.standard_normal((3, 1, 4)), [-0.5, 0.75])
    out.append(case('clip/float64', 'clip', {'X': T(x)}, {'min': -0.5, 'max': 0.75}, {'Out': T(np.clip(x, -0.5, 0.75))},
                    grad=False, grad_skip_reason='covered by the float32 cases'))
    xi = r.integers(-20, 20, (4, 3)).astype(np.int32)
    out.append(case('clip/int32', 'clip', {'X': T(xi)}, {'min': -5.0, 'max': 7.0}, {'Out': T(np.clip(xi, -5, 7))}))
    xl = r.integers(-20, 20, (6,)).astype(np.int64)
    out.append(case('clip/int64_truncated_bounds', 'clip', {'X': T(xl)}, {'min': -5.7, 'max': 7.9},
                    {'Out': T(np.clip(xl, -5, 7))}))
    # clip_grad: the upstream gradient where min < x < max
    for name, shape, dtype, lo, hi, tensors in (('both', (2, 3, 4), np.float32, -0.5, 0.75, False),
                                                 ('tensor_bounds', (2, 5), np.float32, -0.25, 1.5, True),
                                                 ('float64', (3, 4), np.float64, -1.0, 0.5, False)):
        x = away(r.standard_normal(shape) * 2, [lo, hi]).astype(dtype).astype(np.float64)
        dy = r.standard_normal(shape).astype(dtype).astype(np.float64)
        want = np.where((x > lo) & (x < hi), dy, 0.0)
        ins = {'X': T(x, dtype), 'Out@GRAD': T(dy, dtype)}
        attrs = {'min': lo, 'max': hi}
        if tensors:
            ins['Min'] = T(np.array([lo]), dtype)
            ins['Max'] = T(np.array([hi]), dtype)
            attrs = {'min': -10.0, 'max': 10.0}
        extra = {} if dtype == np.float32 else {'grad': False, 'grad_skip_reason': 'covered by the float32 cases'}
        out.append(case('clip_grad/%s' % name, 'clip_grad', ins, attrs, {'X@GRAD': T(want, dtype)}, **extra))
    return out


def cases():
    r = rng(11)
    return unary_cases(r) + pow_cases(r) + clip_cases(r)
