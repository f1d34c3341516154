"""Ops of Paddle inference programs defined in packages/core/src/static/compat-ops.ts: shape,
fill_constant_batch_size_like, lrn, affine_channel, and the quantization-aware-training
ops fake_quantize_(dequantize_)moving_average_abs_max and fake_dequantize_max_abs (NumPy
reference, following Paddle's makers and CPU kernels as described in the module)."""
import numpy as np

from common import T, case, np_version, rng

REFERENCE = np_version()

F = np.float32


def round_half_away(v):
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def fake_quant(x, s, bits, round_type, dequant):
    """Paddle's ClipAndFakeQuant(Dequant)Functor in float32 arithmetic."""
    x = x.astype(F)
    s = F(s)
    bin_cnt = F(2 ** (bits - 1) - 1)
    inv_s = F(1) / (s + F(1e-6)) if s <= 1e-30 else F(1) / s
    f = F(bin_cnt * inv_s)
    if round_type == 0:
        q = np.round((f * x).astype(F))  # numpy rounds half to even
        q = np.clip(q, -bin_cnt - 1, bin_cnt)
    else:
        q = round_half_away((f * np.clip(x, -s, s)).astype(F))
    q = q.astype(F)
    return ((q * s).astype(F) / bin_cnt).astype(F) if dequant else q


def lrn(x, n, k, alpha, beta, nhwc):
    xc = np.transpose(x, (0, 3, 1, 2)) if nhwc else x
    xd = xc.astype(np.float64)
    c = xd.shape[1]
    sq = xd ** 2
    mid = np.full_like(xd, k)
    half = (n - 1) // 2
    for ch in range(c):
        lo, hi = max(0, ch - half), min(c - 1, ch + half)
        mid[:, ch] += alpha * sq[:, lo:hi + 1].sum(axis=1)
    out = xd * mid ** (-beta)
    if nhwc:
        out, mid = np.transpose(out, (0, 2, 3, 1)), np.transpose(mid, (0, 2, 3, 1))
    return out.astype(F), mid.astype(F)


def cases():
    r = rng(42)
    out = []
    nog = {'grad': False, 'grad_skip_reason': 'inference-only op'}

    x4 = r.standard_normal((2, 3, 4, 5)).astype(F)
    out.append(case('shape/rank4', 'shape', {'Input': T(x4)}, {}, {'Out': T(np.array(x4.shape, np.int32))}))
    xi = r.integers(0, 5, (2, 1, 3)).astype(np.int64)
    out.append(case('shape/int64_input', 'shape', {'Input': T(xi)}, {}, {'Out': T(np.array([2, 1, 3], np.int32))}))

    xb = r.standard_normal((3, 2)).astype(F)
    out.append(case('fill_constant_batch_size_like/float32', 'fill_constant_batch_size_like', {'Input': T(xb)},
                    {'shape': [-1, 4], 'value': 1.5, 'dtype': 5},
                    {'Out': T(np.full((3, 4), 1.5, F))}))
    out.append(case('fill_constant_batch_size_like/int64_dim_idx', 'fill_constant_batch_size_like', {'Input': T(xb)},
                    {'shape': [2, -1, 3], 'value': 2.7, 'dtype': 3, 'input_dim_idx': 1, 'output_dim_idx': 1},
                    {'Out': T(np.full((2, 2, 3), 2, np.int64))}))

    xl = r.standard_normal((2, 7, 3, 3)).astype(F)
    o, m = lrn(xl, 5, 2.0, 0.01, 0.75, False)
    out.append(case('lrn/nchw', 'lrn', {'X': T(xl)}, {'n': 5, 'k': 2.0, 'alpha': 0.01, 'beta': 0.75},
                    {'Out': T(o), 'MidOut': T(m)}))
    xn = r.standard_normal((2, 3, 3, 6)).astype(F)
    o, m = lrn(xn, 3, 1.0, 0.1, 0.5, True)
    out.append(case('lrn/nhwc_n3', 'lrn', {'X': T(xn)}, {'n': 3, 'k': 1.0, 'alpha': 0.1, 'beta': 0.5, 'data_format': 'NHWC'},
                    {'Out': T(o), 'MidOut': T(m)}))
    o, m = lrn(xl, 5, 2.0, 1e-4, 0.75, False)
    out.append(case('lrn/defaults', 'lrn', {'X': T(xl)}, {}, {'Out': T(o), 'MidOut': T(m)}))

    xa = r.standard_normal((2, 3, 2, 2)).astype(F)
    sc = r.standard_normal((3,)).astype(F)
    bi = r.standard_normal((3,)).astype(F)
    out.append(case('affine_channel/nchw', 'affine_channel', {'X': T(xa), 'Scale': T(sc), 'Bias': T(bi)}, {},
                    {'Out': T((xa * sc[None, :, None, None] + bi[None, :, None, None]).astype(F))}))
    xh = r.standard_normal((2, 2, 2, 3)).astype(F)
    out.append(case('affine_channel/nhwc', 'affine_channel', {'X': T(xh), 'Scale': T(sc), 'Bias': T(bi)},
                    {'data_layout': 'NHWC'}, {'Out': T((xh * sc + bi).astype(F))}))

    # Values beyond the scale (clipped), and exact ties: with s = 127 a level is x itself, so
    # 2.5 and -0.5 are ties that the two rounding modes resolve differently.
    s = F(127.0)
    xq = np.concatenate([r.uniform(-140, 140, 20).astype(F), np.array([2.5, -0.5, 3.5, -126.5, 127.6, -130.0], F)])
    scale = np.array([s], F)
    for op, deq in [('fake_quantize_moving_average_abs_max', False), ('fake_quantize_dequantize_moving_average_abs_max', True)]:
        for rt in (0, 1):
            out.append(case('%s/test_round_type%d' % (op, rt), op, {'X': T(xq), 'InScale': T(scale)},
                            {'is_test': True, 'round_type': rt, 'bit_length': 8},
                            {'Out': T(fake_quant(xq, s, 8, rt, deq)), 'OutScale': T(scale)}, **nog))
        # training: scale = (rate*accum + max|x|) / (rate*state + 1)
        xt = r.standard_normal((3, 4)).astype(F)
        accum, state, rate = F(3.0), F(2.0), F(0.9)
        st = F(rate * state + F(1))
        ac = F(rate * accum + np.abs(xt).max())
        sc_new = F(ac / st)
        out.append(case('%s/train' % op, op,
                        {'X': T(xt), 'InScale': T(np.array([1.0], F)), 'InAccum': T(np.array([accum], F)),
                         'InState': T(np.array([state], F))},
                        {'is_test': False, 'moving_rate': 0.9, 'bit_length': 4},
                        {'Out': T(fake_quant(xt, sc_new, 4, 1, deq)), 'OutScale': T(np.array([sc_new], F)),
                         'OutState': T(np.array([st], F)), 'OutAccum': T(np.array([ac], F))}, **nog))

    xd = r.integers(-127, 128, (2, 3, 4)).astype(F)
    sd = np.array([0.731], F)
    out.append(case('fake_dequantize_max_abs/basic', 'fake_dequantize_max_abs', {'X': T(xd), 'Scale': T(sd)},
                    {'max_range': 127.0}, {'Out': T(((xd * sd[0]).astype(F) / F(127)).astype(F))}, **nog))
    return out
