"""Indexing, gather/scatter, selection, embedding lookup and sorting.

Expected values come from NumPy (gathers, scatters as explicit loops, arg/sort with a stable
order) and PyTorch (gather/scatter along an axis, masked_select, and the gradients of the
dedicated *_grad operators through torch.autograd).
"""
import numpy as np
import torch

from common import T, case, np_version, rng, torch_version

REFERENCE = np_version() + ', ' + torch_version()

I32 = np.int32
I64 = np.int64
F32 = np.float32
F64 = np.float64

NO_GRAD_OVERWRITE = ('overwrite = true keeps only the last duplicate (Paddle\'s rule), '
                     'which is not the derivative')


def idx(a, dtype=I64):
    return np.asarray(a, dtype=dtype)


def gather_cases(r):
    out = []

    def g(name, x, index, axis, overwrite=None, axis_tensor=False, **extra):
        want = np.take(x, index.reshape(-1), axis=axis)
        inputs = {'X': T(x), 'Index': T(index)}
        attrs = {}
        if axis_tensor:
            inputs['Axis'] = T(idx([axis], I32))
        else:
            attrs['axis'] = axis
        if overwrite is not None:
            attrs['overwrite'] = overwrite
        out.append(case('gather/' + name, 'gather', inputs, attrs, {'Out': T(want)}, **extra))

    g('axis0_int64', r.standard_normal((5, 3)).astype(F32), idx([3, 0, 4, 1]), 0)
    g('axis0_dup_accumulate_int32', r.standard_normal((4, 3)).astype(F32), idx([1, 3, 1, 1], I32), 0, overwrite=False)
    g('axis0_dup_overwrite', r.standard_normal((4, 2)).astype(F32), idx([2, 2, 0]), 0, overwrite=True,
      grad=False, grad_skip_reason=NO_GRAD_OVERWRITE)
    g('axis1_dup', r.standard_normal((2, 5, 3)).astype(F32), idx([4, 0, 0, 2]), 1)
    g('neg_axis_int32', r.standard_normal((3, 4)).astype(F32), idx([3, 3, 0], I32), -1)
    g('index_n1', r.standard_normal((4, 3)).astype(F32), idx([[2], [0], [3]]), 0)
    g('axis_tensor', r.standard_normal((3, 4, 2)).astype(F32), idx([1, 3, 1]), 1, axis_tensor=True)
    g('float64', r.standard_normal((3, 5)), idx([4, 1]), 1)
    g('int64_data', r.integers(-50, 50, (4, 3)).astype(I64), idx([3, 0, 3], I32), 0)
    g('int32_data', r.integers(-50, 50, (2, 6)).astype(I32), idx([5, 0]), 1)
    g('empty_index', r.standard_normal((3, 2)).astype(F32), idx(np.zeros(0)), 0, overwrite=False)
    return out


def index_select_cases(r):
    out = []

    def s(name, x, index, dim, **extra):
        want = np.take(x, index, axis=dim)
        out.append(case('index_select/' + name, 'index_select', {'X': T(x), 'Index': T(index)}, {'dim': dim},
                        {'Out': T(want)}, **extra))

    s('dim0', r.standard_normal((4, 3)).astype(F32), idx([2, 0, 3]), 0)
    s('dim_neg_dup_int32', r.standard_normal((2, 3, 4)).astype(F32), idx([1, 1, 3, 0, 1], I32), -1)
    s('dim1_float64', r.standard_normal((3, 4)), idx([0, 0, 2]), 1)
    s('int64_data', r.integers(0, 100, (5,)).astype(I64), idx([4, 2, 2]), 0)
    return out


def index_sample_cases(r):
    out = []
    for name, x, index in [
        ('dup_int64', r.standard_normal((3, 5)).astype(F32), idx([[0, 4, 4, 1], [2, 2, 2, 2], [3, 0, 1, 4]])),
        ('int32', r.standard_normal((2, 4)).astype(F32), idx([[3], [0]], I32)),
        ('float64', r.standard_normal((2, 3)), idx([[2, 0, 1, 1, 0], [1, 1, 0, 2, 2]])),
        ('int32_data', r.integers(-9, 9, (3, 3)).astype(I32), idx([[2, 2], [0, 1], [1, 0]])),
    ]:
        want = np.take_along_axis(x, index.astype(I64), axis=1)
        out.append(case('index_sample/' + name, 'index_sample', {'X': T(x), 'Index': T(index)}, {},
                        {'Out': T(want)}))
    return out


