"""elementwise_* with Paddle's axis broadcasting, comparisons and logical ops (NumPy reference)."""
import numpy as np

from common import T, case, np_version, rng

REFERENCE = np_version()


def align(xs, ys, axis):
    """Both shapes in a common rank per Paddle's axis rule (NumPy then broadcasts)."""
    if len(xs) == len(ys):
        return xs, ys
    big, small = (xs, ys) if len(xs) > len(ys) else (ys, xs)
    ax = len(big) - len(small) if axis == -1 else axis
    padded = (1,) * ax + tuple(small) + (1,) * (len(big) - ax - len(small))
    return (xs, padded) if len(xs) > len(ys) else (padded, ys)


NP = {
    'elementwise_add': np.add, 'elementwise_sub': np.subtract, 'elementwise_mul': np.multiply,
    'elementwise_div': np.divide, 'elementwise_max': np.maximum, 'elementwise_min': np.minimum,
    'elementwise_pow': np.power, 'elementwise_floordiv': np.floor_divide, 'elementwise_mod': np.mod,
}

SHAPES = [
    ('same', (2, 3, 4), (2, 3, 4), -1),
    ('trailing', (2, 3, 4), (4,), -1),
    ('axis1_bias', (2, 3, 4, 5), (3,), 1),
    ('axis1_2d', (2, 3, 4, 5), (3, 4), 1),
    ('axis0', (3, 2), (3,), 0),
    ('scalar1', (2, 3), (1,), -1),
    ('numpy_both', (2, 1, 4), (3, 1), -1),
    ('x_smaller', (4,), (2, 3, 4), -1),
    ('odd', (7, 5, 3), (7, 1, 3), -1),
]


def cases():
    r = rng(1)
    out = []
    for op, f in NP.items():
        for name, xs, ys, axis in SHAPES:
            x = r.standard_normal(xs).astype(np.float32)
            y = r.standard_normal(ys).astype(np.float32)
            grad = True
            if op == 'elementwise_div':
                y = np.sign(y) * (np.abs(y) + 0.5)
            if op == 'elementwise_pow':
                x = np.abs(x) + 0.5
                y = y.astype(np.float32)
            if op in ('elementwise_floordiv', 'elementwise_mod'):
                x = np.round(x * 10).astype(np.float32)
                y = (np.sign(y) * (np.abs(np.round(y * 3)) + 1)).astype(np.float32)
            if op in ('elementwise_max', 'elementwise_min'):
                # keep operands apart so the gradient check never sits on a tie
                y = y + 0.05 * np.sign(y)
            xa, ya = align(xs, ys, axis)
            want = f(x.reshape(xa), y.reshape(ya))
            extra = {}
            if op in ('elementwise_floordiv', 'elementwise_mod'):
                extra = {'grad': False, 'grad_skip_reason': 'not differentiable'}
            out.append(case('%s/%s' % (op, name), op, {'X': T(x), 'Y': T(y)}, {'axis': axis},
                            {'Out': T(want.astype(np.float32))}, **extra))
        # integer dtypes
        xi = r.integers(-20, 20, (3, 4)).astype(np.int32)
        yi = r.integers(1, 6, (4,)).astype(np.int32) * np.array([1, -1, 1, -1], dtype=np.int32)
        if op == 'elementwise_pow':
            xi = r.integers(0, 5, (3, 4)).astype(np.int32)
            yi = r.integers(0, 3, (4,)).astype(np.int32)
        if op == 'elementwise_div':
            want = np.trunc(xi / yi).astype(np.int32)  # C++ integer division truncates
        else:
            want = f(xi, yi).astype(np.int32)
        out.append(case('%s/int32' % op, op, {'X': T(xi), 'Y': T(yi)}, {'axis': -1}, {'Out': T(want)}))
        x64 = r.integers(-1000, 1000, (5,)).astype(np.int64)
        y64 = np.array([3, -7, 11, 2, 5], dtype=np.int64)
        if op == 'elementwise_pow':
            x64 = np.abs(x64) % 20
            y64 = np.array([0, 1, 2, 3, 2], dtype=np.int64)
        want64 = np.trunc(x64 / y64).astype(np.int64) if op == 'elementwise_div' else f(x64, y64).astype(np.int64)
        out.append(case('%s/int64' % op, op, {'X': T(x64), 'Y': T(y64)}, {'axis': -1}, {'Out': T(want64)}))
        # float64
        xd = r.standard_normal((3, 2)) + (3 if op == 'elementwise_pow' else 0)
        yd = r.standard_normal((2,)) + (2 if op in ('elementwise_div', 'elementwise_floordiv', 'elementwise_mod') else 0)
        out.append(case('%s/float64' % op, op, {'X': T(xd), 'Y': T(yd)}, {'axis': -1}, {'Out': T(f(xd, yd))},
                        grad=False, grad_skip_reason='covered by the float32 cases'))
    # NaN propagation through max/min
    xn = np.array([1.0, np.nan, 3.0, -np.inf], dtype=np.float32)
    yn = np.array([np.nan, 2.0, np.inf, 0.0], dtype=np.float32)
    out.append(case('elementwise_max/nan_inf', 'elementwise_max', {'X': T(xn), 'Y': T(yn)}, {'axis': -1},
                    {'Out': T(np.maximum(xn, yn))}, grad=False, grad_skip_reason='non-finite inputs'))
    out.append(case('elementwise_div/by_zero', 'elementwise_div',
                    {'X': T(np.array([1, -1, 0], np.float32)), 'Y': T(np.zeros(3, np.float32))}, {'axis': -1},
                    {'Out': T(np.array([np.inf, -np.inf, np.nan], np.float32))}, grad=False,
                    grad_skip_reason='non-finite outputs'))

    cmp = {'equal': np.equal, 'not_equal': np.not_equal, 'less_than': np.less, 'less_equal': np.less_equal,
           'greater_than': np.greater, 'greater_equal': np.greater_equal}
    for op, f in cmp.items():
        x = r.integers(0, 3, (2, 3, 4)).astype(np.float32)
        y = r.integers(0, 3, (3, 1)).astype(np.float32)
        out.append(case('%s/float32' % op, op, {'X': T(x), 'Y': T(y)}, {'axis': -1}, {'Out': T(f(x, y))}))
        xi = r.integers(0, 3, (4, 3)).astype(np.int64)
        yi = r.integers(0, 3, (4,)).astype(np.int64)
        out.append(case('%s/int64_axis0' % op, op, {'X': T(xi), 'Y': T(yi)}, {'axis': 0},
                        {'Out': T(f(xi, yi.reshape(4, 1)))}))
    for op, f in {'logical_and': np.logical_and, 'logical_or': np.logical_or, 'logical_xor': np.logical_xor}.items():
        x = r.integers(0, 2, (3, 4)).astype(bool)
        y = r.integers(0, 2, (4,)).astype(bool)
        out.append(case('%s/bool' % op, op, {'X': T(x), 'Y': T(y)}, {}, {'Out': T(f(x, y))}))
    x = r.integers(0, 2, (2, 5)).astype(bool)
    out.append(case('logical_not/bool', 'logical_not', {'X': T(x)}, {}, {'Out': T(np.logical_not(x))}))
    return out
