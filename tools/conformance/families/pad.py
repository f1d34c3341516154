"""pad, pad3d and their _grad operators.

Forward values come from numpy.pad (constant, reflect, edge = replicate, wrap = circular);
gradients from torch.autograd through torch indexing with the same per-axis index maps (each
taken from numpy.pad of an arange), which accumulates where several outputs read one input.
"""
import numpy as np
import torch

from common import T, case, rng, torch_version

REFERENCE = torch_version() + ', numpy ' + np.__version__

NP_MODE = {'constant': 'constant', 'reflect': 'reflect', 'replicate': 'edge', 'circular': 'wrap'}


def np_pad(x, pads, mode, value=0.0):
    if mode == 'constant':
        return np.pad(x, pads, mode='constant', constant_values=value)
    return np.pad(x, pads, mode=NP_MODE[mode])


def torch_pad(x, pads, mode, value=0.0):
    """Differentiable padding: constant via F.pad, the other modes via index maps."""
    if mode == 'constant':
        flat = []
        for b, a in reversed(pads):
            flat += [b, a]
        return torch.nn.functional.pad(x, flat, mode='constant', value=value)
    y = x
    for axis, (b, a) in enumerate(pads):
        if b == 0 and a == 0:
            continue
        idx = np.pad(np.arange(x.shape[axis]), (b, a), mode=NP_MODE[mode])
        y = torch.index_select(y, axis, torch.tensor(idx))
    return y


def pad3d_pads(shape, paddings, data_format):
    l, r, t, b, f, k = paddings
    spatial = [(f, k), (t, b), (l, r)]
    return [(0, 0), (0, 0)] + spatial if data_format == 'NCDHW' else [(0, 0)] + spatial + [(0, 0)]