def along_axis_cases(r):
    out = []
    for name, x, index, axis in [
        ('axis1', r.standard_normal((3, 4, 5)).astype(F32), r.integers(0, 4, (3, 2, 5)), 1),
        ('neg_axis_int32', r.standard_normal((3, 4)).astype(F32), r.integers(0, 4, (3, 6)).astype(I32), -1),
        ('smaller_index', r.standard_normal((3, 4, 5)).astype(F32), r.integers(0, 4, (2, 3, 3)), 1),
        ('float64', r.standard_normal((4, 3)), r.integers(0, 4, (2, 3)), 0),
        ('int64_data', r.integers(-99, 99, (2, 5)).astype(I64), r.integers(0, 5, (2, 3)), 1),
    ]:
        want = torch.gather(torch.from_numpy(x), axis, torch.from_numpy(index.astype(I64)))
        out.append(case('take_along_axis/' + name, 'take_along_axis', {'Input': T(x), 'Index': T(index)},
                        {'Axis': axis}, {'Result': T(want)}))

    def put(name, x, index, value, axis, reduce, **extra):
        tx = torch.from_numpy(x.copy())
        ti = torch.from_numpy(index.astype(I64))
        tv = torch.from_numpy(value)
        if reduce == 'assign':
            want = tx.scatter(axis, ti, tv)
        elif reduce == 'add':
            want = tx.scatter_add(axis, ti, tv)
        else:
            want = tx.scatter(axis, ti, tv, reduce='multiply')
        out.append(case('put_along_axis/' + name, 'put_along_axis', {'Input': T(x), 'Index': T(index), 'Value': T(value)},
                        {'Axis': axis, 'Reduce': reduce}, {'Result': T(want)}, **extra))

    # assign with distinct target positions: each row of the index is a permutation prefix
    perm = np.stack([r.permutation(5)[:3] for _ in range(4)]).astype(I64)
    put('assign_axis1', r.standard_normal((4, 5)).astype(F32), perm, r.standard_normal((4, 3)).astype(F32), 1, 'assign')
    put('add_dup_axis0', r.standard_normal((3, 4)).astype(F32), idx([[0, 2, 2, 1], [0, 0, 2, 1], [0, 1, 1, 1]], I32),
        r.standard_normal((3, 4)).astype(F32), 0, 'add')
    put('add_neg_axis_smaller', r.standard_normal((2, 3, 4)).astype(F32), r.integers(0, 4, (2, 2, 5)),
        r.standard_normal((2, 2, 5)).astype(F32), -1, 'add')
    put('multiply', r.standard_normal((3, 4)), idx([[1, 1], [0, 3], [2, 0]]), r.standard_normal((3, 2)), 1, 'multiply',
        grad_inputs=['Input'])
    put('assign_int64_data', r.integers(-9, 9, (3, 3)).astype(I64), idx([[2], [0], [1]]),
        r.integers(100, 200, (3, 1)).astype(I64), 1, 'assign')
    return out


