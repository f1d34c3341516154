"""Optimizer update ops (sgd, momentum, adam, adamw, rmsprop, lamb), NumPy reference.

Every update is written here from the published algorithms in float64 (Adam in its
bias-corrected textbook form, LAMB with an explicit trust ratio), not from Oar's kernels.
Paddle keeps float attributes as float32, so attributes enter the math rounded to float32.
The ops update their inputs in place: the expected outputs are the new values of the inputs.
"""
import numpy as np

from common import T, case, np_version, rng

REFERENCE = np_version()

def f32(v):
    return float(np.float32(v))


def sgd_ref(p, g, lr):
    return p - lr * g


def momentum_ref(p, g, v, lr, mu, nesterov=False, l2=0.0, rescale=1.0):
    mu, l2, rescale = f32(mu), f32(l2), f32(rescale)
    g = rescale * g + l2 * p
    v_new = mu * v + g
    if nesterov:
        p_new = p - lr * (g + mu * v_new)
    else:
        p_new = p - lr * v_new
    return p_new, v_new


def adam_ref(p, g, m, v, lr, b1, b2, eps, b1p, b2p, decay=0.0, lr_ratio=1.0):
    b1, b2, eps, decay, lr_ratio = f32(b1), f32(b2), f32(eps), f32(decay), f32(lr_ratio)
    lr = lr * lr_ratio
    p = p - lr * decay * p
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    m_hat = m / (1 - b1p)
    v_hat = v / (1 - b2p)
    p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p, m, v, b1 * b1p, b2 * b2p


def rmsprop_ref(p, g, ms, mom, lr, rho, eps, mu, centered=False, mg=None):
    rho, eps, mu = f32(rho), f32(eps), f32(mu)
    ms = rho * ms + (1 - rho) * g * g
    if centered:
        mg = rho * mg + (1 - rho) * g
        var = ms - mg * mg
    else:
        var = ms
    mom = mu * mom + lr * g / np.sqrt(var + eps)
    return p - mom, mom, ms, mg


def lamb_ref(p, g, m, v, lr, wd, b1, b2, eps, b1p, b2p):
    wd, b1, b2, eps = f32(wd), f32(b1), f32(b2), f32(eps)
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    update = (m / (1 - b1p)) / (np.sqrt(v / (1 - b2p)) + eps) + wd * p
    w_norm = np.linalg.norm(p)
    u_norm = np.linalg.norm(update)
    trust = w_norm / u_norm if (w_norm > 0 and u_norm > 0) else 1.0
    return p - lr * trust * update, m, v, b1 * b1p, b2 * b2p


def one(x, dt):
    return np.array([x], dtype=dt)


