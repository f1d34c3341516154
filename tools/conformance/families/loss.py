"""Loss operators and their dedicated gradient operators (PyTorch reference; NumPy where Paddle's
semantics differ from PyTorch's: nll_loss with every label ignored, kldiv_loss with target <= 0)."""
import numpy as np
import torch
import torch.nn.functional as F

from common import T, case, rng, torch_version

REFERENCE = torch_version()


def t(a, grad=False):
    return torch.tensor(np.asarray(a), requires_grad=grad)


def vjp(fn, x, dy):
    """d(sum(fn(x) * dy))/dx by torch.autograd, with x and dy as numpy arrays."""
    xt = t(x, grad=True)
    out = fn(xt)
    (g,) = torch.autograd.grad(out, xt, t(dy))
    return g.numpy()


def swce(logits, label, axis=-1, soft=False, ignore=-100, use_softmax=True):
    """Paddle's softmax_with_cross_entropy outputs (Softmax, Loss) from torch."""
    lt = torch.tensor(logits)
    ax = axis % logits.ndim
    if use_softmax:
        sm = torch.softmax(lt, dim=ax)
        logp = torch.log_softmax(lt, dim=ax)
    else:
        sm = lt.clone()
        logp = torch.log(lt)
    if soft:
        loss = -(torch.tensor(label) * logp).sum(dim=ax, keepdim=True)
    else:
        lab = torch.tensor(label).long()
        valid = lab != ignore
        safe = torch.where(valid, lab, torch.zeros_like(lab))
        picked = torch.gather(logp, ax, safe)
        loss = torch.where(valid, -picked, torch.zeros_like(picked))
    return sm.numpy(), loss.numpy()


def swce_grad(logits, label, dloss, axis=-1, soft=False, ignore=-100, use_softmax=True):
    def fn(x):
        ax = axis % logits.ndim
        logp = torch.log_softmax(x, dim=ax) if use_softmax else torch.log(x)
        if soft:
            return -(torch.tensor(label) * logp).sum(dim=ax, keepdim=True)
        lab = torch.tensor(label).long()
        valid = lab != ignore
        safe = torch.where(valid, lab, torch.zeros_like(lab))
        picked = torch.gather(logp, ax, safe)
        return torch.where(valid, -picked, torch.zeros_like(picked))
    return vjp(fn, logits, dloss)


def hard_labels(r, shape, classes):
    return r.integers(0, classes, shape).astype(np.int64)


def softmax_cases(r):
    out = []
    attrs = lambda **kw: dict({'soft_label': False, 'ignore_index': -100, 'numeric_stable_mode': True, 'axis': -1}, **kw)

    def add(id, logits, label, grad_outputs=('Loss',), **kw):
        a = attrs(**kw)
        sm, loss = swce(logits, label, a['axis'], a['soft_label'], a['ignore_index'], kw.get('use_softmax', True))
        out.append(case('softmax_with_cross_entropy/' + id, 'softmax_with_cross_entropy',
                        {'Logits': T(logits), 'Label': T(label)}, a,
                        {'Softmax': T(sm), 'Loss': T(loss)}, grad_outputs=list(grad_outputs)))

    x = r.standard_normal((4, 5)).astype(np.float32)
    add('hard', x, hard_labels(r, (4, 1), 5))
    lab = hard_labels(r, (6, 1), 4)
    lab[1, 0] = -100
    lab[4, 0] = -100
    add('hard_ignore_default', r.standard_normal((6, 4)).astype(np.float32), lab)
    lab = np.array([[2], [0], [2], [3], [1]], dtype=np.int64)
    add('hard_ignore_class', r.standard_normal((5, 4)).astype(np.float32), lab, ignore_index=2)
    add('hard_int32_label', r.standard_normal((3, 4)).astype(np.float32), hard_labels(r, (3, 1), 4).astype(np.int32))
    add('hard_f64', r.standard_normal((3, 7)), hard_labels(r, (3, 1), 7))
    add('rank1', r.standard_normal(5).astype(np.float32), np.array([3], dtype=np.int64))
    y = r.random((3, 6))
    y = y / y.sum(-1, keepdims=True)
    add('soft', r.standard_normal((3, 6)), y, soft_label=True)
    y32 = r.random((2, 3, 4)).astype(np.float32)
    y32 = (y32 / y32.sum(1, keepdims=True)).astype(np.float32)
    add('soft_axis1', r.standard_normal((2, 3, 4)).astype(np.float32), y32, soft_label=True, axis=1)
    # Segmentation: [N, C, H, W] logits, classes on axis 1, one ignored pixel.
    lab = hard_labels(r, (2, 1, 3, 4), 3)
    lab[0, 0, 1, 2] = -100
    add('axis1_nchw', r.standard_normal((2, 3, 3, 4)).astype(np.float32), lab, axis=1)
    add('axis_neg2', r.standard_normal((2, 5, 3)).astype(np.float32), hard_labels(r, (2, 1, 3), 5), axis=-2)
    add('axis0', r.standard_normal((4, 3)).astype(np.float32), hard_labels(r, (1, 3), 4), axis=0)
    # Large logits: exp would overflow without subtracting the row max; spreads stay below 60 so
    # no probability underflows in Paddle's clipped softmax either.
    big = np.array([[1000.0, 1010.0, 990.0, 1005.0], [-2000.0, -1960.0, -1990.0, -2010.0],
                    [80.0, 85.0, 30.0, 88.0]], dtype=np.float32)
    add('large_logits', big, np.array([[0], [3], [2]], dtype=np.int64))
    add('softmax_and_loss_grads', r.standard_normal((3, 4)), hard_labels(r, (3, 1), 4), grad_outputs=('Softmax', 'Loss'))
    p = torch.softmax(torch.tensor(r.standard_normal((3, 5))), -1).numpy()
    add('no_softmax_hard', p, hard_labels(r, (3, 1), 5), use_softmax=False)
    y = r.random((3, 5))
    y = y / y.sum(-1, keepdims=True)
    add('no_softmax_soft', p, y, soft_label=True, use_softmax=False)
    return out


