"""ResNet50 in PyTorch, in torchvision's layout, written out (torchvision is not installed here).

The same network, with the same parameter names, as tools/bench/models/resnet50.ts builds with
Oar's layers (PaddleClas's layout): the benchmarks run one beside the other.
"""
import pickle
import sys

import numpy as np
import torch
import torch.nn as nn

class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class ResNet50(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, 3)
        self.layer2 = self._make_layer(128, 4, stride=2)
        self.layer3 = self._make_layer(256, 6, stride=2)
        self.layer4 = self._make_layer(512, 3, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(2048, num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * 4:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * 4, 1, stride=stride, bias=False),
                nn.BatchNorm2d(planes * 4),
            )
        layers = [Bottleneck(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * 4
        for _ in range(1, blocks):
            layers.append(Bottleneck(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


# Paddle's batch-norm statistics against PyTorch's names.
RENAME = {'_mean': 'running_mean', '_variance': 'running_var'}


def load_paddle_state(model, state_path):
    """Loads the model's weights from Oar's state dict (a Paddle .pdparams pickle of NumPy arrays)."""
    with open(state_path, 'rb') as f:
        state = pickle.load(f)
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
    return model
