"""softmax, log_softmax and their grad ops (PyTorch reference, float64 rounded to the case dtype)."""
import numpy as np
import torch

from common import T, case, rng, torch_version

REFERENCE = torch_version() + ' (CPU, float64)'

FNS = {'softmax': torch.softmax, 'log_softmax': torch.log_softmax}

SHAPES = [
    ('last_3d', (2, 3, 4), -1),
    ('axis0_3d', (2, 3, 4), 0),
    ('axis1_3d', (2, 3, 4), 1),
    ('axis1_4d', (2, 3, 2, 3), 1),
    ('neg2_4d', (2, 3, 2, 3), -2),
    ('odd_1d', (7,), 0),
    ('single', (3, 1), 1),
]


def tt(a):
    return torch.tensor(np.asarray(a, dtype=np.float64))


def cases():
    r = rng(5)
    out = []
    for op, fn in FNS.items():
        for name, shape, axis in SHAPES:
            x = (r.standard_normal(shape) * 2).astype(np.float32)
            out.append(case('%s/%s' % (op, name), op, {'X': T(x)}, {'axis': axis},
                            {'Out': T(fn(tt(x), axis).numpy(), np.float32)}))
        # large magnitudes: exp would overflow without subtracting the maximum
        x = np.array([[1000.0, 999.0, 998.5, -1000.0], [-1000.0, -1001.0, -999.5, -1003.0],
                      [88.0, 89.0, 90.0, 87.5]], dtype=np.float32)
        out.append(case('%s/large' % op, op, {'X': T(x)}, {'axis': -1}, {'Out': T(fn(tt(x), -1).numpy(), np.float32)}))
        x = r.standard_normal((3, 2, 5)) * 3
        out.append(case('%s/float64' % op, op, {'X': T(x)}, {'axis': 1}, {'Out': T(fn(tt(x), 1).numpy())},
                        grad=False, grad_skip_reason='covered by the float32 cases'))
        x16 = (r.standard_normal((2, 5)) * 2).astype(np.float16)
        out.append(case('%s/float16' % op, op, {'X': T(x16)}, {'axis': -1},
                        {'Out': T(fn(tt(x16.astype(np.float64)), -1).numpy(), np.float16)},
                        grad=False, grad_skip_reason='covered by the float32 cases'))
        # grad op: inputs Out (the forward result) and Out@GRAD, output X@GRAD from torch.autograd
        gop = op + '_grad'
        for name, shape, axis, dtype in (('last_3d', (2, 3, 4), -1, np.float32), ('axis1_4d', (2, 3, 2, 3), 1, np.float32),
                                         ('axis0_float64', (3, 4), 0, np.float64)):
            x = (r.standard_normal(shape) * 2).astype(dtype)
            dy = r.standard_normal(shape).astype(dtype)
            xt = tt(x).requires_grad_(True)
            o = fn(xt, axis)
            o_rounded = o.detach().numpy().astype(dtype)
            (g,) = torch.autograd.grad(o, xt, tt(dy))
            extra = {} if dtype == np.float32 else {'grad': False, 'grad_skip_reason': 'covered by the float32 cases'}
            out.append(case('%s/%s' % (gop, name), gop, {'Out': T(o_rounded), 'Out@GRAD': T(dy)}, {'axis': axis},
                            {'X@GRAD': T(g.numpy(), dtype)}, **extra))
    return out
