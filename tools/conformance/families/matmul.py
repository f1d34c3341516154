"""matmul_v2, matmul (v1), mul and fc (NumPy reference, computed in float64)."""
import math

import numpy as np

from common import T, case, np_version, rng

REFERENCE = np_version()


def tr(a):
    return np.swapaxes(a, -1, -2)


def v1_ref(x, y, tx, ty, alpha):
    """Paddle's matmul v1: rank-1 X is [1, K], rank-1 Y is [K, 1] before the flags; batches are
    flattened and must match unless one operand has rank <= 2; unit dims of rank-1 operands go."""
    xm = x.reshape(1, -1) if x.ndim == 1 else x
    ym = y.reshape(-1, 1) if y.ndim == 1 else y
    if tx:
        xm = tr(xm)
    if ty:
        ym = tr(ym)
    bx = int(np.prod(x.shape[:-2])) if x.ndim >= 3 else 0
    by = int(np.prod(y.shape[:-2])) if y.ndim >= 3 else 0
    x3 = xm.reshape((bx,) + xm.shape[-2:]) if bx else xm
    y3 = ym.reshape((by,) + ym.shape[-2:]) if by else ym
    out = alpha * np.matmul(x3, y3)
    m, n = xm.shape[-2], ym.shape[-1]
    if bx:
        dims = list(x.shape[:-2]) + [m, n]
    elif by:
        dims = list(y.shape[:-2]) + [m, n]
    else:
        dims = [m, n]
    if x.ndim == 1 and dims[-2] == 1:
        dims = dims[:-2] + [dims[-1]]
    if y.ndim == 1 and dims[-1] == 1:
        dims = dims[:-1]
    return out.reshape(dims or [1])


