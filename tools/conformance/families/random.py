"""Random operators. Draws from the global generator cannot be predicted, so cases either fix
the stream (a nonzero seed: Philox key = seed, counter offset 0) and compare with the draws
computed here by an independent Python Philox4x32-10 and the layout documented in
packages/core/src/kernels/specs/random.ts, or check deterministic behaviour (p = 0 or 1,
is_test, empty shapes). Distribution transforms use NumPy/PyTorch (torch.special.ndtri)."""
import math

import numpy as np
import torch

from common import T, case, np_version, rng, torch_version

REFERENCE = np_version() + ', ' + torch_version() + ' (Philox4x32-10 written in Python here)'

MASK = 0xFFFFFFFF
M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85


def philox_block(k0, k1, ctr):
    """The four 32-bit words of counter block `ctr` (128-bit counter [lo, hi, 0, 0]) under key (k0, k1)."""
    c0, c1, c2, c3 = ctr & MASK, (ctr >> 32) & MASK, 0, 0
    for _ in range(10):
        p0 = M0 * c0
        p1 = M1 * c2
        c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0) & MASK, p1 & MASK, ((p0 >> 32) ^ c3 ^ k1) & MASK, p0 & MASK
        k0 = (k0 + W0) & MASK
        k1 = (k1 + W1) & MASK
    return [c0, c1, c2, c3]


# Known-answer test of Random123 for philox4x32-10 with zero counter and key.
assert philox_block(0, 0, 0) == [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]


def seed_key(seed):
    v = seed % (1 << 64)
    return v & MASK, v >> 32


def words(seed, n):
    """The first n words of the fixed stream of `seed`."""
    k0, k1 = seed_key(seed)
    out = []
    b = 0
    while len(out) < n:
        out.extend(philox_block(k0, k1, b))
        b += 1
    return np.array(out[:n], dtype=np.uint64)


def uniform24(seed, n):
    return (words(seed, n) >> np.uint64(8)).astype(np.float64) / 16777216.0


def uniform53(seed, n):
    w = words(seed, 2 * n)
    hi = (w[0::2] >> np.uint64(5)).astype(np.float64)
    lo = (w[1::2] >> np.uint64(6)).astype(np.float64)
    return (hi * 67108864.0 + lo) / 9007199254740992.0


def normal(seed, n):
    w = words(seed, 2 * n)
    u1 = ((w[0::2] >> np.uint64(8)).astype(np.float64) + 1.0) / 16777216.0
    u2 = (w[1::2] >> np.uint64(8)).astype(np.float64) / 16777216.0
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * math.pi * u2)


PHI_LO = 0.02275013194817921  # Φ(-2)


