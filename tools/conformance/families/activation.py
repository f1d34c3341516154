"""Activations and their <op>_grad ops (PyTorch reference, float64, rounded to the case dtype;
NumPy where torch has no matching function or attribute)."""
import numpy as np
import torch
import torch.nn.functional as F

from common import T, case, rng, torch_version

REFERENCE = torch_version() + ' (CPU, float64) / numpy'

SELU_SCALE = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717


def away(x, kinks, gap=0.05):
    """Moves values within `gap` of a kink to kink ± gap (gradient checks need smooth points)."""
    x = np.array(x, dtype=np.float64)
    for k in kinks:
        near = np.abs(x - k) < gap
        x[near] = k + np.where(x[near] >= k, gap, -gap)
    return x


def tt(a):
    return torch.tensor(np.asarray(a, dtype=np.float64))


def np_softplus(x, beta, th):
    bx = beta * x
    return np.where(bx > th, x, np.logaddexp(0, bx) / beta)


def t_mish(x, th):
    sp = torch.where(x > th, x, torch.where(x < -th, torch.exp(x), torch.log1p(torch.exp(x))))
    return x * torch.tanh(sp)


# op -> list of (variant name, attrs, torch function of a float64 tensor, kinks of f or f')
def variants():
    return {
        'relu': [('default', {}, torch.relu, [0])],
        'relu6': [('default', {'threshold': 6.0}, lambda x: torch.clamp(x, 0, 6), [0, 6]),
                  ('threshold3', {'threshold': 3.0}, lambda x: torch.clamp(x, 0, 3), [0, 3])],
        'leaky_relu': [('default', {'alpha': 0.02}, lambda x: F.leaky_relu(x, 0.02), [0]),
                       ('alpha0.3', {'alpha': 0.3}, lambda x: F.leaky_relu(x, 0.3), [0])],
        'brelu': [('default', {'t_min': 0.0, 't_max': 24.0}, lambda x: torch.clamp(x, 0, 24), [0, 24]),
                  ('pm1', {'t_min': -1.0, 't_max': 1.0}, lambda x: torch.clamp(x, -1, 1), [-1, 1])],
        'thresholded_relu': [
            ('default', {'threshold': 1.0}, lambda x: torch.where(x > 1, x, torch.zeros_like(x)), [1]),
            ('negative', {'threshold': -0.5}, lambda x: torch.where(x > -0.5, x, torch.zeros_like(x)), [-0.5])],
        'hard_shrink': [('default', {'threshold': 0.5}, lambda x: F.hardshrink(x, 0.5), [-0.5, 0.5]),
                        ('t1.5', {'threshold': 1.5}, lambda x: F.hardshrink(x, 1.5), [-1.5, 1.5])],
        'softshrink': [('default', {'lambda': 0.5}, lambda x: F.softshrink(x, 0.5), [-0.5, 0.5]),
                       ('l1.2', {'lambda': 1.2}, lambda x: F.softshrink(x, 1.2), [-1.2, 1.2])],
        'hard_sigmoid': [
            ('default', {'slope': 0.2, 'offset': 0.5}, lambda x: torch.clamp(0.2 * x + 0.5, 0, 1), [-2.5, 2.5]),
            ('sixth', {'slope': 1 / 6, 'offset': 0.5}, lambda x: torch.clamp(x / 6 + 0.5, 0, 1), [-3, 3])],
        'sigmoid': [('default', {}, torch.sigmoid, [])],
        'logsigmoid': [('default', {}, F.logsigmoid, [])],
        'tanh': [('default', {}, torch.tanh, [])],
        'gelu': [('exact', {'approximate': False}, F.gelu, []),
                 ('tanh', {'approximate': True}, lambda x: F.gelu(x, approximate='tanh'), [])],
        'softplus': [('default', {'beta': 1.0, 'threshold': 20.0}, F.softplus, [20]),
                     ('beta2_t5', {'beta': 2.0, 'threshold': 5.0}, lambda x: F.softplus(x, 2, 5), [2.5])],
        'mish': [('default', {'threshold': 20.0}, F.mish, [-20, 20]),
                 ('threshold1.5', {'threshold': 1.5}, lambda x: t_mish(x, 1.5), [-1.5, 1.5])],
        'swish': [('default', {'beta': 1.0}, F.silu, []),
                  ('beta1.7', {'beta': 1.7}, lambda x: x * torch.sigmoid(1.7 * x), [])],
        'silu': [('default', {}, F.silu, [])],
        'elu': [('default', {'alpha': 1.0}, F.elu, [0]),
                ('alpha0.5', {'alpha': 0.5}, lambda x: F.elu(x, 0.5), [0])],
        'selu': [('default', {'scale': SELU_SCALE, 'alpha': SELU_ALPHA}, F.selu, [0]),
                 ('custom', {'scale': 1.5, 'alpha': 0.7},
                  lambda x: 1.5 * torch.where(x > 0, x, 0.7 * torch.expm1(x)), [0])],
        'hard_swish': [('default', {'threshold': 6.0, 'scale': 6.0, 'offset': 3.0}, F.hardswish, [-3, 3]),
                       ('custom', {'threshold': 4.0, 'scale': 5.0, 'offset': 2.0},
                        lambda x: x * torch.clamp(x + 2, 0, 4) / 5, [-2, 2])],
        'tanh_shrink': [('default', {}, F.tanhshrink, [])],
        'softsign': [('default', {}, F.softsign, [0])],
        'stanh': [('default', {'scale_a': 0.67, 'scale_b': 1.7159}, lambda x: 1.7159 * torch.tanh(0.67 * x), []),
                  ('custom', {'scale_a': 1.5, 'scale_b': 0.5}, lambda x: 0.5 * torch.tanh(1.5 * x), [])],
    }


