"""reduce_* (NumPy reference). Paddle 2.0: reducing every dimension without keep_dim gives shape [1]."""
import numpy as np

from common import T, case, np_version, rng

REFERENCE = np_version()

NP = {'reduce_sum': np.sum, 'reduce_mean': np.mean, 'reduce_max': np.max, 'reduce_min': np.min,
      'reduce_prod': np.prod}

CONFIGS = [
    ('all', (2, 3, 4), {'dim': [0], 'reduce_all': True}),
    ('axis0', (3, 4), {'dim': [0]}),
    ('axis_last_keep', (2, 3, 5), {'dim': [-1], 'keep_dim': True}),
    ('axes_0_2', (2, 3, 4), {'dim': [0, 2]}),
    ('middle', (2, 5, 3), {'dim': [1]}),
    ('odd', (7, 1, 3), {'dim': [0, 1], 'keep_dim': True}),
    ('dims_cover_all', (2, 3), {'dim': [0, 1]}),
]


def expected(f, x, attrs):
    if attrs.get('reduce_all'):
        axes = tuple(range(x.ndim))
    else:
        axes = tuple(d % x.ndim for d in attrs['dim'])
    keep = attrs.get('keep_dim', False)
    out = f(x, axis=axes, keepdims=keep)
    out = np.asarray(out)
    if out.ndim == 0:
        out = out.reshape(1)
    return out


def cases():
    r = rng(3)
    out = []
    for op, f in NP.items():
        for name, shape, attrs in CONFIGS:
            x = r.standard_normal(shape).astype(np.float32)
            if op == 'reduce_prod':
                x = (np.sign(x) * (0.5 + np.abs(x) * 0.5)).astype(np.float32)
            if op in ('reduce_max', 'reduce_min'):
                # distinct values: the gradient goes to the unique extreme
                x = (r.permutation(x.size).reshape(shape) * 0.1 - 1).astype(np.float32)
            a = dict(attrs)
            a.setdefault('keep_dim', False)
            a.setdefault('reduce_all', False)
            out.append(case('%s/%s' % (op, name), op, {'X': T(x)}, a, {'Out': T(expected(f, x.astype(np.float64), a).astype(np.float32))}))
        xd = r.standard_normal((3, 4))
        out.append(case('%s/float64' % op, op, {'X': T(xd)}, {'dim': [1], 'keep_dim': False, 'reduce_all': False},
                        {'Out': T(expected(f, xd, {'dim': [1]}))}, grad=False,
                        grad_skip_reason='covered by the float32 cases'))
        xi = r.integers(-5, 6, (3, 4)).astype(np.int32)
        out.append(case('%s/int32' % op, op, {'X': T(xi)}, {'dim': [0], 'keep_dim': False, 'reduce_all': False},
                        {'Out': T(expected(f, xi, {'dim': [0]}).astype(np.int32))}))
    # sum of int32 into int64 via out_dtype, as paddle.sum does
    xi = r.integers(-5, 6, (2, 3)).astype(np.int32)
    out.append(case('reduce_sum/out_dtype_int64', 'reduce_sum', {'X': T(xi)},
                    {'dim': [0], 'keep_dim': False, 'reduce_all': True, 'out_dtype': 3},
                    {'Out': T(np.array([xi.sum()], dtype=np.int64))}))
    xb = r.integers(0, 2, (3, 4)).astype(bool)
    for op, f in {'reduce_all': np.all, 'reduce_any': np.any}.items():
        out.append(case('%s/axis1' % op, op, {'X': T(xb)}, {'dim': [1], 'keep_dim': False, 'reduce_all': False},
                        {'Out': T(f(xb, axis=1))}))
        out.append(case('%s/all' % op, op, {'X': T(xb)}, {'dim': [0], 'keep_dim': False, 'reduce_all': True},
                        {'Out': T(np.array([f(xb)]))}))
    # NaN propagates through max
    xn = np.array([[1, np.nan], [3, 4]], dtype=np.float32)
    out.append(case('reduce_max/nan', 'reduce_max', {'X': T(xn)}, {'dim': [1], 'keep_dim': False, 'reduce_all': False},
                    {'Out': T(np.max(xn, axis=1))}, grad=False, grad_skip_reason='non-finite input'))
    return out
