"""bilinear_interp(_v2), nearest_interp(_v2) and their _grad operators (PyTorch reference).

`paddle_interp` writes Paddle's coordinate rules (float32 ratios; align_corners; align_mode 0 =
half pixel clamped at 0, align_mode 1 = i*ratio; nearest rounds with align_corners, else
truncates; ratio 0 when an output extent is 1) with differentiable torch indexing, so gradients
come from torch.autograd. Where torch.nn.functional.interpolate has the same semantics
(bilinear with align_corners, half-pixel bilinear, nearest without align_corners) the reference
is checked against it before a case is written.
"""
import numpy as np
import torch
import torch.nn.functional as F

from common import T, case, rng, torch_version

REFERENCE = torch_version()
F32 = np.float32


def geometry(op, in_hw, attrs, tensors):
    """Output size and (float32) ratios per Paddle's interpolate kernels."""
    v2 = op.endswith('_v2')
    out_h, out_w = attrs.get('out_h', 0), attrs.get('out_w', 0)
    sh = sw = -1.0
    if 'SizeTensor' in tensors:
        out_h, out_w = [int(t[0]) for t in tensors['SizeTensor']]
    else:
        if v2:
            s = list(tensors['Scale']) if 'Scale' in tensors else attrs.get('scale', [])
            if 'Scale' in tensors or len(s) > 1:
                sh, sw = (s[0], s[1]) if len(s) > 1 else (s[0], s[0])
        else:
            s = tensors['Scale'][0] if 'Scale' in tensors else attrs.get('scale', 0.0)
            if s > 0:
                sh = sw = s
        if sh > 0 and sw > 0:
            out_h, out_w = int(F32(in_hw[0]) * F32(sh)), int(F32(in_hw[1]) * F32(sw))
        if 'OutSize' in tensors:
            out_h, out_w = [int(v) for v in tensors['OutSize']]
    ac = attrs.get('align_corners', True)

    def ratio(n, o, s):
        if o <= 1:
            return F32(0)
        if ac:
            return F32(n - 1) / F32(o - 1)
        return F32(1.0 / float(F32(s))) if (v2 and s > 0) else F32(n) / F32(o)

    return (out_h, out_w), (ratio(in_hw[0], out_h, sh), ratio(in_hw[1], out_w, sw))


def table(n, out, r, method, align_corners, half):
    i0, i1, w0, w1 = [], [], [], []
    for o in range(out):
        if method == 'nearest':
            p = float(F32(r) * F32(o))
            i0.append(min(int(p + 0.5) if align_corners else int(p), n - 1))
            i1.append(0)
            w0.append(1.0)
            w1.append(0.0)
            continue
        if half:
            src = float(r) * (o + 0.5) - 0.5  # double, as in Paddle's kernel
            a = max(int(src), 0)
            d = F32(max(float(F32(src)), 0.0)) - F32(a)
        else:
            p = F32(r) * F32(o)
            a = max(int(p), 0)
            d = p - F32(a)
        i0.append(a)
        i1.append(min(a + 1, n - 1))
        w1.append(float(d))
        w0.append(float(F32(1) - F32(d)))
    return i0, i1, w0, w1


def paddle_interp(x, op, attrs, tensors):
    nhwc = attrs.get('data_layout', 'NCHW') == 'NHWC'
    xx = x.permute(0, 3, 1, 2) if nhwc else x
    H, W = xx.shape[2:]
    (oh, ow), (rh, rw) = geometry(op, (H, W), attrs, tensors)
    method = attrs.get('interp_method', 'bilinear' if op.startswith('bilinear') else 'nearest')
    ac = attrs.get('align_corners', True)
    half = attrs.get('align_mode', 1) == 0 and not ac
    if (oh, ow) == (H, W):
        y = xx * 1.0  # Paddle copies the input when the size is unchanged
    else:
        h0, h1, hw0, hw1 = table(H, oh, rh, method, ac, half)
        v0, v1, vw0, vw1 = table(W, ow, rw, method, ac, half)
        if method == 'nearest':
            y = xx[:, :, h0, :][:, :, :, v0]
        else:
            def wt(v, shape):
                return torch.tensor(v, dtype=x.dtype).reshape(shape)
            a = xx[:, :, h0, :] * wt(hw0, (1, 1, -1, 1)) + xx[:, :, h1, :] * wt(hw1, (1, 1, -1, 1))
            y = a[:, :, :, v0] * wt(vw0, (1, 1, 1, -1)) + a[:, :, :, v1] * wt(vw1, (1, 1, 1, -1))
    return y.permute(0, 2, 3, 1) if nhwc else y


