#!/usr/bin/env python3
"""Exports tools/bench/models/resnet50.ts's weights as an ONNX model, for ONNX Runtime.

    /usr/bin/python3 tools/bench/resnet50_onnx.py STATE.pdparams OUT.onnx

STATE is the model's state dict as Oar saves it (a Paddle .pdparams pickle: names to NumPy
arrays). The weights go into the same network written in PyTorch (torch_resnet50.py), which
torch.onnx exports (opset 13, batch left free); predictor.ts then checks that ONNX Runtime and
Oar's Predictor agree on the outputs before timing either.
"""
import pickle
import sys

import numpy as np
import torch

from torch_resnet50 import ResNet50

# Paddle's batch-norm statistics and Linear layout against PyTorch's.
RENAME = {'_mean': 'running_mean', '_variance': 'running_var'}


def main(state_path, out_path):
    with open(state_path, 'rb') as f:
        state = pickle.load(f)
    model = ResNet50().eval()
    want = model.state_dict()
    got = {}
    for name, value in state.items():
        if name == 'StructuredToParameterName@@':  # Paddle's map from structured to parameter names
            continue
        head, _, leaf = name.rpartition('.')
        key = head + '.' + RENAME.get(leaf, leaf)
        if key not in want:
            sys.exit('%s: %s has no counterpart %s in the PyTorch model' % (state_path, name, key))
        arr = np.asarray(value, dtype=np.float32)
        if key == 'fc.weight':
            arr = arr.T  # Paddle's Linear weight is [in, out]
        if tuple(arr.shape) != tuple(want[key].shape):
            sys.exit('%s: %s has shape %s, PyTorch expects %s' % (state_path, name, arr.shape, tuple(want[key].shape)))
        got[key] = torch.from_numpy(np.ascontiguousarray(arr))
    missing = [k for k in want if k not in got and not k.endswith('num_batches_tracked')]
    if missing:
        sys.exit('%s: no values for %s' % (state_path, ', '.join(missing[:5])))
    model.load_state_dict(got, strict=False)
    torch.onnx.export(model, torch.zeros(1, 3, 224, 224), out_path, opset_version=13, input_names=['x'],
                      output_names=['logits'], dynamic_axes={'x': {0: 'n'}, 'logits': {0: 'n'}})


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
