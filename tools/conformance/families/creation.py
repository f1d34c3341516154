"""fill_constant, fill_any_like, assign, cast, scale (NumPy reference)."""
import numpy as np

from common import T, case, np_version, rng

REFERENCE = np_version()

# Paddle VarType codes
CODE = {'bool': 0, 'int16': 1, 'int32': 2, 'int64': 3, 'float16': 4, 'float32': 5, 'float64': 6, 'uint8': 20, 'int8': 21}


def cases():
    r = rng(5)
    out = []
    for dt, val in [('float32', 0.5), ('float64', -2.25), ('int32', 7), ('int64', -3), ('bool', 1)]:
        out.append(case('fill_constant/%s' % dt, 'fill_constant', {}, {'shape': [2, 3], 'value': val, 'dtype': CODE[dt]},
                        {'Out': T(np.full((2, 3), val, dtype=dt))}))
    # str_value keeps precision beyond float32; a float value into int64 truncates
    out.append(case('fill_constant/str_value_int64', 'fill_constant', {},
                    {'shape': [2], 'value': 0, 'str_value': '123456789', 'dtype': 3},
                    {'Out': T(np.full((2,), 123456789, dtype=np.int64))}))
    out.append(case('fill_constant/truncate_int64', 'fill_constant', {}, {'shape': [1], 'value': 1.894, 'dtype': 3},
                    {'Out': T(np.array([1], dtype=np.int64))}))
    out.append(case('fill_constant/empty', 'fill_constant', {}, {'shape': [0, 3], 'value': 1, 'dtype': 5},
                    {'Out': T(np.zeros((0, 3), np.float32))}))
    x = r.standard_normal((3, 2)).astype(np.float32)
    out.append(case('fill_any_like/same_dtype', 'fill_any_like', {'X': T(x)}, {'value': 2.5},
                    {'Out': T(np.full_like(x, 2.5))}))
    out.append(case('fill_any_like/int64', 'fill_any_like', {'X': T(x)}, {'value': 4, 'dtype': 3},
                    {'Out': T(np.full(x.shape, 4, dtype=np.int64))}))
    out.append(case('assign/float32', 'assign', {'X': T(x)}, {}, {'Out': T(x)}))
    xi = r.integers(-9, 9, (4,)).astype(np.int64)
    out.append(case('assign/int64', 'assign', {'X': T(xi)}, {}, {'Out': T(xi)}))
    # cast: float -> int truncates toward zero; -> bool is x != 0
    xf = np.array([-2.7, -0.5, 0.0, 0.4, 3.9, 100.2], dtype=np.float32)
    for dt in ['int32', 'int64', 'bool', 'float64', 'float16', 'uint8']:
        src = np.abs(xf) if dt == 'uint8' else xf
        want = (src != 0) if dt == 'bool' else np.trunc(src).astype(dt) if dt in ('int32', 'int64', 'uint8') else src.astype(dt)
        extra = {} if dt in ('float64',) else {'grad': False, 'grad_skip_reason': 'output is not float64-differentiable'}
        out.append(case('cast/float32_to_%s' % dt, 'cast', {'X': T(src)}, {'in_dtype': 5, 'out_dtype': CODE[dt]},
                        {'Out': T(want)}, **extra))
    xi32 = np.array([-3, 0, 5], dtype=np.int32)
    out.append(case('cast/int32_to_float32', 'cast', {'X': T(xi32)}, {'in_dtype': 2, 'out_dtype': 5},
                    {'Out': T(xi32.astype(np.float32))}))
    xb = np.array([True, False, True])
    out.append(case('cast/bool_to_int64', 'cast', {'X': T(xb)}, {'in_dtype': 0, 'out_dtype': 3},
                    {'Out': T(xb.astype(np.int64))}))
    for name, attrs in [('default', {}), ('scale_bias', {'scale': 2.5, 'bias': -1.0}),
                        ('bias_before', {'scale': -3.0, 'bias': 0.5, 'bias_after_scale': False})]:
        a = {'scale': 1.0, 'bias': 0.0, 'bias_after_scale': True}
        a.update(attrs)
        xs = r.standard_normal((2, 3, 4)).astype(np.float32)
        want = a['scale'] * xs + a['bias'] if a['bias_after_scale'] else a['scale'] * (xs + a['bias'])
        out.append(case('scale/%s' % name, 'scale', {'X': T(xs)}, a, {'Out': T(want.astype(np.float32))}))
    xs = r.standard_normal((5,)).astype(np.float32)
    out.append(case('scale/scale_tensor', 'scale', {'X': T(xs), 'ScaleTensor': T(np.array([3.0], np.float32))},
                    {'scale': 1.0, 'bias': 1.0, 'bias_after_scale': True}, {'Out': T(3 * xs + 1)},
                    grad_inputs=['X']))
    xi = np.array([1, -2, 3], dtype=np.int64)
    out.append(case('scale/int64', 'scale', {'X': T(xi)}, {'scale': 2.0, 'bias': 1.0, 'bias_after_scale': True},
                    {'Out': T(2 * xi + 1)}))
    return out