def gather_nd_cases(r):
    out = []

    def gnd(x, index):
        k = index.shape[-1]
        flat = index.reshape(-1, k)
        rows = [x[tuple(row)] for row in flat]
        res = np.stack(rows).reshape(index.shape[:-1] + x.shape[k:])
        return res.reshape(1) if res.ndim == 0 else res

    for name, x, index in [
        ('k2', r.standard_normal((3, 4, 5)).astype(F32), idx([[2, 1], [0, 3]])),
        ('k1_dup_int32', r.standard_normal((3, 4, 2)).astype(F32), idx([[[1], [1], [0]], [[2], [1], [1]]], I32)),
        ('k3_full', r.standard_normal((2, 3, 4)).astype(F32), idx([[1, 2, 3], [0, 0, 0], [1, 2, 3]])),
        ('index_1d', r.standard_normal((3, 4)).astype(F32), idx([2, 1])),
        ('float64', r.standard_normal((4, 3)), idx([[3], [0]])),
        ('int64_data', r.integers(-20, 20, (3, 3)).astype(I64), idx([[0, 2], [2, 0], [1, 1]])),
    ]:
        out.append(case('gather_nd/' + name, 'gather_nd', {'X': T(x), 'Index': T(index)}, {}, {'Out': T(gnd(x, index))}))

    def snd(name, x, index, updates):
        want = x.copy()
        k = index.shape[-1]
        flat = index.reshape(-1, k)
        u = updates.reshape((flat.shape[0],) + x.shape[k:])
        for i, row in enumerate(flat):
            want[tuple(row)] += u[i]
        out.append(case('scatter_nd_add/' + name, 'scatter_nd_add', {'X': T(x), 'Index': T(index), 'Updates': T(updates)},
                        {}, {'Out': T(want)}))

    snd('k1_dup', r.standard_normal((4, 3)).astype(F32), idx([[1], [2], [1], [1]]), r.standard_normal((4, 3)).astype(F32))
    snd('k2_int32', r.standard_normal((3, 4, 5)).astype(F32), idx([[2, 1], [0, 3], [2, 1]], I32),
        r.standard_normal((3, 5)).astype(F32))
    snd('k2_batched', r.standard_normal((3, 4)).astype(F32), idx([[[0, 1], [2, 3]], [[0, 1], [1, 0]]]),
        r.standard_normal((2, 2)).astype(F32))
    snd('float64', r.standard_normal((5,)), idx([[4], [0], [4]]), r.standard_normal((3,)))
    snd('int64_data', r.integers(-9, 9, (3, 2)).astype(I64), idx([[0], [0]]), r.integers(-9, 9, (2, 2)).astype(I64))
    return out


def scatter_cases(r):
    out = []

    def sc(name, x, ids, updates, overwrite, **extra):
        want = x.copy()
        if overwrite:
            for i, j in enumerate(ids.reshape(-1)):
                want[j] = updates[i]
        else:
            for j in ids.reshape(-1):
                want[j] = 0
            for i, j in enumerate(ids.reshape(-1)):
                want[j] += updates[i]
        out.append(case('scatter/' + name, 'scatter', {'X': T(x), 'Ids': T(ids), 'Updates': T(updates)},
                        {'overwrite': overwrite}, {'Out': T(want)}, **extra))

    sc('overwrite_int64', r.standard_normal((5, 3)).astype(F32), idx([3, 0, 4]), r.standard_normal((3, 3)).astype(F32), True)
    sc('accumulate_dup_int32', r.standard_normal((4, 2)).astype(F32), idx([1, 3, 1, 1], I32),
       r.standard_normal((4, 2)).astype(F32), False)
    sc('overwrite_dup_last_wins', r.standard_normal((3, 2)).astype(F32), idx([2, 0, 2]), r.standard_normal((3, 2)).astype(F32),
       True, grad=False, grad_skip_reason=NO_GRAD_OVERWRITE)
    sc('float64_3d', r.standard_normal((4, 2, 3)), idx([2, 1]), r.standard_normal((2, 2, 3)), False)
    sc('int32_data', r.integers(-9, 9, (4, 3)).astype(I32), idx([0, 0, 3]), r.integers(-9, 9, (3, 3)).astype(I32), False)
    sc('int64_data_1d', r.integers(-9, 9, (6,)).astype(I64), idx([5, 1]), r.integers(100, 200, (2,)).astype(I64), True)
    return out