def softmax_grad_cases(r):
    out = []

    def add(id, logits, label, **kw):
        a = dict({'soft_label': False, 'ignore_index': -100, 'numeric_stable_mode': True, 'axis': -1}, **kw)
        sm, loss = swce(logits, label, a['axis'], a['soft_label'], a['ignore_index'], kw.get('use_softmax', True))
        dl = r.standard_normal(loss.shape).astype(logits.dtype)
        g = swce_grad(logits, label, dl, a['axis'], a['soft_label'], a['ignore_index'], kw.get('use_softmax', True))
        out.append(case('softmax_with_cross_entropy_grad/' + id, 'softmax_with_cross_entropy_grad',
                        {'Label': T(label), 'Softmax': T(sm), 'Loss@GRAD': T(dl)}, a, {'Logits@GRAD': T(g)}))

    lab = hard_labels(r, (5, 1), 4)
    lab[2, 0] = -100
    add('hard_ignore', r.standard_normal((5, 4)).astype(np.float32), lab)
    y = r.random((3, 5))
    y = y / y.sum(-1, keepdims=True)
    add('soft', r.standard_normal((3, 5)), y, soft_label=True)
    add('axis1_nchw', r.standard_normal((2, 3, 2, 2)).astype(np.float32), hard_labels(r, (2, 1, 2, 2), 3), axis=1)
    p = torch.softmax(torch.tensor(r.standard_normal((3, 4))), -1).numpy()
    add('no_softmax_hard', p, hard_labels(r, (3, 1), 4), use_softmax=False)
    return out


def sigmoid_ce(x, label, normalize=False, ignore=-100):
    xt = torch.tensor(x)
    lt = torch.tensor(label)
    out = F.binary_cross_entropy_with_logits(xt, lt, reduction='none')
    keep = torch.trunc(lt) != ignore
    out = torch.where(keep, out, torch.zeros_like(out))
    if normalize:
        out = out / max(int((np.abs(label - ignore) > 1e-6).sum()), 1)
    return out.numpy()


