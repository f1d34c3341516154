"""reshape2 and expand_v2 (NumPy reference)."""
import numpy as np

from common import T, case, np_version, rng

REFERENCE = np_version()


def cases():
    r = rng(11)
    out = []
    x = r.standard_normal((2, 3, 4)).astype(np.float32)
    for name, target, want in [('infer', [4, -1], (4, 6)), ('copy_dim', [0, 12], (2, 12)),
                               ('flat', [-1], (24,)), ('expand_rank', [2, 3, 2, 2], (2, 3, 2, 2)),
                               ('copy_and_infer', [0, -1, 2], (2, 6, 2))]:
        out.append(case('reshape2/%s' % name, 'reshape2', {'X': T(x)}, {'shape': target}, {'Out': T(x.reshape(want))}))
    xi = r.integers(0, 9, (2, 2)).astype(np.int64)
    out.append(case('reshape2/int64', 'reshape2', {'X': T(xi)}, {'shape': [4]}, {'Out': T(xi.reshape(4))}))
    for name, shape, target in [('rows', (3, 1), [3, 4]), ('lead', (4,), [2, 3, 4]), ('keep', (2, 1, 3), [-1, 5, -1]),
                                ('scalar', (1,), [2, 2]), ('odd', (1, 3, 1), [5, 3, 7])]:
        xe = r.standard_normal(shape).astype(np.float32)
        tgt = [s if t == -1 else t for t, s in zip(target, (1,) * (len(target) - len(shape)) + shape)]
        out.append(case('expand_v2/%s' % name, 'expand_v2', {'X': T(xe)}, {'shape': target},
                        {'Out': T(np.broadcast_to(xe, tgt))}))
    xb = np.array([[True], [False]])
    out.append(case('expand_v2/bool', 'expand_v2', {'X': T(xb)}, {'shape': [2, 3]}, {'Out': T(np.broadcast_to(xb, (2, 3)))}))
    return out