def where_cases(r):
    out = []
    for name, cs, xs, ys, dt in [
        ('same', (3, 4), (3, 4), (3, 4), F32),
        ('broadcast', (3, 1), (1, 4), (3, 4), F32),
        ('broadcast_cond_rank', (4,), (2, 3, 4), (3, 1), F32),
        ('float64', (2, 3), (2, 3), (3,), F64),
        ('int32', (5,), (5,), (1,), I32),
        ('int64', (2, 2), (2, 2), (2, 2), I64),
    ]:
        c = r.integers(0, 2, cs).astype(bool)
        if dt in (I32, I64):
            x = r.integers(-50, 50, xs).astype(dt)
            y = r.integers(-50, 50, ys).astype(dt)
        else:
            x = r.standard_normal(xs).astype(dt)
            y = r.standard_normal(ys).astype(dt)
        out.append(case('where/' + name, 'where', {'Condition': T(c), 'X': T(x), 'Y': T(y)}, {},
                        {'Out': T(np.where(c, x, y))}))

    for name, c in [
        ('bool_2d', r.integers(0, 2, (3, 4)).astype(bool)),
        ('float_1d', np.array([0.0, 1.5, 0.0, -2.0, np.nan], F32)),
        ('int64_3d', r.integers(0, 2, (2, 2, 3)).astype(I64)),
        ('none', np.zeros((2, 3), bool)),
    ]:
        want = np.stack(np.nonzero(c), axis=1).astype(I64)
        out.append(case('where_index/' + name, 'where_index', {'Condition': T(c)}, {}, {'Out': T(want)}))

    for name, xs, ms, dt in [
        ('same', (3, 4), (3, 4), F32),
        ('mask_broadcast', (3, 4), (1, 4), F32),
        ('x_broadcast', (3, 1), (3, 4), F32),
        ('float64', (5,), (5,), F64),
        ('int64', (2, 3), (2, 3), I64),
    ]:
        x = r.standard_normal(xs).astype(dt) if dt != I64 else r.integers(-9, 9, xs).astype(I64)
        m = r.integers(0, 2, ms).astype(bool)
        m.reshape(-1)[0] = True
        want = torch.masked_select(torch.from_numpy(x), torch.from_numpy(m))
        out.append(case('masked_select/' + name, 'masked_select', {'X': T(x), 'Mask': T(m)}, {}, {'Y': T(want)}))
        if dt in (F32, F64):
            tx = torch.from_numpy(x).requires_grad_(True)
            y = torch.masked_select(tx, torch.from_numpy(m))
            dy = torch.from_numpy(r.standard_normal(tuple(y.shape)).astype(dt))
            y.backward(dy)
            out.append(case('masked_select_grad/' + name, 'masked_select_grad',
                            {'X': T(x), 'Mask': T(m), 'Y@GRAD': T(dy)}, {}, {'X@GRAD': T(tx.grad)}))
    return out


def arg_cases(r):
    out = []
    for op, f in (('arg_max', np.argmax), ('arg_min', np.argmin)):
        def a(name, x, axis=0, keepdims=False, flatten=False, dtype=-1):
            if flatten:
                want = np.array([f(x)])
            else:
                want = f(x, axis=axis)
                if keepdims:
                    want = np.expand_dims(want, axis)
                if want.ndim == 0:
                    want = want.reshape(1)
            want = want.astype(I32 if dtype == 2 else I64)
            out.append(case('%s/%s' % (op, name), op, {'X': T(x)},
                            {'axis': axis, 'keepdims': keepdims, 'flatten': flatten, 'dtype': dtype}, {'Out': T(want)}))

        a('axis0', r.standard_normal((4, 3)).astype(F32), 0)
        a('neg_axis_keepdims', r.standard_normal((2, 3, 5)).astype(F32), -1, keepdims=True)
        a('axis1_3d', r.standard_normal((2, 4, 3)).astype(F32), 1)
        a('flatten', r.standard_normal((3, 4)).astype(F32), flatten=True)
        a('ties_first_wins', np.array([[1, 3, 3, 0, 3], [2, 2, 0, 0, 2], [0, 0, 0, 0, 0]], F32), 1)
        a('int32_out', r.standard_normal((3, 5)).astype(F32), 1, dtype=2)
        a('int64_out_code3', r.standard_normal((3, 2)), 0, dtype=3)
        a('rank1', r.standard_normal((6,)).astype(F32), 0)
        a('int32_data_ties', r.integers(0, 3, (4, 4)).astype(I32), 0)
        a('int64_data', r.integers(-1000, 1000, (5,)).astype(I64), 0, keepdims=True)
    return out


def stable_order(x, axis, descending):
    """Stable sort positions along axis (ties keep their original order, also when descending)."""
    t = torch.from_numpy(np.ascontiguousarray(x))
    return torch.sort(t, dim=axis, descending=descending, stable=True).indices.numpy()