def cases():
    r = rng(11)
    out = []

    def normal(shape, dt):
        return r.standard_normal(shape).astype(dt)

    # ---- sgd ------------------------------------------------------------------------------
    for name, shape, dt in [('basic', (3, 4), np.float32), ('float64', (2, 3), np.float64),
                            ('odd', (7, 5, 3), np.float32), ('one', (1,), np.float32),
                            ('float16', (2, 5), np.float16)]:
        p, g = normal(shape, dt), normal(shape, dt)
        lr = one(0.1, dt)
        want = sgd_ref(p.astype(np.float64), g.astype(np.float64), float(lr[0]))
        extra = {'rtol': 2e-3, 'atol': 2e-3} if dt == np.float16 else {}
        out.append(case('sgd/' + name, 'sgd', {'Param': T(p), 'LearningRate': T(lr), 'Grad': T(g)}, {},
                        {'ParamOut': T(want.astype(dt))}, **extra))

    # ---- momentum ---------------------------------------------------------------------------
    for name, dt, attrs in [
        ('basic', np.float32, {'mu': 0.9}),
        ('nesterov', np.float32, {'mu': 0.9, 'use_nesterov': True}),
        ('l2_decay', np.float32, {'mu': 0.8, 'regularization_method': 'l2_decay', 'regularization_coeff': 0.05}),
        ('l2_nesterov', np.float32, {'mu': 0.5, 'use_nesterov': True, 'regularization_method': 'l2_decay',
                                     'regularization_coeff': 0.1}),
        ('rescale_grad', np.float32, {'mu': 0.9, 'rescale_grad': 0.25}),
        ('coeff_without_method', np.float32, {'mu': 0.9, 'regularization_coeff': 0.3}),
        ('float64', np.float64, {'mu': 0.9, 'use_nesterov': True}),
    ]:
        p, g, v = normal((4, 3), dt), normal((4, 3), dt), normal((4, 3), dt)
        lr = one(0.05, dt)
        l2 = attrs.get('regularization_coeff', 0.0) if attrs.get('regularization_method') == 'l2_decay' else 0.0
        pw, vw = momentum_ref(p.astype(np.float64), g.astype(np.float64), v.astype(np.float64), float(lr[0]),
                              attrs['mu'], attrs.get('use_nesterov', False), l2, attrs.get('rescale_grad', 1.0))
        out.append(case('momentum/' + name, 'momentum',
                        {'Param': T(p), 'Grad': T(g), 'Velocity': T(v), 'LearningRate': T(lr)}, attrs,
                        {'ParamOut': T(pw.astype(dt)), 'VelocityOut': T(vw.astype(dt))}))

    # ---- adam / adamw -----------------------------------------------------------------------
    adam_variants = [
        ('adam', 'step1', np.float32, {}, 1, None),
        ('adam', 'step5', np.float32, {}, 5, None),
        ('adam', 'custom_betas', np.float32, {'beta1': 0.8, 'beta2': 0.95, 'epsilon': 1e-3}, 3, None),
        ('adam', 'lazy_mode_dense', np.float32, {'lazy_mode': True}, 2, None),
        ('adam', 'float64', np.float64, {'beta1': 0.85, 'epsilon': 1e-6}, 4, None),
        ('adam', 'beta_tensors', np.float32, {'beta1': 0.5, 'beta2': 0.5}, 2, (0.7, 0.99)),
        ('adam', 'float16', np.float16, {'epsilon': 1e-4}, 1, None),
        ('adamw', 'with_decay', np.float32, {'coeff': 0.1, 'with_decay': True}, 3, None),
        ('adamw', 'no_decay', np.float32, {'coeff': 0.1, 'with_decay': False}, 3, None),
        ('adamw', 'lr_ratio', np.float32, {'coeff': 0.02, 'with_decay': True, 'lr_ratio': 0.5}, 2, None),
        ('adamw', 'default_attrs', np.float32, {}, 1, None),
        ('adamw', 'float64', np.float64, {'coeff': 0.05, 'with_decay': True, 'beta2': 0.99}, 6, None),
    ]
    for op, name, dt, attrs, t, beta_tensors in adam_variants:
        shape = (3, 5) if name != 'float16' else (2, 3)
        p, g = normal(shape, dt), normal(shape, dt)
        m = (0.1 * normal(shape, dt)).astype(dt)
        v = np.abs(0.1 * normal(shape, dt)).astype(dt)
        b1 = attrs.get('beta1', 0.9)
        b2 = attrs.get('beta2', 0.999)
        if beta_tensors:
            b1, b2 = beta_tensors
        b1p = one(f32(b1) ** t, dt)
        b2p = one(f32(b2) ** t, dt)
        lr = one(0.01, dt)
        decay = attrs.get('coeff', 0.01) if (op == 'adamw' and attrs.get('with_decay', False)) else 0.0
        ratio = attrs.get('lr_ratio', 1.0) if op == 'adamw' else 1.0
        pw, mw, vw, b1w, b2w = adam_ref(p.astype(np.float64), g.astype(np.float64), m.astype(np.float64),
                                        v.astype(np.float64), float(lr[0]), b1, b2, attrs.get('epsilon', 1e-8),
                                        float(b1p[0]), float(b2p[0]), decay, ratio)
        inputs = {'Param': T(p), 'Grad': T(g), 'LearningRate': T(lr), 'Moment1': T(m), 'Moment2': T(v),
                  'Beta1Pow': T(b1p), 'Beta2Pow': T(b2p)}
        if beta_tensors:
            inputs['Beta1Tensor'] = T(np.array([beta_tensors[0]], np.float32))
            inputs['Beta2Tensor'] = T(np.array([beta_tensors[1]], np.float32))
        extra = {'rtol': 2e-3, 'atol': 2e-3} if dt == np.float16 else {}
        out.append(case('%s/%s' % (op, name), op, inputs, attrs, {
            'ParamOut': T(pw.astype(dt)), 'Moment1Out': T(mw.astype(dt)), 'Moment2Out': T(vw.astype(dt)),
            'Beta1PowOut': T(np.array([b1w], dt)), 'Beta2PowOut': T(np.array([b2w], dt))}, **extra))

    # ---- rmsprop ----------------------------------------------------------------------------
    for name, dt, attrs in [
        ('basic', np.float32, {}),
        ('momentum', np.float32, {'momentum': 0.9, 'decay': 0.95, 'epsilon': 1e-6}),
        ('centered', np.float32, {'centered': True, 'decay': 0.9, 'epsilon': 1e-6}),
        ('centered_momentum', np.float32, {'centered': True, 'momentum': 0.5}),
        ('uncentered_with_mean_grad', np.float32, {'momentum': 0.3}),
        ('float64', np.float64, {'centered': True, 'momentum': 0.7, 'decay': 0.8}),
    ]:
        shape = (4, 3)
        p, g = normal(shape, dt), normal(shape, dt)
        mg = (0.3 * normal(shape, dt)).astype(dt)
        ms = (mg.astype(np.float64) ** 2 + np.abs(normal(shape, dt)) + 0.1).astype(dt)
        mom = (0.1 * normal(shape, dt)).astype(dt)
        lr = one(0.01, dt)
        centered = attrs.get('centered', False)
        pw, momw, msw, mgw = rmsprop_ref(p.astype(np.float64), g.astype(np.float64), ms.astype(np.float64),
                                         mom.astype(np.float64), float(lr[0]), attrs.get('decay', 0.9),
                                         attrs.get('epsilon', 1e-10), attrs.get('momentum', 0.0), centered,
                                         mg.astype(np.float64))
        inputs = {'Param': T(p), 'MeanSquare': T(ms), 'Grad': T(g), 'Moment': T(mom), 'LearningRate': T(lr)}
        outputs = {'ParamOut': T(pw.astype(dt)), 'MomentOut': T(momw.astype(dt)), 'MeanSquareOut': T(msw.astype(dt))}
        if name != 'basic':
            inputs['MeanGrad'] = T(mg)
            # Uncentered RMSProp leaves the mean gradient as it was.
            outputs['MeanGradOut'] = T((mgw if centered else mg).astype(dt))
        out.append(case('rmsprop/' + name, 'rmsprop', inputs, attrs, outputs))

    # ---- lamb -------------------------------------------------------------------------------
    for name, dt, attrs, t, zero_param in [
        ('basic', np.float32, {'weight_decay': 0.01}, 1, False),
        ('step4', np.float32, {'weight_decay': 0.1, 'beta1': 0.8, 'epsilon': 1e-4}, 4, False),
        ('no_decay', np.float32, {'weight_decay': 0.0}, 2, False),
        ('zero_param', np.float32, {'weight_decay': 0.01}, 1, True),
        ('float64', np.float64, {'weight_decay': 0.05, 'beta2': 0.99}, 3, False),
    ]:
        shape = (5, 4)
        p = np.zeros(shape, dt) if zero_param else normal(shape, dt)
        g = normal(shape, dt)
        m = (0.1 * normal(shape, dt)).astype(dt)
        v = np.abs(0.1 * normal(shape, dt)).astype(dt)
        b1 = attrs.get('beta1', 0.9)
        b2 = attrs.get('beta2', 0.999)
        b1p = one(f32(b1) ** t, dt)
        b2p = one(f32(b2) ** t, dt)
        lr = one(0.02, dt)
        pw, mw, vw, b1w, b2w = lamb_ref(p.astype(np.float64), g.astype(np.float64), m.astype(np.float64),
                                        v.astype(np.float64), float(lr[0]), attrs['weight_decay'], b1, b2,
                                        attrs.get('epsilon', 1e-6), float(b1p[0]), float(b2p[0]))
        out.append(case('lamb/' + name, 'lamb',
                        {'Param': T(p), 'Grad': T(g), 'LearningRate': T(lr), 'Moment1': T(m), 'Moment2': T(v),
                         'Beta1Pow': T(b1p), 'Beta2Pow': T(b2p)}, attrs,
                        {'ParamOut': T(pw.astype(dt)), 'Moment1Out': T(mw.astype(dt)), 'Moment2Out': T(vw.astype(dt)),
                         'Beta1PowOut': T(np.array([b1w], dt)), 'Beta2PowOut': T(np.array([b2w], dt))}))
    return out
