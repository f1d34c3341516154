"""conv2d, depthwise_conv2d, conv2d_transpose, depthwise_conv2d_transpose and their `_grad`
operators (PyTorch reference: forward values in float64, gradients from torch.autograd).

Paddle's padding rules are resolved here first (2 or 4 explicit values, SAME, VALID), then the
convolution runs on an explicitly padded (or, for transposed convolutions, cropped) tensor, so
asymmetric paddings need no support from torch."""
import math

import numpy as np
import torch
import torch.nn.functional as F

from common import T, case, rng, torch_version

REFERENCE = torch_version()

# float32 results summed over up to ~50 products: allow for rounding in either implementation.
TOL = {'rtol': 1e-5, 'atol': 1e-5}


def attrs_of(strides=(1, 1), paddings=(0, 0), algo='EXPLICIT', groups=1, dilations=(1, 1), fmt='NCHW', **extra):
    a = {'strides': list(strides), 'paddings': list(paddings), 'padding_algorithm': algo, 'groups': groups,
         'dilations': list(dilations), 'data_format': fmt}
    a.update(extra)
    return a


def resolve(attrs, spatial, ksize):
    """Paddle's UpdatePaddingAndDilation: ([top, bottom, left, right], dilations)."""
    algo = attrs['padding_algorithm']
    dil = list(attrs['dilations'])
    if algo == 'SAME':
        pads = []
        for i in range(2):
            s = attrs['strides'][i]
            out = (spatial[i] + s - 1) // s
            total = max((out - 1) * s + ksize[i] - spatial[i], 0)
            pads += [total // 2, total - total // 2]
        return pads, [1, 1]
    if algo == 'VALID':
        return [0, 0, 0, 0], dil
    p = attrs['paddings']
    return (list(p) if len(p) == 4 else [p[0], p[0], p[1], p[1]]), dil


def to_nchw(t, fmt):
    return t.permute(0, 3, 1, 2) if fmt == 'NHWC' else t


def from_nchw(t, fmt):
    return t.permute(0, 2, 3, 1) if fmt == 'NHWC' else t


def conv_ref(x, w, attrs):
    fmt = attrs['data_format']
    xc = to_nchw(x, fmt)
    pads, dil = resolve(attrs, xc.shape[2:], w.shape[2:])
    xp = F.pad(xc, (pads[2], pads[3], pads[0], pads[1]))
    y = F.conv2d(xp, w, stride=attrs['strides'], dilation=dil, groups=attrs['groups'])
    return from_nchw(y, fmt)


def conv_transpose_ref(x, w, attrs):
    fmt = attrs['data_format']
    xc = to_nchw(x, fmt)
    h, wd = xc.shape[2:]
    kh, kw = w.shape[2:]
    pads, dil = resolve(attrs, (h, wd), (kh, kw))
    s = attrs['strides']
    full = F.conv_transpose2d(xc, w, stride=s, dilation=dil, groups=attrs['groups'])
    out = []
    for i, (size, k) in enumerate(((h, kh), (wd, kw))):
        infer = (size - 1) * s[i] - pads[2 * i] - pads[2 * i + 1] + dil[i] * (k - 1) + 1
        if attrs.get('output_size'):
            out.append(attrs['output_size'][i])
        elif attrs.get('output_padding'):
            out.append(infer + attrs['output_padding'][i])
        else:
            out.append(infer)
    # Output index o is index o + pad_before of the unpadded result (zero past its end).
    lh, lw = full.shape[2:]
    y = F.pad(full, (-pads[2], pads[2] + out[1] - lw, -pads[0], pads[0] + out[0] - lh))
    return from_nchw(y, fmt)


def cases():
    r = rng(11)
    out = []

    def t64(*shape):
        # Multiples of 1/64: short in JSON, and products are exact in float32.
        return torch.tensor(np.round(r.standard_normal(shape) * 64) / 64, dtype=torch.float64)

    def emit(op, name, x, w, attrs, ref, dtype=np.float32):
        """A forward case and a `_grad` case (same inputs plus a random Output@GRAD)."""
        xr = x.clone().requires_grad_(True)
        wr = w.clone().requires_grad_(True)
        y = ref(xr, wr, attrs)
        dy = t64(*y.shape)
        y.backward(dy)
        tol = TOL if dtype == np.float32 else {}
        out.append(case('%s/%s' % (op, name), op, {'Input': T(x, dtype), 'Filter': T(w, dtype)}, attrs,
                        {'Output': T(y.detach(), dtype)}, **tol))
        out.append(case('%s_grad/%s' % (op, name), op + '_grad',
                        {'Input': T(x, dtype), 'Filter': T(w, dtype), 'Output@GRAD': T(dy, dtype)}, attrs,
                        {'Input@GRAD': T(xr.grad, dtype), 'Filter@GRAD': T(wr.grad, dtype)}, **tol))

    def inputs(xs, ws):
        return t64(*xs), t64(*ws)

    conv = [
        # name, x shape (NCHW), w shape, attrs
        ('basic', (1, 2, 5, 5), (3, 2, 3, 3), attrs_of()),
        ('pad1_batch2', (2, 3, 5, 6), (4, 3, 3, 3), attrs_of(paddings=(1, 1))),
        ('stride2_pad1', (2, 3, 7, 7), (2, 3, 3, 3), attrs_of(strides=(2, 2), paddings=(1, 1))),
        ('odd_stride2_even_input', (1, 2, 8, 6), (3, 2, 3, 3), attrs_of(strides=(2, 2), paddings=(1, 1))),
        ('pads4_asymmetric', (2, 2, 5, 6), (3, 2, 3, 3), attrs_of(paddings=(1, 0, 2, 1))),
        ('pads4_asymmetric_stride2', (1, 2, 7, 6), (2, 2, 3, 3), attrs_of(strides=(2, 2), paddings=(0, 2, 1, 0))),
        ('same_stride2', (2, 2, 7, 6), (3, 2, 3, 3), attrs_of(strides=(2, 2), algo='SAME')),
        ('same_ignores_dilation', (1, 2, 5, 5), (2, 2, 3, 3), attrs_of(algo='SAME', dilations=(2, 2), paddings=(5, 5))),
        ('valid', (1, 2, 6, 5), (2, 2, 3, 2), attrs_of(algo='VALID', paddings=(1, 1))),
        ('dilation2', (2, 2, 7, 7), (3, 2, 3, 3), attrs_of(paddings=(2, 2), dilations=(2, 2))),
        ('dilation2_stride2', (1, 2, 9, 8), (2, 2, 3, 3), attrs_of(strides=(2, 2), paddings=(1, 2), dilations=(2, 2))),
        ('rect_kernel_mixed_strides', (2, 2, 6, 7), (3, 2, 2, 3), attrs_of(strides=(2, 1), paddings=(1, 0), dilations=(1, 2))),
        ('pad_wider_than_kernel', (1, 2, 4, 4), (2, 2, 3, 3), attrs_of(paddings=(3, 3))),
        # Many more output than input channels: the data gradient scatters instead of gathering.
        ('stem_stride2', (2, 1, 7, 8), (4, 1, 5, 5), attrs_of(strides=(2, 2), paddings=(2, 2))),
        ('stem_stride1', (1, 2, 5, 5), (7, 2, 3, 3), attrs_of(paddings=(1, 0))),
        ('groups2', (2, 4, 4, 5), (6, 2, 3, 3), attrs_of(paddings=(1, 1), groups=2)),
        ('groups2_stride2', (1, 4, 6, 6), (4, 2, 3, 3), attrs_of(strides=(2, 2), paddings=(1, 1), groups=2)),
        ('pointwise', (2, 3, 4, 5), (4, 3, 1, 1), attrs_of()),
        ('pointwise_stride2', (2, 3, 5, 5), (4, 3, 1, 1), attrs_of(strides=(2, 2))),
        ('pointwise_groups', (1, 4, 3, 3), (6, 2, 1, 1), attrs_of(groups=2)),
        ('nhwc', (2, 3, 5, 6), (4, 3, 3, 3), attrs_of(strides=(2, 1), paddings=(1, 1), fmt='NHWC')),
        ('nhwc_groups_same', (1, 4, 5, 5), (2, 2, 3, 3), attrs_of(algo='SAME', groups=2, fmt='NHWC')),
        ('anylayout', (1, 2, 4, 4), (2, 2, 3, 3), attrs_of(paddings=(1, 1), fmt='AnyLayout')),
    ]
    for name, xs, ws, attrs in conv:
        x, w = inputs(xs, ws)
        if attrs['data_format'] == 'NHWC':
            x = x.permute(0, 2, 3, 1).contiguous()
        emit('conv2d', name, x, w, attrs, conv_ref)
    x, w = inputs((2, 2, 5, 4), (3, 2, 3, 3))
    emit('conv2d', 'float64', x, w, attrs_of(strides=(2, 1), paddings=(1, 0, 1, 1)), conv_ref, np.float64)

    depthwise = [
        ('multiplier2', (2, 3, 5, 5), (6, 1, 3, 3), attrs_of(paddings=(1, 1), groups=3)),
        ('stride2', (1, 4, 7, 6), (4, 1, 3, 3), attrs_of(strides=(2, 2), paddings=(1, 1), groups=4)),
        ('dilation2_pads4', (1, 2, 7, 7), (2, 1, 3, 3), attrs_of(paddings=(2, 1, 1, 2), dilations=(2, 2), groups=2)),
        ('nhwc_multiplier2', (2, 3, 4, 5), (6, 1, 3, 3), attrs_of(algo='SAME', groups=3, fmt='NHWC')),
    ]
    for name, xs, ws, attrs in depthwise:
        x, w = inputs(xs, ws)
        if attrs['data_format'] == 'NHWC':
            x = x.permute(0, 2, 3, 1).contiguous()
        emit('depthwise_conv2d', name, x, w, attrs, conv_ref)

    # conv2d_transpose: Filter [C_in, C_out / groups, KH, KW].
    transpose = [
        ('basic', (1, 2, 4, 4), (2, 3, 3, 3), attrs_of()),
        ('stride2_pad1', (2, 3, 3, 4), (3, 2, 3, 3), attrs_of(strides=(2, 2), paddings=(1, 1))),
        ('output_padding', (1, 2, 3, 3), (2, 2, 3, 3), attrs_of(strides=(2, 2), paddings=(1, 1), output_padding=[1, 1])),
        ('output_size', (1, 2, 3, 4), (2, 3, 3, 3), attrs_of(strides=(3, 2), paddings=(1, 1), output_size=[9, 8])),
        ('pads4_asymmetric', (2, 2, 4, 3), (2, 2, 3, 3), attrs_of(strides=(2, 1), paddings=(1, 0, 0, 2))),
        ('dilation2', (1, 2, 4, 4), (2, 2, 3, 3), attrs_of(paddings=(1, 1), dilations=(2, 2))),
        ('dilation2_stride2', (1, 2, 3, 3), (2, 2, 3, 3), attrs_of(strides=(2, 2), dilations=(2, 2))),
        ('groups2', (2, 4, 3, 3), (4, 3, 3, 3), attrs_of(strides=(2, 2), paddings=(1, 1), groups=2)),
        ('groups2_stride1', (1, 4, 4, 4), (4, 1, 3, 3), attrs_of(paddings=(1, 1), groups=2)),
        ('same_stride2', (1, 2, 5, 4), (2, 3, 3, 3), attrs_of(strides=(2, 2), algo='SAME')),
        ('valid', (1, 2, 3, 3), (2, 2, 2, 3), attrs_of(strides=(2, 2), algo='VALID', paddings=(1, 1))),
        ('pointwise', (2, 3, 4, 4), (3, 2, 1, 1), attrs_of()),
        ('few_outputs_stride2', (1, 4, 3, 3), (4, 1, 3, 3), attrs_of(strides=(2, 2), paddings=(0, 1))),
        ('pointwise_stride2', (1, 3, 3, 3), (3, 2, 1, 1), attrs_of(strides=(2, 2))),
        ('nhwc', (2, 3, 3, 4), (3, 2, 3, 3), attrs_of(strides=(2, 2), paddings=(1, 1), fmt='NHWC', output_padding=[1, 0])),
    ]
    for name, xs, ws, attrs in transpose:
        x, w = inputs(xs, ws)
        if attrs['data_format'] == 'NHWC':
            x = x.permute(0, 2, 3, 1).contiguous()
        a = dict(attrs)
        a.setdefault('output_padding', [])
        a.setdefault('output_size', [])
        emit('conv2d_transpose', name, x, w, a, conv_transpose_ref)
    x, w = inputs((1, 2, 3, 3), (2, 2, 3, 3))
    emit('conv2d_transpose', 'float64', x, w,
         attrs_of(strides=(2, 2), paddings=(1, 0, 1, 1), output_padding=[1, 1], output_size=[]),
         conv_transpose_ref, np.float64)

    dw_t = [
        ('stride2', (2, 3, 3, 3), (3, 1, 3, 3), attrs_of(strides=(2, 2), paddings=(1, 1), groups=3)),
        ('multiplier2', (1, 2, 4, 4), (2, 2, 3, 3), attrs_of(paddings=(1, 1), groups=2)),
    ]
    for name, xs, ws, attrs in dw_t:
        x, w = inputs(xs, ws)
        a = dict(attrs, output_padding=[], output_size=[])
        emit('depthwise_conv2d_transpose', name, x, w, a, conv_transpose_ref)
    # The fused conv2d of Paddle's inference passes: act(conv + Bias + ResidualData). Forward only:
    # the fused form has no gradient. Channels of 8 and 16 run oneDNN's blocked kernels; 3 its
    # plain ones; NHWC and float64 the GEMM lowering.
    acts = {
        '': lambda y, a: y,
        'relu': lambda y, a: F.relu(y),
        'leaky_relu': lambda y, a: F.leaky_relu(y, a),
        'relu6': lambda y, a: F.hardtanh(y, 0.0, a or 6.0),
        'swish': lambda y, a: y * torch.sigmoid((a or 1.0) * y),
        'hard_swish': lambda y, a: F.hardswish(y),
        'sigmoid': lambda y, a: torch.sigmoid(y),
        'tanh': lambda y, a: torch.tanh(y),
    }
    fused = [
        # name, op, x shape (NCHW), w shape, attrs, bias, residual, activation, fuse_alpha
        ('bias', 'conv2d', (2, 3, 6, 6), (8, 3, 3, 3), attrs_of(paddings=(1, 1)), True, False, '', 0.0),
        ('bias_relu', 'conv2d', (2, 8, 6, 6), (8, 8, 3, 3), attrs_of(paddings=(1, 1)), True, False, 'relu', 0.0),
        ('bias_residual_relu', 'conv2d', (2, 8, 5, 5), (16, 8, 1, 1), attrs_of(), True, True, 'relu', 0.0),
        ('residual_relu_stride2', 'conv2d', (1, 8, 7, 7), (16, 8, 3, 3), attrs_of(strides=(2, 2), paddings=(1, 1)), False, True, 'relu', 0.0),
        ('residual_odd_channels', 'conv2d', (2, 3, 5, 5), (5, 3, 3, 3), attrs_of(paddings=(1, 1)), True, True, '', 0.0),
        ('relu_only', 'conv2d', (1, 8, 4, 4), (8, 8, 1, 1), attrs_of(), False, False, 'relu', 0.0),
        ('leaky_relu', 'conv2d', (1, 8, 5, 5), (8, 8, 3, 3), attrs_of(paddings=(1, 1)), True, False, 'leaky_relu', 0.125),
        ('relu6', 'conv2d', (1, 8, 5, 5), (8, 8, 3, 3), attrs_of(paddings=(1, 1)), True, False, 'relu6', 6.0),
        ('relu6_default_threshold', 'conv2d', (1, 3, 5, 5), (4, 3, 3, 3), attrs_of(paddings=(1, 1)), True, False, 'relu6', 0.0),
        ('swish', 'conv2d', (1, 8, 4, 4), (8, 8, 3, 3), attrs_of(paddings=(1, 1)), True, False, 'swish', 1.5),
        ('hard_swish', 'conv2d', (1, 8, 4, 4), (16, 8, 1, 1), attrs_of(), True, False, 'hard_swish', 0.0),
        ('sigmoid', 'conv2d', (1, 8, 4, 4), (8, 8, 3, 3), attrs_of(paddings=(1, 1)), True, False, 'sigmoid', 0.0),
        ('tanh_residual', 'conv2d', (1, 8, 4, 4), (8, 8, 3, 3), attrs_of(paddings=(1, 1)), True, True, 'tanh', 0.0),
        ('nhwc_bias_residual_relu', 'conv2d', (2, 3, 5, 6), (4, 3, 3, 3), attrs_of(paddings=(1, 1), fmt='NHWC'), True, True, 'relu', 0.0),
        ('depthwise_bias_relu6', 'depthwise_conv2d', (2, 8, 6, 6), (8, 1, 3, 3), attrs_of(paddings=(1, 1), groups=8), True, False, 'relu6', 6.0),
        ('depthwise_stride2_hard_swish', 'depthwise_conv2d', (1, 16, 7, 7), (16, 1, 3, 3), attrs_of(strides=(2, 2), paddings=(1, 1), groups=16), True, False, 'hard_swish', 0.0),
    ]
    nog = {'grad': False, 'grad_skip_reason': 'the fused form is inference-only (no gradient)'}
    for name, op, xs, ws, attrs, with_bias, with_res, act, alpha in fused:
        x, w = inputs(xs, ws)
        fmt = attrs['data_format']
        if fmt == 'NHWC':
            x = x.permute(0, 2, 3, 1).contiguous()
        y = conv_ref(x, w, attrs)
        ins = {'Input': T(x, np.float32), 'Filter': T(w, np.float32)}
        a = dict(attrs, fuse_activation=act, fuse_alpha=alpha, fuse_beta=0.0, fuse_residual_connection=with_res)
        if with_bias:
            b = t64(ws[0])
            y = y + (b.view(1, 1, 1, -1) if fmt == 'NHWC' else b.view(1, -1, 1, 1))
            ins['Bias'] = T(b, np.float32)
        if with_res:
            res = t64(*y.shape)
            y = y + res
            ins['ResidualData'] = T(res, np.float32)
        y = acts[act](y, alpha)
        out.append(case('%s/fused_%s' % (op, name), op, ins, a, {'Output': T(y, np.float32)}, **TOL, **nog))
    x, w = inputs((1, 2, 4, 4), (3, 2, 3, 3))
    b, res = t64(3), t64(1, 3, 4, 4)
    y = F.relu(conv_ref(x, w, attrs_of(paddings=(1, 1))) + b.view(1, -1, 1, 1) + res)
    out.append(case('conv2d/fused_float64', 'conv2d', {'Input': T(x, np.float64), 'Filter': T(w, np.float64), 'Bias': T(b, np.float64),
                                                        'ResidualData': T(res, np.float64)},
                    attrs_of(paddings=(1, 1), fuse_activation='relu', fuse_residual_connection=True), {'Output': T(y, np.float64)}, **nog))
    x, w = inputs((1, 8, 4, 4), (8, 8, 1, 1))
    y = F.relu(conv_ref(x, w, attrs_of()))
    out.append(case('conv2d/fused_relu_legacy_flag', 'conv2d', {'Input': T(x, np.float32), 'Filter': T(w, np.float32)},
                    attrs_of(fuse_relu=True), {'Output': T(y, np.float32)}, **TOL, **nog))
    assert all(math.isfinite(v) for c in out for t in c['outputs'].values() for v in t['data'])
    return out