def sort_cases(r):
    out = []

    def tk(op, name, x, k, axis=-1, largest=True, sorted_=True, k_tensor=False, **extra):
        order = stable_order(x, axis, largest)
        ind = np.take(order, np.arange(k), axis=axis)
        if not sorted_:
            ind = np.sort(ind, axis=axis)
        vals = np.take_along_axis(x, ind, axis=axis)
        inputs = {'X': T(x)}
        attrs = {} if k_tensor else {'k': k}
        if k_tensor:
            inputs['K'] = T(idx([k], I32))
        if op == 'top_k_v2':
            attrs.update({'axis': axis, 'largest': largest, 'sorted': sorted_})
        out.append(case('%s/%s' % (op, name), op, inputs, attrs, {'Out': T(vals), 'Indices': T(ind.astype(I64))}, **extra))

    tk('top_k_v2', 'k2_last', r.standard_normal((3, 5)).astype(F32), 2)
    tk('top_k_v2', 'axis0_smallest', r.standard_normal((4, 3)).astype(F32), 3, axis=0, largest=False)
    tk('top_k_v2', 'k_eq_size', r.standard_normal((2, 4)).astype(F32), 4)
    tk('top_k_v2', 'unsorted', r.standard_normal((2, 6)).astype(F32), 3, sorted_=False)
    tk('top_k_v2', 'axis1_3d', r.standard_normal((2, 5, 3)).astype(F32), 2, axis=1)
    tk('top_k_v2', 'float64', r.standard_normal((3, 4)), 1, axis=-1, largest=False)
    tk('top_k_v2', 'int32_ties', np.array([[3, 1, 3, 2, 3], [0, 0, 1, 1, 0]], I32), 3)
    tk('top_k_v2', 'float_ties_stable', np.array([[1.5, 2.0, 2.0, -1.0], [0.5, 0.5, 0.5, 0.5]], F32), 3,
       grad=False, grad_skip_reason='tied values: the selection is not differentiable there')
    tk('top_k_v2', 'k_tensor', r.standard_normal((3, 4)).astype(F32), 2, k_tensor=True)
    tk('top_k_v2', 'int64_data', r.integers(-99, 99, (7,)).astype(I64), 3, largest=False)
    # k well below the axis extent takes the O(n log k) selection path
    tk('top_k_v2', 'small_k_select', r.standard_normal((2, 20)).astype(F32), 3)
    tk('top_k_v2', 'small_k_select_ties_int32', r.integers(0, 4, (3, 17)).astype(I32), 4, largest=False)
    tk('top_k_v2', 'small_k_unsorted_axis0', r.standard_normal((21, 2)), 2, axis=0, sorted_=False)
    tk('top_k', 'k3', r.standard_normal((2, 6)).astype(F32), 3)
    tk('top_k', 'k1_3d', r.standard_normal((2, 2, 3)).astype(F32), 1)

    def srt(name, x, axis=-1, descending=False, **extra):
        ind = stable_order(x, axis, descending)
        out.append(case('argsort/' + name, 'argsort', {'X': T(x)}, {'axis': axis, 'descending': descending},
                        {'Out': T(np.take_along_axis(x, ind, axis=axis)), 'Indices': T(ind.astype(I64))}, **extra))

    srt('last', r.standard_normal((3, 5)).astype(F32))
    srt('axis0_descending', r.standard_normal((4, 3)).astype(F32), 0, True)
    srt('3d_axis1', r.standard_normal((2, 4, 3)).astype(F32), 1)
    srt('float64_descending', r.standard_normal((6,)), -1, True)
    srt('int32_ties_stable', r.integers(0, 3, (3, 6)).astype(I32))
    srt('int64_ties_descending', r.integers(0, 3, (8,)).astype(I64), 0, True)
    srt('float_ties_descending', np.array([[2.0, 1.0, 2.0, 1.0, 3.0]], F32), -1, True,
        grad=False, grad_skip_reason='tied values: the permutation is not differentiable there')

    special = np.array([[1.0, np.nan, -0.0, 0.0, -np.inf, 2.0, np.inf, -0.0, np.nan, -3.5]])
    for dt in (F32, F64):
        for desc in (False, True):
            srt('nan_inf_signed_zero_%s%s' % (np.dtype(dt).name, '_descending' if desc else ''), special.astype(dt), -1, desc,
                grad=False, grad_skip_reason='non-finite values')

    def uq(name, x, axis=None, is_sorted=True, dtype=3, **flags):
        attrs = {'dtype': dtype, 'is_sorted': is_sorted, 'axis': [] if axis is None else [axis]}
        attrs.update(flags)
        it = I32 if dtype == 2 else I64
        if is_sorted:
            vals, first, inv, cnt = np.unique(x, return_index=True, return_inverse=True, return_counts=True, axis=axis)
        else:
            seen = {}
            order = []
            inv = np.zeros(x.shape[0], I64)
            cnt_d = {}
            for i, v in enumerate(x.tolist()):
                if v not in seen:
                    seen[v] = len(order)
                    order.append(i)
                inv[i] = seen[v]
                cnt_d[seen[v]] = cnt_d.get(seen[v], 0) + 1
            first = np.array(order, I64)
            vals = x[first]
            cnt = np.array([cnt_d[g] for g in range(len(order))], I64)
        outs = {'Out': T(vals)}
        if not is_sorted or flags.get('return_inverse'):
            outs['Index'] = T(inv.reshape(-1).astype(it))
        if flags.get('return_index'):
            outs['Indices'] = T(first.astype(it))
        if flags.get('return_counts'):
            outs['Counts'] = T(cnt.astype(it))
        out.append(case('unique/' + name, 'unique', {'X': T(x)}, attrs, outs))

    uq('flatten_all', r.integers(0, 5, (3, 4)).astype(F32), return_index=True, return_inverse=True, return_counts=True)
    uq('int64_counts_int32', r.integers(-3, 3, (9,)).astype(I64), dtype=2, return_counts=True)
    uq('axis0_rows', np.array([[1, 2], [3, 4], [1, 2], [0, 9], [3, 4]], I32), axis=0, return_inverse=True,
       return_counts=True, return_index=True)
    uq('axis1_cols', np.array([[1, 0, 1], [2, 5, 2]], F64), axis=1, return_inverse=True)
    uq('fluid_unsorted', np.array([2, 3, 3, 1, 5, 3], I64), is_sorted=False)
    return out


