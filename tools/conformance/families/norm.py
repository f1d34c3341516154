"""batch_norm, layer_norm, group_norm, instance_norm and their _grad operators.

Y comes from torch.nn.functional (CPU), gradients from torch.autograd. The statistics outputs
follow Paddle and are computed with NumPy in float64: batch_norm's running statistics are updated
with the *biased* batch variance (torch would use the unbiased one), SavedVariance of batch_norm
and instance_norm is the inverse std 1/sqrt(var + eps), layer_norm/group_norm's Variance is the
biased variance itself.
"""
import numpy as np
import torch
import torch.nn.functional as F

from common import T, case, rng, torch_version

REFERENCE = torch_version() + ', numpy ' + np.__version__
EPS = 1e-5


def stats(x, axes):
    """Mean and biased variance over `axes`, in float64."""
    xd = np.asarray(x, dtype=np.float64)
    m = xd.mean(axis=axes, keepdims=True)
    v = ((xd - m) ** 2).mean(axis=axes)
    return np.squeeze(m, axis=axes), v


def cases():
    g = rng(3)
    out = []

    def rand(shape, dtype=np.float32, loc=0.0, scale=1.0):
        return (g.standard_normal(shape) * scale + loc).astype(dtype)

    def tt(a, grad=False):
        return torch.tensor(a, requires_grad=grad)

    # ---- batch_norm ------------------------------------------------------------------------
    BN = [
        # id, x shape, layout, attrs
        ('train_nchw', (3, 4, 3, 2), 'NCHW', dict(is_test=False)),
        ('train_2d', (5, 3), 'NCHW', dict(is_test=False, momentum=0.8)),
        ('train_ncl', (2, 3, 5), 'NCHW', dict(is_test=False)),
        ('train_nhwc', (2, 3, 3, 4), 'NHWC', dict(is_test=False, epsilon=1e-3)),
        ('infer_nchw', (2, 3, 4, 4), 'NCHW', dict(is_test=True)),
        ('infer_2d', (4, 3), 'NCHW', dict(is_test=True)),
        ('infer_nhwc', (2, 2, 3, 3), 'NHWC', dict(is_test=True)),
        ('global_stats_while_training', (2, 3, 2, 2), 'NCHW', dict(is_test=False, use_global_stats=True)),
        ('trainable_statistics_in_test', (3, 2, 2, 2), 'NCHW', dict(is_test=True, trainable_statistics=True)),
    ]
    for name, shape, layout, a in BN:
        attrs = dict(is_test=False, momentum=0.9, epsilon=EPS, data_layout=layout, use_global_stats=False,
                     trainable_statistics=False)
        attrs.update(a)
        c = shape[1] if layout == 'NCHW' else shape[-1]
        x = rand(shape, loc=0.5, scale=2.0)
        w, b = rand((c,)), rand((c,))
        rm, rv = rand((c,)), np.abs(rand((c,))) + 0.5
        global_stats = attrs['use_global_stats'] or (attrs['is_test'] and not attrs['trainable_statistics'])
        xt = tt(x, True)
        wt, bt = tt(w, True), tt(b, True)
        xc = xt.movedim(-1, 1) if layout == 'NHWC' else xt
        y = F.batch_norm(xc, torch.tensor(rm), torch.tensor(rv), wt, bt, training=not global_stats,
                         momentum=0.0, eps=attrs['epsilon'])
        if layout == 'NHWC':
            y = y.movedim(1, -1)
        axes = tuple(i for i in range(len(shape)) if i != (1 if layout == 'NCHW' else len(shape) - 1))
        if global_stats:
            mean_out, var_out = rm, rv
            saved_mean, saved_inv = rm.astype(np.float64), 1 / np.sqrt(rv.astype(np.float64) + attrs['epsilon'])
        else:
            bm, bv = stats(x, axes)
            mom = attrs['momentum']
            mean_out = rm * mom + bm * (1 - mom)
            var_out = rv * mom + bv * (1 - mom)
            saved_mean, saved_inv = bm, 1 / np.sqrt(bv + attrs['epsilon'])
        f32 = np.float32
        inputs = {'X': T(x), 'Scale': T(w), 'Bias': T(b), 'Mean': T(rm), 'Variance': T(rv)}
        out.append(case('batch_norm/' + name, 'batch_norm', inputs, attrs,
                        {'Y': T(y), 'MeanOut': T(mean_out.astype(f32)), 'VarianceOut': T(var_out.astype(f32)),
                         'SavedMean': T(saved_mean.astype(f32)), 'SavedVariance': T(saved_inv.astype(f32))}))
        dy = rand(tuple(y.shape))
        dx, dw, db = torch.autograd.grad(y, (xt, wt, bt), tt(dy))
        ginputs = {'X': T(x), 'Scale': T(w), 'Bias': T(b), 'SavedMean': T(saved_mean.astype(f32)),
                   'SavedVariance': T(saved_inv.astype(f32)), 'Y@GRAD': T(dy)}
        if global_stats:
            ginputs['Mean'] = T(rm)
            ginputs['Variance'] = T(rv)
        out.append(case('batch_norm_grad/' + name, 'batch_norm_grad', ginputs, attrs,
                        {'X@GRAD': T(dx), 'Scale@GRAD': T(dw), 'Bias@GRAD': T(db)}))

    # MomentumTensor overrides the momentum attribute
    x, w, b = rand((4, 2)), rand((2,)), rand((2,))
    rm, rv = rand((2,)), np.abs(rand((2,))) + 0.5
    bm, bv = stats(x, (0,))
    y = F.batch_norm(tt(x), tt(rm), tt(rv), tt(w), tt(b), training=True, eps=EPS)
    attrs = dict(is_test=False, momentum=0.9, epsilon=EPS, data_layout='NCHW', use_global_stats=False,
                 trainable_statistics=False)
    out.append(case('batch_norm/momentum_tensor', 'batch_norm',
                    {'X': T(x), 'Scale': T(w), 'Bias': T(b), 'Mean': T(rm), 'Variance': T(rv),
                     'MomentumTensor': T(np.array([0.5], np.float32))}, attrs,
                    {'Y': T(y), 'MeanOut': T((rm * 0.5 + bm * 0.5).astype(np.float32)),
                     'VarianceOut': T((rv * 0.5 + bv * 0.5).astype(np.float32))}))
    # one value per channel: Paddle copies X and leaves the running statistics alone
    x = rand((1, 3))
    out.append(case('batch_norm/single_value_per_channel', 'batch_norm',
                    {'X': T(x), 'Scale': T(rand((3,))), 'Bias': T(rand((3,))), 'Mean': T(rm[:1].repeat(3)),
                     'Variance': T(rv[:1].repeat(3))}, attrs,
                    {'Y': T(x), 'MeanOut': T(rm[:1].repeat(3)), 'VarianceOut': T(rv[:1].repeat(3))},
                    grad=False, grad_skip_reason='Y = X copy, as Paddle does; not the batch-norm function'))
    # float64 training
    x, w, b = rand((3, 2, 2, 3), np.float64), rand((2,), np.float64), rand((2,), np.float64)
    rm, rv = np.zeros(2), np.ones(2)
    bm, bv = stats(x, (0, 2, 3))
    y = F.batch_norm(tt(x), tt(rm), tt(rv), tt(w), tt(b), training=True, eps=EPS)
    out.append(case('batch_norm/float64_train', 'batch_norm',
                    {'X': T(x), 'Scale': T(w), 'Bias': T(b), 'Mean': T(rm), 'Variance': T(rv)}, attrs,
                    {'Y': T(y), 'MeanOut': T(rm * 0.9 + bm * 0.1), 'VarianceOut': T(rv * 0.9 + bv * 0.1),
                     'SavedMean': T(bm), 'SavedVariance': T(1 / np.sqrt(bv + EPS))}))

    # ---- layer_norm ------------------------------------------------------------------------
    LN = [
        ('axis1_affine', (2, 3, 4), 1, True, True),
        ('axis2_affine', (2, 3, 4), 2, True, True),
        ('axis1_no_affine', (3, 5), 1, False, False),
        ('axis2_scale_only', (2, 2, 3, 2), 2, True, False),
        ('axis3_bias_only', (2, 2, 2, 5), 3, False, True),
    ]
    for name, shape, axis, has_w, has_b in LN:
        x = rand(shape, loc=1.0, scale=3.0)
        ns = shape[axis:]
        h = int(np.prod(ns))
        w = rand((h,)) if has_w else None
        b = rand((h,)) if has_b else None
        xt = tt(x, True)
        wt = tt(w, True) if has_w else None
        bt = tt(b, True) if has_b else None
        y = F.layer_norm(xt, ns, wt.reshape(ns) if has_w else None, bt.reshape(ns) if has_b else None, EPS)
        m, v = stats(x.reshape(-1, h), 1)
        attrs = {'epsilon': EPS, 'begin_norm_axis': axis}
        inputs = {'X': T(x)}
        if has_w:
            inputs['Scale'] = T(w)
        if has_b:
            inputs['Bias'] = T(b)
        out.append(case('layer_norm/' + name, 'layer_norm', inputs, attrs,
                        {'Y': T(y), 'Mean': T(m.astype(np.float32)), 'Variance': T(v.astype(np.float32))}))
        dy = rand(shape)
        wrt = [xt] + ([wt] if has_w else []) + ([bt] if has_b else [])
        grads = list(torch.autograd.grad(y, wrt, tt(dy)))
        dx = grads.pop(0)
        gout = {'X@GRAD': T(dx)}
        if has_w:
            gout['Scale@GRAD'] = T(grads.pop(0))
        if has_b:
            gout['Bias@GRAD'] = T(grads.pop(0))
        out.append(case('layer_norm_grad/' + name, 'layer_norm_grad',
                        {**inputs, 'Mean': T(m.astype(np.float32)), 'Variance': T(v.astype(np.float32)),
                         'Y@GRAD': T(dy)}, attrs, gout))
    x, w = rand((2, 3), np.float64), rand((3,), np.float64)
    m, v = stats(x, 1)
    out.append(case('layer_norm/float64', 'layer_norm', {'X': T(x), 'Scale': T(w)}, {'epsilon': EPS, 'begin_norm_axis': 1},
                    {'Y': T(F.layer_norm(tt(x), (3,), tt(w), None, EPS)), 'Mean': T(m), 'Variance': T(v)}))

    # ---- group_norm ------------------------------------------------------------------------
    GN = [
        ('g2_c6_affine', (2, 6, 3, 3), 2, 'NCHW', True),
        ('g3_c6_no_affine', (2, 6, 2, 2), 3, 'NCHW', False),
        ('g6_c6_per_channel', (1, 6, 2, 3), 6, 'NCHW', True),
        ('g1_3d', (2, 4, 5), 1, 'NCHW', True),
        ('g2_c6_nhwc', (2, 3, 3, 6), 2, 'NHWC', True),
    ]
    for name, shape, groups, layout, affine in GN:
        x = rand(shape, loc=-0.5, scale=2.0)
        c = shape[1] if layout == 'NCHW' else shape[-1]
        w, b = rand((c,)), rand((c,))
        xt = tt(x, True)
        wt, bt = tt(w, True), tt(b, True)
        xc = xt.movedim(-1, 1) if layout == 'NHWC' else xt
        y = F.group_norm(xc, groups, wt if affine else None, bt if affine else None, EPS)
        if layout == 'NHWC':
            y = y.movedim(1, -1)
        xn = np.moveaxis(x, -1, 1) if layout == 'NHWC' else x
        m, v = stats(xn.reshape(shape[0], groups, -1), 2)
        attrs = {'epsilon': EPS, 'groups': groups, 'data_layout': layout}
        inputs = {'X': T(x), 'Scale': T(w), 'Bias': T(b)} if affine else {'X': T(x)}
        stat_out = {'Mean': T(m.astype(np.float32)), 'Variance': T(v.astype(np.float32))}
        out.append(case('group_norm/' + name, 'group_norm', inputs, attrs, {'Y': T(y), **stat_out}))
        dy = rand(shape)
        if affine:
            dx, dw, db = torch.autograd.grad(y, (xt, wt, bt), tt(dy))
            gout = {'X@GRAD': T(dx), 'Scale@GRAD': T(dw), 'Bias@GRAD': T(db)}
        else:
            (dx,) = torch.autograd.grad(y, (xt,), tt(dy))
            gout = {'X@GRAD': T(dx)}
        out.append(case('group_norm_grad/' + name, 'group_norm_grad', {**inputs, **stat_out, 'Y@GRAD': T(dy)}, attrs,
                        gout))
    x = rand((2, 4, 3), np.float64)
    m, v = stats(x.reshape(2, 2, -1), 2)
    out.append(case('group_norm/float64', 'group_norm', {'X': T(x)}, {'epsilon': EPS, 'groups': 2, 'data_layout': 'NCHW'},
                    {'Y': T(F.group_norm(tt(x), 2, eps=EPS)), 'Mean': T(m), 'Variance': T(v)}))

    # ---- instance_norm ---------------------------------------------------------------------
    IN = [
        ('nchw_affine', (2, 3, 4, 4), True),
        ('nchw_no_affine', (2, 2, 3, 3), False),
        ('ncl', (2, 3, 6), True),
        ('ncdhw', (1, 2, 2, 3, 2), True),
    ]
    for name, shape, affine in IN:
        x = rand(shape, loc=0.3, scale=1.5)
        c = shape[1]
        w, b = rand((c,)), rand((c,))
        xt, wt, bt = tt(x, True), tt(w, True), tt(b, True)
        y = F.instance_norm(xt, weight=wt if affine else None, bias=bt if affine else None, eps=EPS)
        m, v = stats(x.reshape(shape[0] * c, -1), 1)
        inv = 1 / np.sqrt(v + EPS)
        attrs = {'epsilon': EPS}
        inputs = {'X': T(x), 'Scale': T(w), 'Bias': T(b)} if affine else {'X': T(x)}
        saved = {'SavedMean': T(m.astype(np.float32)), 'SavedVariance': T(inv.astype(np.float32))}
        out.append(case('instance_norm/' + name, 'instance_norm', inputs, attrs, {'Y': T(y), **saved}))
        dy = rand(shape)
        if affine:
            dx, dw, db = torch.autograd.grad(y, (xt, wt, bt), tt(dy))
            gout = {'X@GRAD': T(dx), 'Scale@GRAD': T(dw), 'Bias@GRAD': T(db)}
            ginputs = {'X': T(x), 'Scale': T(w), **saved, 'Y@GRAD': T(dy)}
        else:
            (dx,) = torch.autograd.grad(y, (xt,), tt(dy))
            gout = {'X@GRAD': T(dx)}
            ginputs = {'X': T(x), **saved, 'Y@GRAD': T(dy)}
        out.append(case('instance_norm_grad/' + name, 'instance_norm_grad', ginputs, attrs, gout))
    x = rand((1, 2, 5), np.float64)
    m, v = stats(x.reshape(2, -1), 1)
    out.append(case('instance_norm/float64', 'instance_norm', {'X': T(x)}, {'epsilon': EPS},
                    {'Y': T(F.instance_norm(tt(x), eps=EPS)), 'SavedMean': T(m),
                     'SavedVariance': T(1 / np.sqrt(v + EPS))}))
    return out
