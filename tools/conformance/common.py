"""Helpers for conformance case generators: every expected value here is computed by NumPy or
PyTorch (CPU), never by Oar. Cases are written as JSON into packages/core/src/testing/cases/."""
import json
import math
import os

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT_DIR = os.path.join(ROOT, 'packages', 'core', 'src', 'testing', 'cases')

DTYPES = {
    np.dtype('float32'): 'float32', np.dtype('float64'): 'float64', np.dtype('float16'): 'float16',
    np.dtype('int32'): 'int32', np.dtype('int64'): 'int64', np.dtype('bool'): 'bool',
    np.dtype('uint8'): 'uint8', np.dtype('int8'): 'int8', np.dtype('int16'): 'int16',
}


def rng(seed):
    return np.random.default_rng(seed)


def _num(v):
    if isinstance(v, (bool, np.bool_)):
        return 1 if v else 0
    if isinstance(v, (int, np.integer)):
        return int(v)
    f = float(v)
    if math.isnan(f):
        return 'nan'
    if math.isinf(f):
        return 'inf' if f > 0 else '-inf'
    return f


def T(a, dtype=None):
    """A tensor case from an array-like (a torch tensor or numpy array)."""
    if hasattr(a, 'detach'):
        a = a.detach().cpu().numpy()
    a = np.asarray(a)
    if dtype is not None:
        a = a.astype(dtype)
    name = DTYPES.get(a.dtype)
    if name is None:
        raise ValueError('unsupported dtype %s' % a.dtype)
    # float32 values are written with the precision needed to round-trip exactly.
    flat = a.reshape(-1).tolist()
    return {'shape': list(a.shape), 'dtype': name, 'data': [_num(v) for v in flat]}


def case(id, op, inputs, attrs, outputs, **extra):
    c = {'id': id, 'op': op, 'inputs': inputs, 'attrs': attrs, 'outputs': outputs}
    c.update(extra)
    return c


def write(family, cases, reference):
    ids = [c['id'] for c in cases]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise ValueError('duplicate case ids: %s' % sorted(dup))
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, family + '.json')
    with open(path, 'w') as f:
        json.dump({'reference': reference, 'cases': cases}, f, separators=(',', ':'))
        f.write('\n')
    print('%-24s %4d cases -> %s' % (family, len(cases), os.path.relpath(path, ROOT)))


def np_version():
    return 'numpy ' + np.__version__


def torch_version():
    import torch
    return 'torch ' + torch.__version__