def cases():
    r = rng(7)
    out = []

    def f32(*shape):
        return r.standard_normal(shape).astype(np.float32)

    def add(op, name, x, y, attrs, want, **extra):
        out.append(case('%s/%s' % (op, name), op, {'X': T(x), 'Y': T(y)}, attrs, {'Out': T(want.astype(x.dtype))}, **extra))

    # matmul_v2: numpy.matmul with the flags applied to the last two dims of rank >= 2 operands.
    v2 = [
        ('2d', (3, 4), (4, 5), False, False),
        ('odd', (7, 5), (5, 3), False, False),
        ('trans_x', (4, 3), (4, 5), True, False),
        ('trans_y', (3, 4), (5, 4), False, True),
        ('trans_both', (4, 3), (5, 4), True, True),
        ('rank1_x', (4,), (4, 5), False, False),
        ('rank1_y', (3, 4), (4,), False, False),
        ('rank1_both', (4,), (4,), False, False),
        ('rank1_x_trans_flags_ignored', (4,), (5, 4), True, True),
        ('rank1_x_batched_y', (4,), (2, 4, 3), False, False),
        ('batched_x_rank1_y', (2, 3, 4), (4,), False, False),
        ('linear', (2, 3, 4), (4, 5), False, False),
        ('linear_trans_y', (2, 3, 4), (5, 4), False, True),
        ('batched_x_2d_y_trans_x', (2, 4, 3), (4, 5), True, False),
        ('2d_x_batched_y', (3, 4), (2, 4, 5), False, False),
        ('batched', (2, 3, 4), (2, 4, 5), False, False),
        ('batched_broadcast', (2, 1, 3, 4), (5, 4, 2), False, False),
        ('batched_broadcast_trans', (2, 1, 4, 3), (1, 3, 2, 4), True, True),
        ('batch_of_one', (1, 3, 4), (3, 4, 2), False, False),
    ]
    for name, xs, ys, tx, ty in v2:
        x, y = f32(*xs), f32(*ys)
        xm = tr(x) if tx and x.ndim > 1 else x
        ym = tr(y) if ty and y.ndim > 1 else y
        want = np.matmul(xm.astype(np.float64), ym.astype(np.float64))
        if x.ndim == 1 and y.ndim == 1:
            want = want.reshape(1)
        add('matmul_v2', name, x, y, {'trans_x': tx, 'trans_y': ty}, want)
    xd, yd = r.standard_normal((2, 3, 4)), r.standard_normal((4, 2))
    add('matmul_v2', 'float64', xd, yd, {'trans_x': False, 'trans_y': False}, np.matmul(xd, yd))

    # matmul (v1)
    v1 = [
        ('2d', (3, 4), (4, 5), False, False, 1.0),
        ('alpha', (3, 4), (4, 5), False, False, 0.5),
        ('trans_x', (4, 3), (4, 5), True, False, 1.0),
        ('trans_y_alpha', (3, 4), (5, 4), False, True, 0.125),
        ('rank1_both', (4,), (4,), False, False, 1.0),
        ('rank1_x', (4,), (4, 5), False, False, 1.0),
        ('rank1_y_batched_x', (2, 3, 4), (4,), False, False, 1.0),
        ('rank1_x_transposed_outer', (3,), (1, 4), True, False, 1.0),
        ('2d_x_batched_y', (3, 4), (2, 4, 5), False, False, 1.0),
        ('batched_2d_y', (2, 3, 4), (4, 5), False, False, 2.0),
        ('attention_scores', (2, 3, 4, 5), (2, 3, 6, 5), False, True, 0.5),
        ('flattened_batch', (2, 3, 4, 5), (6, 5, 2), False, False, 1.0),
        ('trans_both_batched', (2, 4, 3), (2, 5, 4), True, True, 1.0),
    ]
    for name, xs, ys, tx, ty, alpha in v1:
        x, y = f32(*xs), f32(*ys)
        want = v1_ref(x.astype(np.float64), y.astype(np.float64), tx, ty, alpha)
        add('matmul', name, x, y, {'transpose_X': tx, 'transpose_Y': ty, 'alpha': alpha}, want)
    xd, yd = r.standard_normal((3, 4)), r.standard_normal((4, 2))
    add('matmul', 'float64', xd, yd, {'transpose_X': False, 'transpose_Y': False, 'alpha': 1.5}, 1.5 * xd @ yd)

    # mul: flatten X at x_num_col_dims and Y at y_num_col_dims, multiply, unflatten.
    mul = [
        ('2d', (3, 4), (4, 5), 1, 1),
        ('x_num_col_dims_2', (2, 3, 4), (4, 5), 2, 1),
        ('flatten_x', (2, 3, 2, 2), (12, 5), 1, 1),
        ('y_num_col_dims_2', (2, 12), (3, 4, 5), 1, 2),
        ('both_4d', (2, 3, 2, 2), (2, 2, 3, 2), 2, 2),
    ]
    for name, xs, ys, xn, yn in mul:
        x, y = f32(*xs), f32(*ys)
        x2 = x.astype(np.float64).reshape(int(np.prod(xs[:xn])), -1)
        y2 = y.astype(np.float64).reshape(int(np.prod(ys[:yn])), -1)
        want = (x2 @ y2).reshape(tuple(xs[:xn]) + tuple(ys[yn:]))
        add('mul', name, x, y, {'x_num_col_dims': xn, 'y_num_col_dims': yn}, want)
    xd, yd = r.standard_normal((2, 3, 4)), r.standard_normal((4, 3))
    add('mul', 'float64', xd, yd, {'x_num_col_dims': 2, 'y_num_col_dims': 1}, xd @ yd)

    # fc: act(flatten(Input, in_num_col_dims) @ W + Bias + ResidualData). W of 8 and more columns
    # runs oneDNN's inner product; the rest the gemm and epilogue.
    erf = np.vectorize(math.erf)
    acts = {
        '': lambda z: z,
        'relu': lambda z: np.maximum(z, 0),
        'gelu': lambda z: 0.5 * z * (1 + erf(z / math.sqrt(2))),
        'gelu_erf': lambda z: 0.5 * z * (1 + erf(z / math.sqrt(2))),
        'gelu_tanh': lambda z: 0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z ** 3))),
        'tanh': np.tanh,
        'sigmoid': lambda z: 1 / (1 + np.exp(-z)),
        'hard_swish': lambda z: z * np.clip(z + 3, 0, 6) / 6,
    }
    fc = [
        # name, Input shape, in_num_col_dims, N, bias (None, 1 or 2 dims), residual, activation, padding_weights
        ('2d', (3, 5), 1, 4, None, False, '', False),
        ('bias', (4, 6), 1, 8, 1, False, '', False),
        ('bias_2d_relu', (2, 3, 4), 2, 8, 2, False, 'relu', False),
        ('flatten_input', (2, 3, 2, 2), 1, 5, 1, False, '', False),
        ('gelu', (2, 5, 16), 2, 24, 1, False, 'gelu', False),
        ('gelu_erf', (3, 8), 1, 8, 1, False, 'gelu_erf', False),
        ('gelu_tanh', (3, 8), 1, 16, 1, False, 'gelu_tanh', False),
        ('tanh', (3, 7), 1, 9, 1, False, 'tanh', False),
        ('sigmoid', (3, 7), 1, 3, 1, False, 'sigmoid', False),
        ('hard_swish', (4, 6), 1, 8, 1, False, 'hard_swish', False),
        ('residual', (2, 4, 8), 2, 8, 1, True, '', False),
        ('residual_relu', (3, 6), 1, 5, None, True, 'relu', False),
        ('padding_weights', (3, 6), 1, 5, 1, False, 'relu', True),
        ('padding_weights_wide', (2, 16), 1, 12, 1, True, '', True),
    ]
    for name, xs, nc, n, bias_rank, res, act, padw in fc:
        x = f32(*xs)
        m, k = int(np.prod(xs[:nc])), int(np.prod(xs[nc:]))
        w = f32(k, n) * 0.5
        z = x.astype(np.float64).reshape(m, k) @ w.astype(np.float64)
        ins = {'Input': T(x), 'W': T(w)}
        attrs = {'in_num_col_dims': nc, 'activation_type': act, 'padding_weights': padw, 'fuse_residual_connection': res}
        if padw:
            wp = f32(k + 4, n + 4)
            wp[:k, :n] = w
            ins['W'] = T(wp)
        if bias_rank:
            b = f32(n)
            z = z + b.astype(np.float64)
            ins['Bias'] = T(b.reshape((n,) if bias_rank == 1 else (1, n)))
        out_shape = tuple(xs[:nc]) + (n,)
        if res:
            rd = f32(*out_shape)
            z = z + rd.astype(np.float64).reshape(m, n)
            ins['ResidualData'] = T(rd)
        want = acts[act](z).reshape(out_shape)
        extra = {'grad': False, 'grad_skip_reason': 'padding_weights is an inference layout with no gradient'} if padw else {}
        out.append(case('fc/%s' % name, 'fc', ins, attrs, {'Out': T(want.astype(np.float32))}, **extra))
    xd, wd, bd = r.standard_normal((2, 3, 4)), r.standard_normal((4, 5)), r.standard_normal(5)
    zd = xd.reshape(6, 4) @ wd + bd
    out.append(case('fc/float64_relu', 'fc', {'Input': T(xd), 'W': T(wd), 'Bias': T(bd)}, {'in_num_col_dims': 2, 'activation_type': 'relu'},
                    {'Out': T(np.maximum(zd, 0).reshape(2, 3, 5))}))
    return out