def sigmoid_cases(r):
    out = []
    op = 'sigmoid_cross_entropy_with_logits'

    def add(id, x, label, normalize=False, ignore=-100):
        a = {'normalize': normalize, 'ignore_index': ignore}
        out.append(case(op + '/' + id, op, {'X': T(x), 'Label': T(label)}, a,
                        {'Out': T(sigmoid_ce(x, label, normalize, ignore).astype(x.dtype))}))

    x = r.standard_normal((3, 4)).astype(np.float32) * 2
    add('soft_labels', x, r.random((3, 4)).astype(np.float32))
    lab = (r.random((4, 5)) > 0.5).astype(np.float32)
    lab[0, 1] = -100
    lab[2, 3] = -100
    add('ignore_default', r.standard_normal((4, 5)).astype(np.float32), lab)
    add('normalize', r.standard_normal((4, 5)).astype(np.float32), lab, normalize=True)
    lab2 = (r.random((2, 3)) > 0.5).astype(np.float64)
    lab2[1, 1] = -1
    add('ignore_custom_f64', r.standard_normal((2, 3)), lab2, ignore=-1)
    add('large_logits', np.array([[60.0, -60.0, 30.0], [-45.0, 0.5, 80.0]], dtype=np.float32),
        np.array([[1, 1, 0], [0, 1, 0.5]], dtype=np.float32))
    return out


def sigmoid_grad_cases(r):
    out = []
    op = 'sigmoid_cross_entropy_with_logits_grad'

    def add(id, x, label, normalize=False, ignore=-100):
        dy = r.standard_normal(x.shape).astype(x.dtype)
        g = vjp(lambda xt: torch.where(torch.trunc(torch.tensor(label)) != ignore,
                                       F.binary_cross_entropy_with_logits(xt, torch.tensor(label), reduction='none'),
                                       torch.zeros_like(xt))
                / (max(int((np.abs(label - ignore) > 1e-6).sum()), 1) if normalize else 1), x, dy)
        out.append(case(op + '/' + id, op, {'X': T(x), 'Label': T(label), 'Out@GRAD': T(dy)},
                        {'normalize': normalize, 'ignore_index': ignore}, {'X@GRAD': T(g)}))

    lab = (r.random((3, 4)) > 0.5).astype(np.float32)
    lab[1, 2] = -100
    add('ignore', r.standard_normal((3, 4)).astype(np.float32), lab)
    add('normalize_f64', r.standard_normal((3, 4)), lab.astype(np.float64), normalize=True)
    return out


def bce_cases(r):
    out = []

    def add(id, x, label, **extra):
        want = F.binary_cross_entropy(torch.tensor(x), torch.tensor(label), reduction='none').numpy()
        out.append(case('bce_loss/' + id, 'bce_loss', {'X': T(x), 'Label': T(label)}, {}, {'Out': T(want)}, **extra))

    add('hard', (r.random((3, 4)) * 0.9 + 0.05).astype(np.float32), (r.random((3, 4)) > 0.5).astype(np.float32))
    add('soft_f64', r.random((2, 5)) * 0.9 + 0.05, r.random((2, 5)))
    add('saturated', np.array([0.0, 1.0, 0.0, 1.0, 0.5], dtype=np.float32), np.array([0, 1, 1, 0, 1], dtype=np.float32),
        grad=False, grad_skip_reason='x at 0 or 1: the loss is clamped there and has no finite derivative')
    return out


def smooth_l1(x, y, sigma, iw=None, ow=None):
    d = (x - y) if iw is None else (x - y) * iw
    beta = 1.0 / sigma ** 2
    v = F.smooth_l1_loss(torch.tensor(d), torch.zeros_like(torch.tensor(d)), reduction='none', beta=beta).numpy()
    if ow is not None:
        v = v * ow
    return d, v.reshape(x.shape[0], -1).sum(1, keepdims=True)


def away_from(a, kink, margin):
    """Moves |a| out of (kink - margin, kink + margin), so finite differences never straddle it."""
    m = np.abs(np.abs(a) - kink) < margin
    return np.where(m, a + np.sign(a) * 2 * margin, a)


def smooth_l1_cases(r):
    out = []

    def add(id, x, y, sigma=1.0, iw=None, ow=None, grad_outputs=('Out',)):
        d, o = smooth_l1(x, y, sigma, iw, ow)
        ins = {'X': T(x), 'Y': T(y)}
        if iw is not None:
            ins['InsideWeight'] = T(iw)
            ins['OutsideWeight'] = T(ow)
        out.append(case('smooth_l1_loss/' + id, 'smooth_l1_loss', ins, {'sigma': sigma},
                        {'Diff': T(d.astype(x.dtype)), 'Out': T(o.astype(x.dtype))}, grad_outputs=list(grad_outputs)))

    y = r.standard_normal((4, 3)).astype(np.float32)
    x = (y + away_from(r.standard_normal((4, 3)) * 1.5, 1.0, 0.05)).astype(np.float32)
    add('sigma1', x, y)
    y = r.standard_normal((2, 3, 2))
    x = y + away_from(r.standard_normal((2, 3, 2)) * 0.5, 0.25, 0.02)
    add('sigma2_rank3_f64', x, y, sigma=2.0, grad_outputs=('Out', 'Diff'))
    y = r.standard_normal((3, 4))
    iw = r.random((3, 4)) + 0.5
    x = y + away_from(r.standard_normal((3, 4)), 1.0, 0.05) / iw
    add('weights_f64', x, y, iw=iw, ow=r.random((3, 4)) + 0.5)
    return out