def cases():
    g = rng(5)
    out = []

    def rand(shape, dtype=np.float32):
        return g.standard_normal(shape).astype(dtype)

    PAD = [
        ('2d_value', (2, 3), [1, 2, 0, 1], 0.5),
        ('3d', (2, 3, 4), [0, 0, 1, 1, 2, 0], 0.0),
        ('zero_paddings', (2, 2), [0, 0, 0, 0], 0.0),
        ('1d', (5,), [3, 1], -1.0),
    ]
    for name, shape, p, v in PAD:
        x = torch.tensor(rand(shape), requires_grad=True)
        pads = [(p[2 * i], p[2 * i + 1]) for i in range(len(shape))]
        y = torch_pad(x, pads, 'constant', v)
        assert np.array_equal(y.detach().numpy(), np_pad(x.detach().numpy(), pads, 'constant', v))
        attrs = {'paddings': p, 'pad_value': v}
        out.append(case('pad/' + name, 'pad', {'X': T(x)}, attrs, {'Out': T(y)}))
        dy = torch.tensor(rand(tuple(y.shape)))
        (dx,) = torch.autograd.grad(y, x, dy)
        out.append(case('pad_grad/' + name, 'pad_grad', {'Out@GRAD': T(dy)}, attrs, {'X@GRAD': T(dx)}))
    xi = g.integers(-9, 9, (3, 2)).astype(np.int32)
    out.append(case('pad/int32', 'pad', {'X': T(xi)}, {'paddings': [1, 0, 0, 2], 'pad_value': 7.0},
                    {'Out': T(np_pad(xi, [(1, 0), (0, 2)], 'constant', 7).astype(np.int32))}))
    xl = g.integers(-9, 9, (2, 2)).astype(np.int64)
    out.append(case('pad/int64', 'pad', {'X': T(xl)}, {'paddings': [0, 1, 2, 0], 'pad_value': -3.0},
                    {'Out': T(np_pad(xl, [(0, 1), (2, 0)], 'constant', -3).astype(np.int64))}))
    xd = rand((2, 3), np.float64)
    out.append(case('pad/float64', 'pad', {'X': T(xd)}, {'paddings': [1, 1, 2, 0], 'pad_value': 0.25},
                    {'Out': T(np_pad(xd, [(1, 1), (2, 0)], 'constant', 0.25))}))

    PAD3D = [
        ('constant', (1, 2, 3, 2, 2), [1, 2, 0, 1, 1, 0], 'constant', 0.3, 'NCDHW'),
        ('reflect', (1, 2, 3, 3, 4), [2, 1, 1, 2, 1, 1], 'reflect', 0.0, 'NCDHW'),
        ('replicate_wide', (1, 1, 2, 3, 4), [3, 1, 0, 2, 2, 1], 'replicate', 0.0, 'NCDHW'),
        ('circular', (1, 2, 2, 3, 3), [1, 2, 2, 0, 1, 1], 'circular', 0.0, 'NCDHW'),
        ('circular_wider_than_input', (1, 1, 1, 2, 3), [4, 0, 0, 3, 0, 0], 'circular', 0.0, 'NCDHW'),
        ('reflect_ndhwc', (1, 3, 3, 4, 2), [1, 2, 2, 1, 0, 2], 'reflect', 0.0, 'NDHWC'),
        ('constant_ndhwc', (2, 2, 2, 3, 3), [0, 1, 1, 0, 2, 1], 'constant', -1.5, 'NDHWC'),
        ('pad2d_reflect', (2, 2, 1, 4, 5), [2, 1, 3, 1, 0, 0], 'reflect', 0.0, 'NCDHW'),
        ('pad2d_replicate_nhwc', (1, 1, 4, 3, 2), [1, 1, 2, 0, 0, 0], 'replicate', 0.0, 'NDHWC'),
        ('pad1d_circular', (2, 3, 1, 1, 5), [2, 3, 0, 0, 0, 0], 'circular', 0.0, 'NCDHW'),
    ]
    for name, shape, p, mode, v, fmt in PAD3D:
        x = torch.tensor(rand(shape), requires_grad=True)
        pads = pad3d_pads(shape, p, fmt)
        y = torch_pad(x, pads, mode, v)
        assert np.allclose(y.detach().numpy(), np_pad(x.detach().numpy(), pads, mode, v))
        attrs = {'paddings': p, 'mode': mode, 'value': v, 'data_format': fmt}
        out.append(case('pad3d/' + name, 'pad3d', {'X': T(x)}, attrs, {'Out': T(y)}))
        dy = torch.tensor(rand(tuple(y.shape)))
        (dx,) = torch.autograd.grad(y, x, dy)
        out.append(case('pad3d_grad/' + name, 'pad3d_grad', {'X': T(x), 'Out@GRAD': T(dy)}, attrs,
                        {'X@GRAD': T(dx)}))

    # the Paddings tensor overrides the attribute
    x = torch.tensor(rand((1, 2, 2, 3, 3)), requires_grad=True)
    p = [1, 0, 2, 1, 0, 1]
    pads = pad3d_pads(x.shape, p, 'NCDHW')
    y = torch_pad(x, pads, 'replicate')
    attrs = {'paddings': [0, 0, 0, 0, 0, 0], 'mode': 'replicate', 'value': 0.0, 'data_format': 'NCDHW'}
    ptensor = T(np.array(p, dtype=np.int32))
    out.append(case('pad3d/paddings_tensor', 'pad3d', {'X': T(x), 'Paddings': ptensor}, attrs, {'Out': T(y)}))
    dy = torch.tensor(rand(tuple(y.shape)))
    (dx,) = torch.autograd.grad(y, x, dy)
    out.append(case('pad3d_grad/paddings_tensor', 'pad3d_grad', {'X': T(x), 'Paddings': ptensor, 'Out@GRAD': T(dy)},
                    attrs, {'X@GRAD': T(dx)}))
    xd = rand((1, 1, 2, 3, 3), np.float64)
    pads = pad3d_pads(xd.shape, [2, 2, 1, 1, 1, 1], 'NCDHW')
    out.append(case('pad3d/float64_reflect', 'pad3d', {'X': T(xd)},
                    {'paddings': [2, 2, 1, 1, 1, 1], 'mode': 'reflect', 'value': 0.0, 'data_format': 'NCDHW'},
                    {'Out': T(np_pad(xd, pads, 'reflect'))}))
    return out
