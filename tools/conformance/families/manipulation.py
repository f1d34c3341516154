"""Shape manipulation and slicing: transpose, flatten, squeeze/unsqueeze, reshape, concat, split,
slice, strided_slice, stack/unstack, tile, expand_as_v2, flip, roll (NumPy reference)."""
import numpy as np

from common import T, case, np_version, rng

REFERENCE = np_version()

INT_MAX = 2147483647
DTYPES = ['float32', 'float64', 'int32', 'int64', 'bool']


def data(r, shape, dtype='float32'):
    if dtype == 'bool':
        return r.integers(0, 2, shape).astype(bool)
    if dtype in ('int32', 'int64'):
        return r.integers(-50, 50, shape).astype(dtype)
    if dtype == 'int64_big':  # values beyond 2^53 check that int64 moves as BigInt
        return (r.integers(-1000, 1000, shape).astype(np.int64) * (2 ** 52) + 3)
    return r.standard_normal(shape).astype(dtype)


def unsqueeze(x, axes):
    for a in axes:
        a = a + x.ndim + 1 if a < 0 else a
        x = np.expand_dims(x, a)
    return x


def squeeze(x, axes):
    if not axes:
        return np.squeeze(x) if x.ndim else x
    drop = tuple(sorted({a % x.ndim for a in axes if x.shape[a % x.ndim] == 1}))
    return np.squeeze(x, axis=drop) if drop else x


def paddle_slice(x, axes, starts, ends, strides=None, decrease=(), flags=None):
    """Paddle's slice/strided_slice as a NumPy index: negative bounds count from the end and are
    clamped; with a negative stride an end of -1 means 'no stop'; start -1 / end 0 on a
    decreased axis is the last element."""
    strides = strides or [1] * len(axes)
    flags = flags or [1] * len(axes)
    idx = [slice(None)] * x.ndim
    for a, s, e, k, f in zip(axes, starts, ends, strides, flags):
        a = a % x.ndim
        if s == -1 and e == 0 and a in decrease and (k > 0 or f == -1):
            idx[a] = slice(x.shape[a] - 1, x.shape[a])
            continue
        stop = None if (e == -1 and k < 0) else e
        idx[a] = slice(s, stop, k)
    out = x[tuple(idx)]
    if decrease:
        out = out.reshape([d for i, d in enumerate(out.shape) if i not in decrease] or [1])
    return out


def tile_np(x, reps):
    return np.tile(x, reps)