def huber_cases(r):
    out = []

    def add(id, x, y, delta, grad_outputs=('Out',)):
        res = y - x
        o = F.huber_loss(torch.tensor(x), torch.tensor(y), reduction='none', delta=delta).numpy()
        out.append(case('huber_loss/' + id, 'huber_loss', {'X': T(x), 'Y': T(y)}, {'delta': delta},
                        {'Residual': T(res.astype(x.dtype)), 'Out': T(o.astype(x.dtype))}, grad_outputs=list(grad_outputs)))

    y = r.standard_normal((5, 1)).astype(np.float32)
    add('delta1_n1', (y + away_from(r.standard_normal((5, 1)) * 1.5, 1.0, 0.05)).astype(np.float32), y, 1.0)
    y = r.standard_normal((2, 3, 4))
    add('delta_half_f64', y + away_from(r.standard_normal((2, 3, 4)), 0.5, 0.02), y, 0.5, grad_outputs=('Out', 'Residual'))
    return out


def nll(x, label, weight, ignore, reduction):
    """Paddle's nll_loss: Out and Total_weight (0 without reduction; no division by a zero total)."""
    n, c = x.shape[:2]
    xs = np.moveaxis(x, 1, -1).reshape(-1, c)
    lab = label.reshape(-1)
    w = np.ones(c, dtype=x.dtype) if weight is None else weight
    valid = lab != ignore
    safe = np.where(valid, lab, 0)
    per = np.where(valid, -xs[np.arange(len(lab)), safe].astype(np.float64) * w[safe], 0)
    if reduction == 'none':
        return per.astype(x.dtype).reshape(label.shape), np.zeros(1, dtype=x.dtype)
    total = np.where(valid, w[safe].astype(np.float64), 0).sum()
    s = per.sum()
    if reduction == 'mean' and total != 0:
        s = s / total
    return np.array([s], dtype=x.dtype), np.array([total], dtype=x.dtype)


def nll_cases(r):
    out = []

    def add(id, x, label, weight=None, ignore=-100, reduction='mean', check_torch=True):
        o, tw = nll(x, label, weight, ignore, reduction)
        if check_torch:
            ref = F.nll_loss(torch.tensor(x), torch.tensor(label), None if weight is None else torch.tensor(weight),
                             ignore_index=ignore, reduction=reduction).numpy()
            assert np.allclose(ref.reshape(o.shape), o, rtol=1e-5, atol=1e-6), id
        ins = {'X': T(x), 'Label': T(label)}
        if weight is not None:
            ins['Weight'] = T(weight)
        out.append(case('nll_loss/' + id, 'nll_loss', ins, {'ignore_index': ignore, 'reduction': reduction},
                        {'Out': T(o), 'Total_weight': T(tw)}))

    logp = lambda s: torch.log_softmax(torch.tensor(r.standard_normal(s)), 1).numpy()
    lab = hard_labels(r, (5,), 4)
    lab[3] = -100
    add('mean_ignore', logp((5, 4)).astype(np.float32), lab)
    add('sum_weight', logp((5, 4)).astype(np.float32), lab, weight=(r.random(4) + 0.5).astype(np.float32), reduction='sum')
    add('mean_weight_f64', logp((6, 3)), hard_labels(r, (6,), 3), weight=r.random(3) + 0.5)
    add('none_ignore_class', logp((5, 4)), np.array([0, 1, 2, 1, 3], dtype=np.int64), ignore=1, reduction='none')
    lab4 = hard_labels(r, (2, 2, 3), 3)
    lab4[1, 0, 2] = -100
    add('nchw_mean_weight', logp((2, 3, 2, 3)).astype(np.float32), lab4, weight=(r.random(3) + 0.5).astype(np.float32))
    add('nchw_none', logp((2, 3, 2, 2)), hard_labels(r, (2, 2, 2), 3), reduction='none')
    # Every label ignored: PyTorch gives NaN, Paddle skips the division and gives 0.
    add('all_ignored_mean', logp((2, 3)), np.array([-100, -100], dtype=np.int64), check_torch=False)
    return out