# activations with a dedicated <op>_grad, and the forward tensor it reads
GRAD_DEP = {
    'relu': 'Out', 'relu6': 'Out', 'leaky_relu': 'X', 'brelu': 'X', 'thresholded_relu': 'X',
    'hard_shrink': 'X', 'softshrink': 'X', 'hard_sigmoid': 'Out', 'sigmoid': 'Out', 'tanh': 'Out',
    'gelu': 'X', 'softplus': 'X', 'mish': 'X', 'swish': 'X', 'silu': 'X', 'elu': 'X', 'selu': 'X',
    'hard_swish': 'X',
}

# derivative in terms of Out, for the grad ops that read Out (any Out value is a valid input)
OUT_DERIV = {
    'relu': lambda o, a: (o > 0).astype(np.float64),
    'relu6': lambda o, a: ((o > 0) & (o < a['threshold'])).astype(np.float64),
    'hard_sigmoid': lambda o, a: a['slope'] * ((o > 0) & (o < 1)),
    'sigmoid': lambda o, a: o * (1 - o),
    'tanh': lambda o, a: 1 - o * o,
}
# kinks of the derivative in Out
OUT_KINKS = {'relu': [0], 'relu6': [0, 6], 'hard_sigmoid': [0, 1], 'sigmoid': [], 'tanh': []}

LARGE = np.array([-1000, -100, -30, -5, -0.5, 0.5, 5, 30, 100, 1000], dtype=np.float64)
STABLE = {'sigmoid', 'logsigmoid', 'softplus', 'tanh', 'gelu', 'swish', 'silu', 'mish', 'softsign', 'elu', 'selu'}


def forward_cases(r):
    out = []
    for op, vs in variants().items():
        for vi, (name, attrs, fn, kinks) in enumerate(vs):
            scale = 15.0 if op == 'brelu' and name == 'default' else 4.0 if op in ('relu6', 'hard_sigmoid') else 2.5
            x = away(r.standard_normal((2, 3, 4)) * scale, kinks)
            out.append(case('%s/%s' % (op, name), op, {'X': T(x, np.float32)}, attrs,
                            {'Out': T(fn(tt(x.astype(np.float32))).numpy(), np.float32)}))
            if vi != 0:
                continue  # the odd, float64 and large-magnitude cases use the first variant
            # odd shape, float64
            x = away(r.standard_normal((3, 1, 5)) * scale, kinks)
            out.append(case('%s/float64_odd' % op, op, {'X': T(x)}, attrs, {'Out': T(fn(tt(x)).numpy())},
                            grad=False, grad_skip_reason='covered by the float32 cases'))
            x = away(r.standard_normal((7,)) * scale, kinks)
            out.append(case('%s/odd7' % op, op, {'X': T(x, np.float32)}, attrs,
                            {'Out': T(fn(tt(x.astype(np.float32))).numpy(), np.float32)}))
            if op in STABLE:
                x = away(LARGE, kinks, 0.5)
                out.append(case('%s/large' % op, op, {'X': T(x, np.float32)}, attrs,
                                {'Out': T(fn(tt(x)).numpy(), np.float32)}))
    # erf-based gelu deep in both tails, where 1 + erf(x) would cancel (float64: relative accuracy)
    x = np.linspace(-12, 12, 25)
    out.append(case('gelu/tails_float64', 'gelu', {'X': T(x)}, {'approximate': False}, {'Out': T(F.gelu(tt(x)).numpy())},
                    grad=False, grad_skip_reason='covered by the float32 cases'))
    # half precision runs through the widened float32 path
    x = away(r.standard_normal((3, 4)) * 2, [0])
    x16 = x.astype(np.float16)
    for op, fn in (('relu', torch.relu), ('sigmoid', torch.sigmoid), ('gelu', F.gelu)):
        out.append(case('%s/float16' % op, op, {'X': T(x16)}, {'approximate': False} if op == 'gelu' else {},
                        {'Out': T(fn(tt(x16.astype(np.float64))).numpy(), np.float16)},
                        grad=False, grad_skip_reason='covered by the float32 cases'))
    return out