def torch_check(x, op, attrs, tensors, y, scale_factor=None):
    """F.interpolate where its semantics are Paddle's; skipped for the Paddle-only modes."""
    nhwc = attrs.get('data_layout', 'NCHW') == 'NHWC'
    xx = x.permute(0, 3, 1, 2) if nhwc else x
    yy = y.permute(0, 3, 1, 2) if nhwc else y
    if min(yy.shape[2:]) <= 1:
        return False
    method = 'bilinear' if op.startswith('bilinear') else 'nearest'
    ac = attrs.get('align_corners', True)
    if method == 'nearest' and ac:
        return False
    if method == 'bilinear' and not ac and attrs.get('align_mode', 1) != 0:
        return False
    kw = dict(mode=method)
    if method == 'bilinear':
        kw['align_corners'] = ac
    if scale_factor is not None:
        ref = F.interpolate(xx, scale_factor=scale_factor, recompute_scale_factor=False, **kw)
    else:
        ref = F.interpolate(xx, size=tuple(yy.shape[2:]), **kw)
    assert ref.shape == yy.shape, (op, attrs, ref.shape, yy.shape)
    assert torch.allclose(ref, yy, rtol=1e-5, atol=1e-6), (op, attrs)
    return True


# id, op, x shape, attrs, size/scale tensors, scale_factor for the torch check (v2 scale only)
CASES = [
    ('align_corners_up', 'bilinear_interp_v2', (1, 2, 3, 4), dict(out_h=5, out_w=7), {}, None),
    ('align_corners_down', 'bilinear_interp_v2', (2, 1, 6, 7), dict(out_h=4, out_w=3), {}, None),
    ('half_pixel_scale2', 'bilinear_interp_v2', (1, 2, 3, 3),
     dict(scale=[2.0, 2.0], align_corners=False, align_mode=0), {}, (2.0, 2.0)),
    ('half_pixel_down_odd', 'bilinear_interp_v2', (1, 1, 7, 6),
     dict(out_h=3, out_w=4, align_corners=False, align_mode=0), {}, None),
    ('half_pixel_scale_1_5', 'bilinear_interp_v2', (1, 2, 5, 4),
     dict(scale=[1.5, 1.5], align_corners=False, align_mode=0), {}, (1.5, 1.5)),
    ('align_mode1', 'bilinear_interp_v2', (1, 2, 3, 4),
     dict(out_h=5, out_w=9, align_corners=False, align_mode=1), {}, None),
    ('align_mode1_scale_1_5', 'bilinear_interp_v2', (1, 1, 5, 4),
     dict(scale=[1.5, 1.5], align_corners=False, align_mode=1), {}, None),
    ('align_mode1_down', 'bilinear_interp_v2', (1, 1, 7, 5),
     dict(out_h=3, out_w=2, align_corners=False, align_mode=1), {}, None),
    ('nhwc_half_pixel', 'bilinear_interp_v2', (1, 4, 5, 3),
     dict(out_h=6, out_w=7, align_corners=False, align_mode=0, data_layout='NHWC'), {}, None),
    ('nhwc_align_corners', 'bilinear_interp_v2', (2, 3, 3, 2), dict(out_h=5, out_w=4, data_layout='NHWC'), {}, None),
    ('out_extent_1', 'bilinear_interp_v2', (1, 1, 4, 4),
     dict(out_h=1, out_w=3, align_corners=False, align_mode=0), {}, None),
    ('scale_over_out_hw', 'bilinear_interp_v2', (1, 1, 4, 4),
     dict(out_h=10, out_w=10, scale=[1.5, 2.0], align_corners=False, align_mode=0), {}, (1.5, 2.0)),
    ('same_size', 'bilinear_interp_v2', (1, 2, 3, 4), dict(out_h=3, out_w=4), {}, None),
    ('out_size_tensor', 'bilinear_interp_v2', (1, 1, 3, 3), dict(), {'OutSize': [4, 5]}, None),
    ('size_tensor_list', 'bilinear_interp_v2', (1, 2, 4, 3),
     dict(out_h=9, out_w=9, align_corners=False, align_mode=0), {'SizeTensor': [[2], [5]]}, None),
    ('scale_tensor', 'bilinear_interp_v2', (1, 1, 3, 4), dict(align_corners=False, align_mode=0),
     {'Scale': [2.0]}, (2.0, 2.0)),
    ('nearest_align_corners_default', 'nearest_interp_v2', (1, 2, 3, 4), dict(out_h=5, out_w=7), {}, None),
    ('nearest_align_corners_down', 'nearest_interp_v2', (1, 1, 7, 6), dict(out_h=4, out_w=4), {}, None),
    ('nearest_scale2', 'nearest_interp_v2', (1, 2, 3, 3), dict(scale=[2.0, 2.0], align_corners=False), {},
     (2.0, 2.0)),
    ('nearest_odd_sizes', 'nearest_interp_v2', (1, 1, 5, 5), dict(out_h=3, out_w=7, align_corners=False), {},
     None),
    ('nearest_nhwc_scales', 'nearest_interp_v2', (1, 4, 6, 2),
     dict(scale=[1.5, 0.5], align_corners=False, data_layout='NHWC'), {}, (1.5, 0.5)),
    ('nearest_out_size_tensor', 'nearest_interp_v2', (1, 1, 2, 3), dict(align_corners=False), {'OutSize': [4, 4]},
     None),
    ('v1_align_corners_default', 'bilinear_interp', (1, 2, 3, 4), dict(out_h=6, out_w=5), {}, None),
    ('v1_scale_uses_in_over_out', 'bilinear_interp', (1, 1, 5, 5),
     dict(scale=1.5, align_corners=False, align_mode=0), {}, None),
    ('v1_align_mode1', 'bilinear_interp', (1, 2, 4, 3), dict(out_h=7, out_w=5, align_corners=False, align_mode=1),
     {}, None),
    ('v1_nearest_align_corners', 'nearest_interp', (1, 2, 3, 4), dict(out_h=5, out_w=6), {}, None),
    ('v1_nearest_scale2', 'nearest_interp', (1, 1, 3, 2), dict(scale=2.0, align_corners=False), {}, None),
    ('v1_nearest_scale_tensor', 'nearest_interp', (1, 1, 4, 4), dict(align_corners=False), {'Scale': [0.5]}, None),
]

