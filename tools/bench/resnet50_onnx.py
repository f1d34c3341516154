#!/usr/bin/env python3
"""Exports tools/bench/models/resnet50.ts's weights as an ONNX model, for ONNX Runtime.

    /usr/bin/python3 tools/bench/resnet50_onnx.py STATE.pdparams OUT.onnx

STATE is the model's state dict as Oar saves it (a Paddle .pdparams pickle: names to NumPy
arrays). The weights go into the same network written in PyTorch (torch_resnet50.py), which
torch.onnx exports (opset 13, batch left free); predictor.ts then checks that ONNX Runtime and
Oar's Predictor agree on the outputs before timing either.
"""
import sys

import torch

from torch_resnet50 import ResNet50, load_paddle_state


def main(state_path, out_path):
    model = load_paddle_state(ResNet50().eval(), state_path)
    torch.onnx.export(model, torch.zeros(1, 3, 224, 224), out_path, opset_version=13, input_names=['x'],
                      output_names=['logits'], dynamic_axes={'x': {0: 'n'}, 'logits': {0: 'n'}})


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
