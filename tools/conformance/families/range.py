"""range, linspace and eye (NumPy reference; linspace from PyTorch, whose steps run up from the
start in the first half and down from the stop in the second, as Oar's do)."""
import numpy as np
import torch

from common import T, case, np_version, torch_version

REFERENCE = np_version() + ', ' + torch_version()

CODES = {np.int32: 2, np.int64: 3, np.float32: 5, np.float64: 6}


def scalar(v, dtype):
    return T(np.array([v], dtype=dtype))


def cases():
    out = []

    def rng_case(id, start, end, step, dtype):
        # Values start + i * step computed in float64, then converted to the dtype.
        n = int(np.ceil(abs((np.float64(dtype(end)) - np.float64(dtype(start))) / np.float64(dtype(step)))))
        want = (np.float64(dtype(start)) + np.arange(n) * np.float64(dtype(step))).astype(dtype)
        out.append(case('range/' + id, 'range', {'Start': scalar(start, dtype), 'End': scalar(end, dtype), 'Step': scalar(step, dtype)},
                        {}, {'Out': T(want)}))

    rng_case('int64', 0, 10, 3, np.int64)
    rng_case('int64_negative_step', 10, -3, -4, np.int64)
    rng_case('int32_exact_end', 2, 8, 2, np.int32)
    rng_case('float32', 0.5, 3.2, 0.3, np.float32)
    rng_case('float64_negative_step', 1.0, -1.0, -0.25, np.float64)
    rng_case('empty', 5, 5, 1, np.int64)

    def lin(id, start, stop, num, dtype, in_dtype=np.float32):
        want = torch.linspace(float(in_dtype(start)), float(in_dtype(stop)), num, dtype=torch.float64).numpy()
        want = np.trunc(want).astype(dtype) if dtype in (np.int32, np.int64) else want.astype(dtype)
        out.append(case('linspace/' + id, 'linspace',
                        {'Start': scalar(start, in_dtype), 'Stop': scalar(stop, in_dtype), 'Num': scalar(num, np.int32)},
                        {'dtype': CODES[dtype]}, {'Out': T(want)}))

    lin('float32', 0, 1, 5, np.float32)
    lin('float64_odd', -2.0, 3.0, 7, np.float64, in_dtype=np.float64)
    lin('descending', 4, -4, 6, np.float32)
    lin('num1', 3.5, 9, 1, np.float32)
    lin('int64_truncates', 0, 10, 4, np.int64)

    def eye(id, rows, cols, dtype):
        want = np.eye(rows, rows if cols == -1 else cols, dtype=dtype)
        out.append(case('eye/' + id, 'eye', {}, {'num_rows': rows, 'num_columns': cols, 'dtype': CODES[dtype]}, {'Out': T(want)}))

    eye('square_f32', 3, -1, np.float32)
    eye('wide_int64', 2, 4, np.int64)
    eye('tall_f64', 4, 2, np.float64)
    eye('int32', 3, 3, np.int32)
    eye('empty', 0, 3, np.float32)
    return out