def cases():
    r = rng(7)
    out = []

    # ---- transpose2 / transpose ----
    for dt in DTYPES:
        x = data(r, (2, 3, 4), dt)
        out.append(case('transpose2/%s' % dt, 'transpose2', {'X': T(x)}, {'axis': [2, 0, 1]},
                        {'Out': T(np.transpose(x, (2, 0, 1)))}))
    xb = data(r, (3, 2), 'int64_big')
    out.append(case('transpose2/int64_big', 'transpose2', {'X': T(xb)}, {'axis': [1, 0]}, {'Out': T(xb.T)}))
    x = data(r, (3, 5, 2, 7))
    out.append(case('transpose2/4d_odd', 'transpose2', {'X': T(x)}, {'axis': [0, 2, 3, 1]},
                    {'Out': T(np.transpose(x, (0, 2, 3, 1)))}))
    x = data(r, (2, 1, 3))
    out.append(case('transpose2/negative_axes', 'transpose2', {'X': T(x)}, {'axis': [-1, 0, -2]},
                    {'Out': T(np.transpose(x, (2, 0, 1)))}))
    # large enough for the CPU kernel's 32x32 tiles, with partial tiles at both edges
    xt = data(r, (40, 37), 'int32')
    out.append(case('transpose2/tiled_int32', 'transpose2', {'X': T(xt)}, {'axis': [1, 0]}, {'Out': T(xt.T)}))
    xt = data(r, (3, 9, 34), 'int32')
    out.append(case('transpose2/tiled_3d', 'transpose2', {'X': T(xt)}, {'axis': [2, 0, 1]},
                    {'Out': T(np.transpose(xt, (2, 0, 1)))}))
    x = data(r, (5, 3))
    out.append(case('transpose/2d', 'transpose', {'X': T(x)}, {'axis': [1, 0]}, {'Out': T(x.T)}))

    # ---- flatten family ----
    x = data(r, (2, 3, 4, 5))
    for name, s, e in [('middle', 1, 2), ('all', 0, -1), ('negative', -3, -2), ('single', 2, 2)]:
        sa, so = s % 4, e % 4
        want = x.reshape(x.shape[:sa] + (-1,) + x.shape[so + 1:])
        out.append(case('flatten_contiguous_range/%s' % name, 'flatten_contiguous_range', {'X': T(x)},
                        {'start_axis': s, 'stop_axis': e}, {'Out': T(want)}))
    xi = data(r, (3, 2, 2), 'int64')
    out.append(case('flatten_contiguous_range/int64', 'flatten_contiguous_range', {'X': T(xi)},
                    {'start_axis': 0, 'stop_axis': 1}, {'Out': T(xi.reshape(6, 2))}))
    x = data(r, (2, 3, 4))
    for ax in [0, 1, 3]:
        want = x.reshape(int(np.prod(x.shape[:ax])), -1)
        out.append(case('flatten2/axis%d' % ax, 'flatten2', {'X': T(x)}, {'axis': ax}, {'Out': T(want)}))
    out.append(case('flatten/axis2', 'flatten', {'X': T(x)}, {'axis': 2}, {'Out': T(x.reshape(6, 4))}))

    # ---- squeeze / unsqueeze / reshape (v1) ----
    x = data(r, (1, 3, 1, 2, 1))
    for name, axes in [('all', []), ('listed', [0, 2]), ('negative', [-1]), ('keeps_non1', [1, 2])]:
        out.append(case('squeeze2/%s' % name, 'squeeze2', {'X': T(x)}, {'axes': axes}, {'Out': T(squeeze(x, axes))}))
    xb = data(r, (2, 1, 3), 'bool')
    xf = data(r, (3, 1, 2))
    out.append(case('squeeze/float32', 'squeeze', {'X': T(xf)}, {'axes': []}, {'Out': T(squeeze(xf, []))}))
    out.append(case('squeeze/bool', 'squeeze', {'X': T(xb)}, {'axes': [1]}, {'Out': T(squeeze(xb, [1]))}))
    x = data(r, (3, 4))
    for name, axes in [('front', [0]), ('several', [0, 2]), ('negative', [-1]),
                       ('incremental', [2, 0, -1]), ('middle_twice', [1, 1])]:
        out.append(case('unsqueeze2/%s' % name, 'unsqueeze2', {'X': T(x)}, {'axes': axes},
                        {'Out': T(unsqueeze(x, axes))}))
    out.append(case('unsqueeze/float32', 'unsqueeze', {'X': T(x)}, {'axes': [-1, 0]}, {'Out': T(unsqueeze(x, [-1, 0]))}))
    xi = data(r, (2, 3), 'int32')
    out.append(case('unsqueeze/int32', 'unsqueeze', {'X': T(xi)}, {'axes': [1]}, {'Out': T(unsqueeze(xi, [1]))}))
    x = data(r, (2, 3, 4))
    out.append(case('reshape/infer', 'reshape', {'X': T(x)}, {'shape': [0, -1]}, {'Out': T(x.reshape(2, 12))}))

    # ---- concat ----
    a, b, c = data(r, (2, 3, 4)), data(r, (2, 1, 4)), data(r, (2, 5, 4))
    out.append(case('concat/three_middle', 'concat', {'X': [T(a), T(b), T(c)]}, {'axis': 1},
                    {'Out': T(np.concatenate([a, b, c], 1))}))
    a, b = data(r, (3, 2)), data(r, (3, 5))
    out.append(case('concat/negative_axis', 'concat', {'X': [T(a), T(b)]}, {'axis': -1},
                    {'Out': T(np.concatenate([a, b], -1))}))
    a, b = data(r, (1, 3)), data(r, (2, 3))
    out.append(case('concat/axis0', 'concat', {'X': [T(a), T(b)]}, {'axis': 0}, {'Out': T(np.concatenate([a, b]))}))
    for dt in ['float64', 'int32', 'int64', 'bool']:
        a, b = data(r, (2, 2), dt), data(r, (2, 3), dt)
        out.append(case('concat/%s' % dt, 'concat', {'X': [T(a), T(b)]}, {'axis': 1},
                        {'Out': T(np.concatenate([a, b], 1))}))
    a = data(r, (3, 4))
    out.append(case('concat/single', 'concat', {'X': [T(a)]}, {'axis': 1}, {'Out': T(a)}))

    # ---- split ----
    x = data(r, (4, 6, 3))
    out.append(case('split/num', 'split', {'X': T(x)}, {'axis': 1, 'num': 3, 'sections': []},
                    {'Out': [T(p) for p in np.split(x, 3, 1)]}))
    out.append(case('split/sections_infer', 'split', {'X': T(x)}, {'axis': 1, 'num': 0, 'sections': [1, -1, 2]},
                    {'Out': [T(p) for p in np.split(x, [1, 4], 1)]}))
    out.append(case('split/negative_axis', 'split', {'X': T(x)}, {'axis': -1, 'num': 0, 'sections': [2, 1]},
                    {'Out': [T(p) for p in np.split(x, [2], -1)]}))
    out.append(case('split/axis0', 'split', {'X': T(x)}, {'axis': 0, 'num': 2, 'sections': []},
                    {'Out': [T(p) for p in np.split(x, 2, 0)]}))
    for dt in ['int64', 'bool']:
        xi = data(r, (5, 2), dt)
        out.append(case('split/%s' % dt, 'split', {'X': T(xi)}, {'axis': 0, 'num': 0, 'sections': [2, 3]},
                        {'Out': [T(p) for p in np.split(xi, [2], 0)]}))

    # ---- slice ----
    x = data(r, (4, 5, 6))
    sl = [
        ('basic', dict(axes=[1], starts=[1], ends=[4])),
        ('two_axes', dict(axes=[0, 2], starts=[1, 2], ends=[3, 5])),
        ('negative_starts', dict(axes=[1, 2], starts=[-3, -4], ends=[-1, INT_MAX])),
        ('int_max_end', dict(axes=[0], starts=[2], ends=[INT_MAX])),
        ('clamped', dict(axes=[2], starts=[-100], ends=[100])),
        ('negative_axis', dict(axes=[-1], starts=[1], ends=[3])),
        ('decrease', dict(axes=[0, 1], starts=[2, -2], ends=[3, -1], decrease_axis=[0])),
        ('decrease_two', dict(axes=[1, 2], starts=[0, 5], ends=[1, INT_MAX], decrease_axis=[1, 2])),
        ('last_element_encoding', dict(axes=[1], starts=[-1], ends=[0], decrease_axis=[1], infer_flags=[-1])),
    ]
    for name, at in sl:
        at = dict(at)
        at.setdefault('decrease_axis', [])
        at.setdefault('infer_flags', [1] * len(at['axes']))
        want = paddle_slice(x, at['axes'], at['starts'], at['ends'], decrease=at['decrease_axis'], flags=at['infer_flags'])
        out.append(case('slice/%s' % name, 'slice', {'Input': T(x)}, at, {'Out': T(want)}))
    x1 = data(r, (5,))
    at = dict(axes=[0], starts=[3], ends=[4], infer_flags=[1], decrease_axis=[0])
    out.append(case('slice/decrease_all', 'slice', {'Input': T(x1)}, at,
                    {'Out': T(paddle_slice(x1, [0], [3], [4], decrease=[0]))}))
    for dt in ['float64', 'int32', 'int64', 'bool']:
        xi = data(r, (3, 4), dt)
        at = dict(axes=[1], starts=[-3], ends=[INT_MAX], infer_flags=[1], decrease_axis=[])
        out.append(case('slice/%s' % dt, 'slice', {'Input': T(xi)}, at, {'Out': T(xi[:, -3:])}))

    # ---- strided_slice ----
    x = data(r, (5, 7, 4))
    ss = [
        ('step2', dict(axes=[1], starts=[0], ends=[7], strides=[2])),
        ('step3_offset', dict(axes=[1], starts=[1], ends=[INT_MAX], strides=[3])),
        ('reverse', dict(axes=[0], starts=[-1], ends=[-1], strides=[-1])),
        ('reverse_step2', dict(axes=[1], starts=[5], ends=[-1], strides=[-2])),
        ('reverse_bounded', dict(axes=[1], starts=[-2], ends=[1], strides=[-3])),
        ('mixed', dict(axes=[0, 2], starts=[4, 0], ends=[0, 4], strides=[-2, 3])),
        ('start_past_end', dict(axes=[1], starts=[100], ends=[-100], strides=[-2])),
        ('negative_axes', dict(axes=[-1, -3], starts=[0, 1], ends=[3, 5], strides=[2, 2])),
        ('decrease', dict(axes=[0, 1], starts=[3, 6], ends=[4, 0], strides=[1, -3], decrease_axis=[0])),
    ]
    for name, at in ss:
        at = dict(at)
        at.setdefault('decrease_axis', [])
        at.setdefault('infer_flags', [1] * len(at['axes']))
        want = paddle_slice(x, at['axes'], at['starts'], at['ends'], at['strides'], at['decrease_axis'], at['infer_flags'])
        out.append(case('strided_slice/%s' % name, 'strided_slice', {'Input': T(x)}, at, {'Out': T(want)}))
    for dt in ['int32', 'int64', 'bool']:
        xi = data(r, (6, 3), dt)
        at = dict(axes=[0], starts=[-1], ends=[-1], strides=[-2], infer_flags=[1], decrease_axis=[])
        out.append(case('strided_slice/%s' % dt, 'strided_slice', {'Input': T(xi)}, at, {'Out': T(xi[::-2])}))

    # ---- stack / unstack ----
    xs = [data(r, (2, 3)) for _ in range(3)]
    for ax in [0, 1, 2, -1]:
        out.append(case('stack/axis%d' % ax, 'stack', {'X': [T(v) for v in xs]}, {'axis': ax},
                        {'Y': T(np.stack(xs, ax))}))
    xi = [data(r, (4,), 'int64') for _ in range(2)]
    out.append(case('stack/int64', 'stack', {'X': [T(v) for v in xi]}, {'axis': 1}, {'Y': T(np.stack(xi, 1))}))
    x = data(r, (3, 4, 2))
    for ax in [0, 1, -1]:
        n = x.shape[ax]
        out.append(case('unstack/axis%d' % ax, 'unstack', {'X': T(x)}, {'axis': ax, 'num': n},
                        {'Y': [T(np.take(x, i, axis=ax)) for i in range(n)]}))
    xb = data(r, (2, 3), 'bool')
    out.append(case('unstack/bool', 'unstack', {'X': T(xb)}, {'axis': 1, 'num': 3},
                    {'Y': [T(xb[:, i]) for i in range(3)]}))

    # ---- tile ----
    x = data(r, (2, 3))
    for name, reps in [('same_rank', [2, 3]), ('higher_rank', [2, 1, 2]), ('lower_rank', [3]), ('ones', [1, 1])]:
        out.append(case('tile/%s' % name, 'tile', {'X': T(x)}, {'repeat_times': reps}, {'Out': T(tile_np(x, reps))}))
    x = data(r, (3, 1, 2))
    out.append(case('tile/odd', 'tile', {'X': T(x)}, {'repeat_times': [1, 5, 1]}, {'Out': T(tile_np(x, [1, 5, 1]))}))
    for dt in ['int64', 'bool']:
        xi = data(r, (2, 2), dt)
        out.append(case('tile/%s' % dt, 'tile', {'X': T(xi)}, {'repeat_times': [3, 1, 2]}, {'Out': T(np.tile(xi, [3, 1, 2]))}))

    # ---- expand_as_v2 ----
    x = data(r, (3, 1))
    out.append(case('expand_as_v2/attr', 'expand_as_v2', {'X': T(x)}, {'target_shape': [2, 3, 4]},
                    {'Out': T(np.broadcast_to(x, (2, 3, 4)))}))
    y = data(r, (3, 5))
    out.append(case('expand_as_v2/y_input', 'expand_as_v2', {'X': T(x), 'Y': T(y)}, {'target_shape': []},
                    {'Out': T(np.broadcast_to(x, (3, 5)))}))
    xi = data(r, (1, 4), 'int32')
    out.append(case('expand_as_v2/int32', 'expand_as_v2', {'X': T(xi)}, {'target_shape': [3, 4]},
                    {'Out': T(np.broadcast_to(xi, (3, 4)))}))

    # ---- flip ----
    x = data(r, (3, 4, 5))
    for name, axes in [('one', [1]), ('multiple', [0, 2]), ('negative', [-1, 0]), ('all', [0, 1, 2])]:
        out.append(case('flip/%s' % name, 'flip', {'X': T(x)}, {'axis': axes}, {'Out': T(np.flip(x, axes))}))
    for dt in ['int64', 'bool']:
        xi = data(r, (3, 2), dt)
        out.append(case('flip/%s' % dt, 'flip', {'X': T(xi)}, {'axis': [0, 1]}, {'Out': T(np.flip(xi, (0, 1)))}))

    # ---- roll ----
    x = data(r, (3, 4, 5))
    for name, shifts, axes in [('one_axis', [1], [1]), ('negative_shift', [-2], [2]),
                               ('multiple', [2, -1], [0, 2]), ('negative_axis', [7], [-2]),
                               ('same_axis_twice', [1, 2], [1, 1])]:
        want = np.roll(x, shifts, axes)
        out.append(case('roll/%s' % name, 'roll', {'X': T(x)}, {'shifts': shifts, 'axis': axes}, {'Out': T(want)}))
    out.append(case('roll/flattened', 'roll', {'X': T(x)}, {'shifts': [-7], 'axis': []}, {'Out': T(np.roll(x, -7))}))
    xi = data(r, (2, 5), 'int64')
    out.append(case('roll/int64', 'roll', {'X': T(xi)}, {'shifts': [3], 'axis': []}, {'Out': T(np.roll(xi, 3))}))
    return out