GRAD_IDS = {'align_corners_up', 'half_pixel_down_odd', 'half_pixel_scale_1_5', 'align_mode1', 'nhwc_half_pixel',
            'out_extent_1', 'out_size_tensor', 'scale_tensor', 'nearest_align_corners_default', 'nearest_scale2',
            'nearest_nhwc_scales', 'v1_scale_uses_in_over_out', 'v1_align_mode1', 'v1_nearest_align_corners'}


def tensor_inputs(tensors):
    out = {}
    if 'OutSize' in tensors:
        out['OutSize'] = T(np.array(tensors['OutSize'], dtype=np.int32))
    if 'SizeTensor' in tensors:
        out['SizeTensor'] = [T(np.array(v, dtype=np.int32)) for v in tensors['SizeTensor']]
    if 'Scale' in tensors:
        out['Scale'] = T(np.array(tensors['Scale'], dtype=np.float32))
    return out


def cases():
    r = rng(11)
    out = []
    checked = 0
    for name, op, shape, attrs, tensors, sf in CASES:
        x = torch.tensor(r.standard_normal(shape).astype(np.float32), requires_grad=True)
        y = paddle_interp(x, op, attrs, tensors)
        checked += torch_check(x.detach(), op, attrs, tensors, y.detach(), sf)
        inputs = {'X': T(x), **tensor_inputs(tensors)}
        out.append(case('%s/%s' % (op, name), op, inputs, attrs, {'Out': T(y)}))
        if name in GRAD_IDS:
            dy = torch.tensor(r.standard_normal(tuple(y.shape)).astype(np.float32))
            (dx,) = torch.autograd.grad(y, x, dy)
            out.append(case('%s_grad/%s' % (op, name), op + '_grad', {**inputs, 'Out@GRAD': T(dy)}, attrs,
                            {'X@GRAD': T(dx)}))
    assert checked >= 12, checked
    # float64
    for op, attrs in (('bilinear_interp_v2', dict(out_h=5, out_w=3, align_corners=False, align_mode=0)),
                      ('nearest_interp_v2', dict(out_h=5, out_w=3, align_corners=False))):
        x = torch.tensor(r.standard_normal((1, 2, 3, 4)))
        y = paddle_interp(x, op, attrs, {})
        torch_check(x, op, attrs, {}, y)
        out.append(case('%s/float64' % op, op, {'X': T(x)}, attrs, {'Out': T(y)}))
    return out
