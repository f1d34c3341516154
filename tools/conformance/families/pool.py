"""pool2d, max_pool2d_with_index and their _grad operators (PyTorch reference).

Paddle's pooling differs from torch.nn.functional in a few corners (a ceil_mode window may
hang past the padding; exclusive=False always divides by kh*kw; SAME padding), so the expected
values come from `paddle_pool2d` below: Paddle's window rules written with differentiable torch
ops, gradients by torch.autograd. Wherever torch's own pooling has the same semantics the
reference is checked against it before a case is written.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

from common import T, case, rng, torch_version

REFERENCE = torch_version()


def pool_geometry(shape_nchw, ksize, strides, paddings, global_pooling, adaptive, ceil_mode, algo):
    """Output size, clipped window bounds per output row/column (Paddle's pool_op rules)."""
    _, _, H, W = shape_nchw
    kh, kw = (H, W) if global_pooling else ksize
    pads = [paddings[0], paddings[0], paddings[1], paddings[1]] if len(paddings) == 2 else list(paddings)
    if algo == 'SAME':
        for i, (n, k, s) in enumerate(((H, kh, strides[0]), (W, kw, strides[1]))):
            out = (n + s - 1) // s
            total = max((out - 1) * s + k - n, 0)
            pads[2 * i], pads[2 * i + 1] = total // 2, total - total // 2
    elif algo == 'VALID':
        pads = [0, 0, 0, 0]
    if global_pooling or adaptive:
        pads = [0, 0, 0, 0]

    def size(n, k, p0, p1, s):
        num = n - k + p0 + p1 + (s - 1 if ceil_mode else 0)
        return int(math.trunc(num / s)) + 1

    if adaptive:
        oh, ow = kh, kw
    else:
        oh, ow = size(H, kh, pads[0], pads[1], strides[0]), size(W, kw, pads[2], pads[3], strides[1])

    def wins(out, n, k, s, p):
        res = []
        for o in range(out):
            if adaptive:
                res.append((int(math.floor(o * n / out)), int(math.ceil((o + 1) * n / out))))
            else:
                a = o * s - p
                res.append((max(a, 0), min(a + k, n)))
        return res

    return (oh, ow), wins(oh, H, kh, strides[0], pads[0]), wins(ow, W, kw, strides[1], pads[2]), (kh, kw)


def paddle_pool2d(x, pooling_type, ksize, strides=(1, 1), paddings=(0, 0), global_pooling=False, adaptive=False,
                  exclusive=True, ceil_mode=False, data_format='NCHW', padding_algorithm='EXPLICIT'):
    xx = x.permute(0, 3, 1, 2) if data_format == 'NHWC' else x
    N, C = xx.shape[:2]
    _, hw, ww, (kh, kw) = pool_geometry(tuple(xx.shape), ksize, strides, paddings, global_pooling, adaptive,
                                        ceil_mode, padding_algorithm)
    rows = []
    for (h0, h1) in hw:
        cols = []
        for (w0, w1) in ww:
            win = xx[:, :, h0:h1, w0:w1].reshape(N, C, -1)
            if pooling_type == 'max':
                cols.append(win.max(dim=2).values)  # the gradient goes to the first maximum
            else:
                div = (h1 - h0) * (w1 - w0) if (exclusive or adaptive) else kh * kw
                cols.append(win.sum(dim=2) / div)
        rows.append(torch.stack(cols, dim=2))
    out = torch.stack(rows, dim=2)
    return out.permute(0, 2, 3, 1) if data_format == 'NHWC' else out


def distinct(r, shape, dtype=np.float32):
    """Values at least 0.05 apart (no ties at max pooling, even under gradient-check steps)."""
    n = int(np.prod(shape))
    v = r.permutation(n).astype(np.float64) * 0.1 - n * 0.05 + r.uniform(-0.02, 0.02, n)
    return v.reshape(shape).astype(dtype)


def torch_check(x, attrs, got):
    """Compares with torch's pooling where its semantics coincide with Paddle's."""
    a = dict(attrs)
    xx = x.permute(0, 3, 1, 2) if a.get('data_format') == 'NHWC' else x
    g = got.permute(0, 3, 1, 2) if a.get('data_format') == 'NHWC' else got
    if a.get('padding_algorithm', 'EXPLICIT') != 'EXPLICIT':
        return
    ref = None
    if a.get('global_pooling'):
        ref = xx.amax(dim=(2, 3), keepdim=True) if a['pooling_type'] == 'max' else xx.mean(dim=(2, 3), keepdim=True)
    elif a.get('adaptive'):
        f = F.adaptive_max_pool2d if a['pooling_type'] == 'max' else F.adaptive_avg_pool2d
        ref = f(xx, a['ksize'])
    else:
        p = a.get('paddings', [0, 0])
        if len(p) == 4:
            if p[0] != p[1] or p[2] != p[3]:
                return
            p = [p[0], p[2]]
        k, s = a['ksize'], a.get('strides', [1, 1])
        if p[0] * 2 > k[0] or p[1] * 2 > k[1]:
            return
        ceil = a.get('ceil_mode', False)
        if a['pooling_type'] == 'max':
            ref = F.max_pool2d(xx, k, s, p, ceil_mode=ceil)
        else:
            excl = a.get('exclusive', True)
            if not excl and ceil:
                return
            ref = F.avg_pool2d(xx, k, s, p, ceil_mode=ceil, count_include_pad=not excl)
    if ref.shape != g.shape:
        return
    assert torch.allclose(ref, g, rtol=1e-5, atol=1e-6), ('reference disagrees with torch', attrs)


POOL_CASES = [
    # id, shape, attrs
    ('max_3x3_s2_p1_odd', (2, 3, 7, 7), dict(pooling_type='max', ksize=[3, 3], strides=[2, 2], paddings=[1, 1])),
    ('max_2x2_s2', (1, 2, 6, 6), dict(pooling_type='max', ksize=[2, 2], strides=[2, 2], paddings=[0, 0])),
    ('max_3x3_s2_ceil', (1, 2, 8, 8), dict(pooling_type='max', ksize=[3, 3], strides=[2, 2], paddings=[0, 0],
                                            ceil_mode=True)),
    ('max_rect_kernel_s1x2', (1, 2, 5, 7), dict(pooling_type='max', ksize=[2, 3], strides=[1, 2], paddings=[0, 1])),
    ('avg_3x3_s1_p1_exclusive', (2, 2, 5, 5), dict(pooling_type='avg', ksize=[3, 3], strides=[1, 1],
                                                   paddings=[1, 1], exclusive=True)),
    ('avg_3x3_s1_p1_inclusive', (2, 2, 5, 5), dict(pooling_type='avg', ksize=[3, 3], strides=[1, 1],
                                                   paddings=[1, 1], exclusive=False)),
    ('avg_2x2_s2_ceil_exclusive', (1, 2, 5, 5), dict(pooling_type='avg', ksize=[2, 2], strides=[2, 2],
                                                     paddings=[0, 0], ceil_mode=True, exclusive=True)),
    ('avg_2x2_s2_ceil_inclusive', (1, 2, 5, 5), dict(pooling_type='avg', ksize=[2, 2], strides=[2, 2],
                                                     paddings=[0, 0], ceil_mode=True, exclusive=False)),
    ('avg_3x3_s2_p1_ceil_inclusive', (1, 1, 6, 6), dict(pooling_type='avg', ksize=[3, 3], strides=[2, 2],
                                                        paddings=[1, 1], ceil_mode=True, exclusive=False)),
    ('avg_global', (2, 3, 4, 5), dict(pooling_type='avg', ksize=[1, 1], global_pooling=True)),
    ('max_global', (2, 3, 4, 5), dict(pooling_type='max', ksize=[1, 1], global_pooling=True)),
    ('avg_adaptive_7to3', (1, 2, 7, 7), dict(pooling_type='avg', ksize=[3, 3], adaptive=True)),
    ('max_adaptive_7x5to3x2', (1, 2, 7, 5), dict(pooling_type='max', ksize=[3, 2], adaptive=True)),
    ('avg_adaptive_5to1', (2, 2, 5, 5), dict(pooling_type='avg', ksize=[1, 1], adaptive=True)),
    ('avg_asymmetric_pad', (1, 2, 6, 7), dict(pooling_type='avg', ksize=[3, 3], strides=[2, 2],
                                              paddings=[1, 0, 2, 1], exclusive=True)),
    ('max_asymmetric_pad', (1, 2, 6, 7), dict(pooling_type='max', ksize=[3, 3], strides=[2, 2],
                                              paddings=[0, 1, 1, 2])),
    ('max_nhwc_3x3_s2_p1', (2, 7, 7, 3), dict(pooling_type='max', ksize=[3, 3], strides=[2, 2], paddings=[1, 1],
                                              data_format='NHWC')),
    ('avg_nhwc_inclusive', (1, 5, 6, 2), dict(pooling_type='avg', ksize=[2, 2], strides=[2, 2], paddings=[1, 1],
                                              exclusive=False, data_format='NHWC')),
    ('avg_nhwc_adaptive', (1, 7, 5, 2), dict(pooling_type='avg', ksize=[3, 2], adaptive=True, data_format='NHWC')),
    ('max_same_k3_s2', (1, 2, 7, 8), dict(pooling_type='max', ksize=[3, 3], strides=[2, 2],
                                          padding_algorithm='SAME')),
    ('avg_same_k2_s1', (1, 2, 5, 5), dict(pooling_type='avg', ksize=[2, 2], strides=[1, 1],
                                          padding_algorithm='SAME', paddings=[3, 3])),
    ('avg_valid_k2_s2', (1, 1, 5, 5), dict(pooling_type='avg', ksize=[2, 2], strides=[2, 2], paddings=[1, 1],
                                           padding_algorithm='VALID')),
]


def cases():
    r = rng(7)
    out = []
    for name, shape, attrs in POOL_CASES:
        x = torch.tensor(distinct(r, shape), requires_grad=True)
        y = paddle_pool2d(x, **attrs)
        torch_check(x.detach(), attrs, y.detach())
        out.append(case('pool2d/' + name, 'pool2d', {'X': T(x)}, attrs, {'Out': T(y)}))
        # the dedicated gradient operator, from torch.autograd
        dy = torch.tensor(r.standard_normal(tuple(y.shape)).astype(np.float32))
        (dx,) = torch.autograd.grad(y, x, dy)
        out.append(case('pool2d_grad/' + name, 'pool2d_grad', {'X': T(x), 'Out': T(y), 'Out@GRAD': T(dy)}, attrs,
                        {'X@GRAD': T(dx)}))

    # float64
    x = torch.tensor(distinct(r, (1, 2, 5, 6), np.float64), requires_grad=True)
    attrs = dict(pooling_type='avg', ksize=[3, 2], strides=[2, 1], paddings=[1, 0], exclusive=True)
    y = paddle_pool2d(x, **attrs)
    out.append(case('pool2d/float64_avg', 'pool2d', {'X': T(x)}, attrs, {'Out': T(y)}))
    attrs = dict(pooling_type='max', ksize=[2, 2], strides=[1, 1])
    y = paddle_pool2d(x, **attrs)
    out.append(case('pool2d/float64_max', 'pool2d', {'X': T(x)}, attrs, {'Out': T(y)}))
    # avg_grad without Out (only max pooling reads it)
    x = torch.tensor(distinct(r, (1, 2, 4, 4)), requires_grad=True)
    attrs = dict(pooling_type='avg', ksize=[2, 2], strides=[2, 2], paddings=[0, 0])
    y = paddle_pool2d(x, **attrs)
    dy = torch.tensor(r.standard_normal(tuple(y.shape)).astype(np.float32))
    (dx,) = torch.autograd.grad(y, x, dy)
    out.append(case('pool2d_grad/avg_without_out', 'pool2d_grad', {'X': T(x), 'Out@GRAD': T(dy)}, attrs,
                    {'X@GRAD': T(dx)}))
    # a tie inside a max window: the first maximum (row-major) takes the whole gradient
    xt = torch.tensor([[[[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, 1.0, 3.0]]]], requires_grad=True)
    attrs = dict(pooling_type='max', ksize=[2, 2], strides=[2, 2], paddings=[0, 0])
    y = paddle_pool2d(xt, **attrs)
    dy = torch.tensor([[[[1.5, -2.0]]]])
    (dx,) = torch.autograd.grad(y, xt, dy)
    assert dx[0, 0, 0, 1] == 1.5 and dx[0, 0, 1, 0] == 0 and dx[0, 0, 0, 2] == -2.0 and dx[0, 0, 1, 3] == 0
    out.append(case('pool2d_grad/max_tie_first_wins', 'pool2d_grad', {'X': T(xt), 'Out': T(y), 'Out@GRAD': T(dy)},
                    attrs, {'X@GRAD': T(dx)}))
    out.append(case('pool2d/max_tie', 'pool2d', {'X': T(xt)}, attrs, {'Out': T(y)}, grad=False,
                    grad_skip_reason='equal maxima in a window (a kink)'))

    # max_pool2d_with_index: torch's max_pool2d / adaptive_max_pool2d indices are the same flat h*W+w
    WITH_INDEX = [
        ('k2_s2', (1, 2, 6, 6), dict(ksize=[2, 2], strides=[2, 2], paddings=[0, 0])),
        ('k3_s2_p1_odd', (2, 2, 7, 7), dict(ksize=[3, 3], strides=[2, 2], paddings=[1, 1])),
        ('k3_s1_rect', (1, 1, 4, 6), dict(ksize=[3, 2], strides=[1, 2], paddings=[1, 0])),
        ('adaptive_7to3', (1, 2, 7, 7), dict(ksize=[3, 3], adaptive=True)),
        ('global', (2, 2, 3, 5), dict(ksize=[1, 1], global_pooling=True)),
    ]
    for name, shape, attrs in WITH_INDEX:
        x = torch.tensor(distinct(r, shape), requires_grad=True)
        if attrs.get('adaptive'):
            y, idx = F.adaptive_max_pool2d(x, attrs['ksize'], return_indices=True)
        elif attrs.get('global_pooling'):
            y, idx = F.max_pool2d(x, shape[2:], return_indices=True)
        else:
            y, idx = F.max_pool2d(x, attrs['ksize'], attrs['strides'], attrs['paddings'], return_indices=True)
        mine = paddle_pool2d(x.detach(), 'max', attrs['ksize'], attrs.get('strides', [1, 1]),
                             attrs.get('paddings', [0, 0]), attrs.get('global_pooling', False),
                             attrs.get('adaptive', False))
        assert torch.equal(mine, y.detach())
        out.append(case('max_pool2d_with_index/' + name, 'max_pool2d_with_index', {'X': T(x)}, attrs,
                        {'Out': T(y), 'Mask': T(idx.numpy().astype(np.int32))}))
        dy = torch.tensor(r.standard_normal(tuple(y.shape)).astype(np.float32))
        (dx,) = torch.autograd.grad(y, x, dy)
        out.append(case('max_pool2d_with_index_grad/' + name, 'max_pool2d_with_index_grad',
                        {'X': T(x), 'Mask': T(idx.numpy().astype(np.int32)), 'Out@GRAD': T(dy)}, attrs,
                        {'X@GRAD': T(dx)}))
    return out