def one_hot_cases(r):
    out = []
    for name, x, depth, dtype, allow in [
        ('int64_2d', r.integers(0, 5, (2, 3)).astype(I64), 5, 5, False),
        ('int32_float64', idx([2, 0, 1, 2], I32), 3, 6, False),
        ('out_of_range_allowed', idx([0, 4, -1, 2]), 4, 5, True),
        ('int64_out', idx([[1], [0]]), 2, 3, False),
    ]:
        want = np.zeros(x.shape + (depth,), F64)
        for pos in np.ndindex(x.shape):
            if 0 <= x[pos] < depth:
                want[pos + (int(x[pos]),)] = 1
        nd = {5: F32, 6: F64, 3: I64}[dtype]
        out.append(case('one_hot_v2/' + name, 'one_hot_v2', {'X': T(x)},
                        {'depth': depth, 'dtype': dtype, 'allow_out_of_range': allow}, {'Out': T(want.astype(nd))}))
    return out


def cumsum_cases(r):
    out = []

    def cs(name, x, axis=-1, flatten=False, exclusive=False, reverse=False):
        a = x.reshape(-1) if flatten else x
        ax = -1 if flatten else axis
        if reverse:
            a = np.flip(a, ax)
        s = np.cumsum(a, axis=ax, dtype=x.dtype)
        if exclusive:
            s = s - a
        if reverse:
            s = np.flip(s, ax)
        out.append(case('cumsum/' + name, 'cumsum', {'X': T(x)},
                        {'axis': axis, 'flatten': flatten, 'exclusive': exclusive, 'reverse': reverse},
                        {'Out': T(np.ascontiguousarray(s))}, rtol=1e-5, atol=1e-5))

    cs('last', r.standard_normal((3, 5)).astype(F32))
    cs('axis0', r.standard_normal((4, 3)).astype(F32), axis=0)
    cs('axis1_3d', r.standard_normal((2, 4, 3)).astype(F32), axis=1)
    cs('exclusive', r.standard_normal((2, 5)).astype(F32), exclusive=True)
    cs('reverse', r.standard_normal((2, 5)).astype(F32), reverse=True)
    cs('exclusive_reverse', r.standard_normal((3, 4)).astype(F32), axis=0, exclusive=True, reverse=True)
    cs('flatten', r.standard_normal((2, 3)).astype(F32), flatten=True)
    cs('flatten_reverse_exclusive', r.standard_normal((2, 2, 2)), flatten=True, exclusive=True, reverse=True)
    cs('float64_neg_axis', r.standard_normal((3, 2, 4)), axis=-2)
    cs('int32', r.integers(-9, 9, (3, 4)).astype(I32), axis=1)
    cs('int64_reverse', r.integers(-99, 99, (6,)).astype(I64), reverse=True)
    return out