def grad_op_cases(r):
    out = []
    vs = variants()
    for op, dep in GRAD_DEP.items():
        for name, attrs, fn, kinks in vs[op][:2]:
            for shape, dtype in (((2, 3, 4), np.float32), ((5,), np.float64)):
                gop = op + '_grad'
                dy = r.standard_normal(shape)
                scale = 15.0 if op == 'brelu' and name == 'default' else 4.0 if op in ('relu6', 'hard_sigmoid') else 2.5
                x = away(r.standard_normal(shape) * scale, kinks).astype(dtype).astype(np.float64)
                dy = dy.astype(dtype).astype(np.float64)
                if dep == 'Out':
                    # any Out is a valid input; keep piecewise masks away from their edges
                    if op in ('sigmoid', 'tanh'):
                        o = fn(tt(x)).numpy()
                    else:
                        o = away(r.uniform(-1, 7 if op == 'relu6' else 1.5, shape), OUT_KINKS[op] if op != 'relu6'
                                 else [0, attrs['threshold']])
                    o = o.astype(dtype).astype(np.float64)
                    want = dy * OUT_DERIV[op](o, attrs)
                    ins = {'Out': T(o, dtype), 'Out@GRAD': T(dy, dtype)}
                else:
                    xt = tt(x).requires_grad_(True)
                    (g,) = torch.autograd.grad(fn(xt), xt, tt(dy))
                    want = g.numpy()
                    ins = {'X': T(x, dtype), 'Out@GRAD': T(dy, dtype)}
                extra = {} if dtype == np.float32 else {'grad': False, 'grad_skip_reason': 'covered by the float32 cases'}
                tag = 'float64' if dtype == np.float64 else 'float32'
                out.append(case('%s/%s_%s' % (gop, name, tag), gop, ins, attrs, {'X@GRAD': T(want, dtype)}, **extra))
    return out


def prelu_cases(r):
    out = []
    specs = [
        ('all', (2, 3, 4), (1,), 'all', 'NCHW', None),
        ('channel_nchw', (2, 3, 4, 2), (3,), 'channel', 'NCHW', (1, 3, 1, 1)),
        ('channel_2d', (4, 3), (3,), 'channel', 'NCHW', (1, 3)),
        ('channel_nhwc', (2, 2, 4, 3), (3,), 'channel', 'NHWC', (1, 1, 1, 3)),
        ('element', (2, 3, 4), (1, 3, 4), 'element', 'NCHW', (1, 3, 4)),
    ]
    for name, xs, ws, mode, fmt, bshape in specs:
        for dtype in (np.float32, np.float64):
            x = away(r.standard_normal(xs) * 2, [0]).astype(dtype).astype(np.float64)
            w = r.uniform(-0.5, 0.8, ws).astype(dtype).astype(np.float64)
            wb = w.reshape(bshape) if bshape else w
            want = np.where(x > 0, x, wb * x)
            extra = {} if dtype == np.float32 else {'grad': False, 'grad_skip_reason': 'covered by the float32 cases'}
            tag = '' if dtype == np.float32 else '_float64'
            out.append(case('prelu/%s%s' % (name, tag), 'prelu', {'X': T(x, dtype), 'Alpha': T(w, dtype)},
                            {'mode': mode, 'data_format': fmt}, {'Out': T(want, dtype)}, **extra))
    # torch cross-check of the NCHW channel layout
    x = away(r.standard_normal((2, 3, 5)), [0])
    w = r.uniform(0.05, 0.5, (3,))
    out.append(case('prelu/channel_torch', 'prelu', {'X': T(x, np.float32), 'Alpha': T(w, np.float32)},
                    {'mode': 'channel', 'data_format': 'NCHW'},
                    {'Out': T(F.prelu(tt(x.astype(np.float32)), tt(w.astype(np.float32))).numpy(), np.float32)}))
    return out


def cases():
    r = rng(7)
    return forward_cases(r) + grad_op_cases(r) + prelu_cases(r)