def cases():
    r = rng(11)
    out = []
    assert abs(torch.special.ndtr(torch.tensor(-2.0, dtype=torch.float64)).item() - PHI_LO) < 1e-18

    # uniform_random
    def uni(id, shape, lo, hi, seed, dtype=5, **extra):
        n = int(np.prod(shape))
        v = lo + uniform24(seed, n) * (hi - lo)
        attrs = {'shape': list(shape), 'min': lo, 'max': hi, 'seed': seed, 'dtype': dtype}
        diag = extra.pop('diag', None)
        if diag:
            num, step, val = diag
            for i in range(num):
                v[i * step + i] = val
            attrs.update({'diag_num': num, 'diag_step': step, 'diag_val': val})
        npd = np.float32 if dtype == 5 else np.float64
        out.append(case('uniform_random/' + id, 'uniform_random', {}, attrs, {'Out': T(v.reshape(shape).astype(npd))}))

    uni('seeded_f32', (3, 5), -2.0, 3.0, 42)
    uni('seeded_negative_seed_f64', (7,), 0.0, 1.0, -7, dtype=6)
    uni('seeded_large_seed', (2, 2), -1.0, 1.0, 2 ** 40 + 5)
    uni('diag', (4, 4), -0.1, 0.1, 3, diag=(4, 4, 1.0))
    out.append(case('uniform_random/empty', 'uniform_random', {}, {'shape': [0, 3]}, {'Out': T(np.zeros((0, 3), np.float32))}))

    # gaussian_random (odd count: the last Box–Muller pair is used for one element)
    z = 1.5 + 2.0 * normal(9, 7)
    out.append(case('gaussian_random/seeded_f32', 'gaussian_random', {}, {'shape': [7], 'mean': 1.5, 'std': 2.0, 'seed': 9},
                    {'Out': T(z.astype(np.float32))}))
    z = normal(123, 6).reshape(2, 3)
    out.append(case('gaussian_random/seeded_f64', 'gaussian_random', {}, {'shape': [2, 3], 'seed': 123, 'dtype': 6},
                    {'Out': T(z)}, rtol=1e-12, atol=1e-13))
    out.append(case('gaussian_random/std0', 'gaussian_random', {}, {'shape': [2, 2], 'mean': 0.25, 'std': 0.0},
                    {'Out': T(np.full((2, 2), 0.25, np.float32))}))

    # truncated_gaussian_random: inverse CDF of a uniform draw mapped into [Φ(-2), Φ(2)]
    def trunc(seed, n, mean, std):
        p = PHI_LO + uniform24(seed, n) * ((1 - PHI_LO) - PHI_LO)
        return mean + std * torch.special.ndtri(torch.tensor(p, dtype=torch.float64)).numpy()

    out.append(case('truncated_gaussian_random/seeded_f32', 'truncated_gaussian_random', {},
                    {'shape': [3, 4], 'mean': -1.0, 'std': 0.5, 'seed': 17},
                    {'Out': T(trunc(17, 12, -1.0, 0.5).reshape(3, 4).astype(np.float32))}))
    out.append(case('truncated_gaussian_random/seeded_f64', 'truncated_gaussian_random', {},
                    {'shape': [9], 'seed': 5, 'dtype': 6}, {'Out': T(trunc(5, 9, 0.0, 1.0))}, rtol=1e-12, atol=1e-13))

    # randint: low + floor(u53 * (high - low))
    def rint(id, shape, lo, hi, seed, dtype=3):
        n = int(np.prod(shape))
        v = lo + np.floor(uniform53(seed, n) * (hi - lo))
        npd = np.int64 if dtype == 3 else np.int32
        out.append(case('randint/' + id, 'randint', {}, {'shape': list(shape), 'low': lo, 'high': hi, 'seed': seed, 'dtype': dtype},
                        {'Out': T(v.reshape(shape).astype(npd))}))

    rint('seeded_int64', (4, 5), -5, 7, 31)
    rint('seeded_int32', (6,), 0, 3, 8, dtype=2)
    rint('seeded_wide_range', (5,), 0, 2 ** 40, 77)
    out.append(case('randint/single_value', 'randint', {}, {'shape': [2, 3], 'low': 4, 'high': 5},
                    {'Out': T(np.full((2, 3), 4, np.int64))}))

    # randperm: the permutation that stably sorts one 53-bit key per element
    def perm(id, n, seed, dtype=3):
        p = np.argsort(uniform53(seed, n), kind='stable')
        npd = {3: np.int64, 2: np.int32, 5: np.float32, 6: np.float64}[dtype]
        out.append(case('randperm/' + id, 'randperm', {}, {'n': n, 'seed': seed, 'dtype': dtype}, {'Out': T(p.astype(npd))}))

    perm('seeded_int64', 10, 4)
    perm('seeded_float32', 7, 1234, dtype=5)
    out.append(case('randperm/one', 'randperm', {}, {'n': 1}, {'Out': T(np.zeros(1, np.int64))}))

    # bernoulli: probabilities 0 and 1 are certain whatever the draws
    pr = (r.random((3, 4)) > 0.5).astype(np.float32)
    out.append(case('bernoulli/certain_f32', 'bernoulli', {'X': T(pr)}, {}, {'Out': T(pr)}))
    out.append(case('bernoulli/certain_f64', 'bernoulli', {'X': T(pr.astype(np.float64))}, {}, {'Out': T(pr.astype(np.float64))}))

    # dropout
    def dattrs(p, impl, **kw):
        return dict({'dropout_prob': p, 'is_test': False, 'fix_seed': False, 'seed': 0, 'dropout_implementation': impl}, **kw)

    def seeded(x, p, impl, seed):
        keep = uniform24(seed, x.size).reshape(x.shape) >= p
        scale = np.float64(np.float32(1 - p)) if x.dtype == np.float32 else 1 - p
        y = np.where(keep, x.astype(np.float64) / scale if impl == 'upscale_in_train' else x, 0)
        return y.astype(x.dtype), keep.astype(np.uint8)

    x = r.standard_normal((3, 4)).astype(np.float32)
    ones = np.ones((3, 4), np.uint8)
    zeros = np.zeros((3, 4), np.uint8)
    for impl in ['downgrade_in_infer', 'upscale_in_train']:
        out.append(case('dropout/p0_' + impl, 'dropout', {'X': T(x)}, dattrs(0.0, impl), {'Out': T(x), 'Mask': T(ones)}))
        out.append(case('dropout/p1_' + impl, 'dropout', {'X': T(x)}, dattrs(1.0, impl),
                        {'Out': T(np.zeros_like(x)), 'Mask': T(zeros)}))
        y, m = seeded(x, 0.3, impl, 5)
        out.append(case('dropout/fix_seed_' + impl, 'dropout', {'X': T(x)}, dattrs(0.3, impl, fix_seed=True, seed=5),
                        {'Out': T(y), 'Mask': T(m)}))
    x64 = r.standard_normal((2, 5))
    y, m = seeded(x64, 0.5, 'upscale_in_train', 99)
    out.append(case('dropout/seed_input_f64', 'dropout', {'X': T(x64), 'Seed': T(np.array([99], np.int32))},
                    dattrs(0.5, 'upscale_in_train'), {'Out': T(y), 'Mask': T(m)}))
    out.append(case('dropout/is_test_downgrade', 'dropout', {'X': T(x)}, dattrs(0.25, 'downgrade_in_infer', is_test=True),
                    {'Out': T((x.astype(np.float64) * 0.75).astype(np.float32))}))
    out.append(case('dropout/is_test_upscale', 'dropout', {'X': T(x64)}, dattrs(0.25, 'upscale_in_train', is_test=True),
                    {'Out': T(x64)}))

    # dropout_grad: torch.autograd of y = x * mask (/ (1 - p) when upscaling)
    def dgrad(id, shape, p, impl, dtype):
        xg = torch.tensor(r.standard_normal(shape).astype(dtype), requires_grad=True)
        mask = (r.random(shape) > p).astype(np.uint8)
        dy = r.standard_normal(shape).astype(dtype)
        y = xg * torch.tensor(mask.astype(dtype))
        if impl == 'upscale_in_train':
            y = y / torch.tensor(np.float32(1 - p) if dtype == np.float32 else np.float64(1 - p))
        (g,) = torch.autograd.grad(y, xg, torch.tensor(dy))
        out.append(case('dropout_grad/' + id, 'dropout_grad', {'Mask': T(mask), 'Out@GRAD': T(dy)}, dattrs(p, impl),
                        {'X@GRAD': T(g)}))

    dgrad('downgrade', (3, 4), 0.4, 'downgrade_in_infer', np.float32)
    dgrad('upscale', (3, 4), 0.4, 'upscale_in_train', np.float32)
    dgrad('upscale_f64', (2, 3, 2), 0.7, 'upscale_in_train', np.float64)
    return out