def nll_grad_cases(r):
    out = []

    def add(id, x, label, weight=None, ignore=-100, reduction='mean'):
        o, tw = nll(x, label, weight, ignore, reduction)
        dy = r.standard_normal(o.shape).astype(x.dtype)
        wt = None if weight is None else torch.tensor(weight)
        g = vjp(lambda xt: F.nll_loss(xt, torch.tensor(label), wt, ignore_index=ignore, reduction=reduction).reshape(o.shape), x, dy)
        ins = {'X': T(x), 'Label': T(label), 'Total_weight': T(tw), 'Out@GRAD': T(dy)}
        if weight is not None:
            ins['Weight'] = T(weight)
        out.append(case('nll_loss_grad/' + id, 'nll_loss_grad', ins, {'ignore_index': ignore, 'reduction': reduction},
                        {'X@GRAD': T(g)}))

    lab = hard_labels(r, (5,), 4)
    lab[1] = -100
    add('mean_weight', r.standard_normal((5, 4)).astype(np.float32), lab, weight=(r.random(4) + 0.5).astype(np.float32))
    add('none_f64', r.standard_normal((4, 3)), hard_labels(r, (4,), 3), reduction='none')
    add('nchw_sum', r.standard_normal((2, 3, 2, 2)).astype(np.float32), hard_labels(r, (2, 2, 2), 3), reduction='sum')
    return out


def kldiv(x, target, reduction):
    v = np.where(target > 0, target * np.log(np.where(target > 0, target, 1)) - target * x, 0).astype(x.dtype)
    if reduction == 'none':
        return v
    s = v.astype(np.float64).sum()
    if reduction == 'mean':
        s /= v.size
    elif reduction == 'batchmean':
        s /= x.shape[0]
    return np.array([s], dtype=x.dtype)


def kldiv_cases(r):
    out = []
    x = torch.log_softmax(torch.tensor(r.standard_normal((3, 4))), -1).numpy().astype(np.float32)
    tg = r.random((3, 4)).astype(np.float32)
    tg[0, 1] = 0.0
    tg[2, 2] = -0.25  # Paddle: a negative target contributes 0
    for red in ['none', 'batchmean', 'mean', 'sum']:
        want = kldiv(x, tg, red)
        if red != 'none':
            # Cross-check the reduction against PyTorch on the part both define the same way.
            pos = np.where(tg > 0, tg, 0).astype(np.float32)
            ref = F.kl_div(torch.tensor(x), torch.tensor(pos), reduction=red).numpy()
            assert np.allclose(ref, want, rtol=1e-5), red
        out.append(case('kldiv_loss/' + red, 'kldiv_loss', {'X': T(x), 'Target': T(tg)}, {'reduction': red}, {'Loss': T(want)}))
    x64 = r.standard_normal((2, 3, 2))
    t64 = r.random((2, 3, 2))
    out.append(case('kldiv_loss/batchmean_rank3_f64', 'kldiv_loss', {'X': T(x64), 'Target': T(t64)}, {'reduction': 'batchmean'},
                    {'Loss': T(kldiv(x64, t64, 'batchmean'))}))
    return out


def log_loss_cases(r):
    out = []

    def add(id, p, l, eps=1e-4):
        want = -l * np.log(p + eps) - (1 - l) * np.log(1 - p + eps)
        attrs = {} if eps == 1e-4 else {'epsilon': eps}
        out.append(case('log_loss/' + id, 'log_loss', {'Predicted': T(p), 'Labels': T(l)}, attrs, {'Loss': T(want.astype(p.dtype))}))

    add('hard', (r.random((5, 1)) * 0.8 + 0.1).astype(np.float32), (r.random((5, 1)) > 0.5).astype(np.float32))
    add('soft_eps_f64', r.random((4, 1)) * 0.8 + 0.1, r.random((4, 1)), eps=0.01)
    return out


def cases():
    r = rng(7)
    return (softmax_cases(r) + softmax_grad_cases(r) + sigmoid_cases(r) + sigmoid_grad_cases(r) + bce_cases(r)
            + smooth_l1_cases(r) + huber_cases(r) + nll_cases(r) + nll_grad_cases(r) + kldiv_cases(r) + log_loss_cases(r))