def lookup_cases(r):
    out = []

    def lk(op, name, w, ids, pad=-1):
        flat = ids.reshape(-1) if op == 'lookup_table_v2' else ids.reshape(-1)
        rows = w[flat.astype(I64)].copy()
        if pad != -1:
            rows[flat == pad] = 0
        shape = ids.shape if op == 'lookup_table_v2' else ids.shape[:-1]
        want = rows.reshape(tuple(shape) + (w.shape[1],))
        out.append(case('%s/%s' % (op, name), op, {'W': T(w), 'Ids': T(ids)}, {'padding_idx': pad}, {'Out': T(want)}))

    lk('lookup_table_v2', 'int64_2d_dup', r.standard_normal((6, 4)).astype(F32), idx([[1, 5, 1], [0, 1, 3]]))
    lk('lookup_table_v2', 'int32_1d', r.standard_normal((5, 3)).astype(F32), idx([4, 0, 0, 2, 4], I32))
    lk('lookup_table_v2', 'padding', r.standard_normal((5, 3)).astype(F32), idx([[2, 1], [2, 4], [0, 2]]), pad=2)
    lk('lookup_table_v2', 'float64_3d_ids', r.standard_normal((4, 2)), idx([[[3, 0], [1, 1]], [[2, 3], [0, 0]]]), pad=0)
    lk('lookup_table_v2', 'wide_rows', r.standard_normal((3, 20)).astype(F32), idx([2, 0, 2]))
    lk('lookup_table', 'ids_n1', r.standard_normal((5, 3)).astype(F32), idx([[4], [1], [4]]))
    lk('lookup_table', 'ids_3d_padding', r.standard_normal((4, 2)).astype(F32), idx([[[1], [3]], [[3], [0]]]), pad=3)

    for name, w, ids, pad in [
        ('dup_int64', r.standard_normal((5, 3)).astype(F32), idx([[1, 4, 1], [1, 0, 2]]), -1),
        ('padding_int32', r.standard_normal((4, 2)).astype(F32), idx([2, 2, 1, 3, 2], I32), 2),
        ('float64', r.standard_normal((3, 4)), idx([0, 0, 0, 2]), -1),
    ]:
        tw = torch.from_numpy(w).requires_grad_(True)
        o = torch.nn.functional.embedding(torch.from_numpy(ids.astype(I64)), tw, padding_idx=None if pad == -1 else pad)
        g = torch.from_numpy(r.standard_normal(tuple(o.shape)).astype(w.dtype))
        o.backward(g)
        out.append(case('lookup_table_v2_grad/' + name, 'lookup_table_v2_grad', {'W': T(w), 'Ids': T(ids), 'Out@GRAD': T(g)},
                        {'padding_idx': pad}, {'W@GRAD': T(tw.grad)}))
    return out


def cases():
    r = rng(7)
    return (gather_cases(r) + index_select_cases(r) + index_sample_cases(r) + along_axis_cases(r) + gather_nd_cases(r)
            + scatter_cases(r) + where_cases(r) + arg_cases(r) + sort_cases(r) + one_hot_cases(r) + cumsum_cases(r)
            + lookup_cases(r))
