#!/usr/bin/env python3
"""PyTorch anchor of tools/bench/clas-quickstart.ts: training steps of the clas quick-start model
(PaddleClas ResNet18 layout, 1 input channel, 10 classes, stride_list [1, 2, 2, 2, 2]) on random
28x28 batches of 64, AdamW lr 0.002 wd 0.05, cross entropy with label smoothing 0.1.
Prints one JSON object: milliseconds per timed step."""
import argparse, json, os, sys, time

ap = argparse.ArgumentParser()
ap.add_argument('--threads', type=int, default=2)
ap.add_argument('--warmup', type=int, default=3)
ap.add_argument('--steps', type=int, default=10)
a = ap.parse_args()
for v in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS'):
    os.environ[v] = str(a.threads)
try:
    import torch, torch.nn as nn, torch.nn.functional as F
except ImportError as e:
    print(json.dumps({'available': False, 'error': str(e)})); sys.exit(0)
torch.set_num_threads(a.threads)
torch.manual_seed(0)


def cbr(i, o, k, s, act=True):
    layers = [nn.Conv2d(i, o, k, s, k // 2, bias=False), nn.BatchNorm2d(o)]
    return nn.Sequential(*(layers + [nn.ReLU()] if act else layers))


class Basic(nn.Module):
    def __init__(self, i, o, s):
        super().__init__()
        self.a, self.b = cbr(i, o, 3, s), cbr(o, o, 3, 1, False)
        self.short = None if (i == o and s == 1) else cbr(i, o, 1, s, False)

    def forward(self, x):
        return F.relu(self.b(self.a(x)) + (x if self.short is None else self.short(x)))


class ResNet18(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = cbr(1, 64, 7, 1)
        self.pool = nn.MaxPool2d(3, 2, 1)
        blocks, i = [], 64
        for stage, o in enumerate([64, 128, 256, 512]):
            for j in range(2):
                blocks.append(Basic(i, o, 2 if (j == 0 and stage > 0) else 1)); i = o
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(512, 10)

    def forward(self, x):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.blocks(self.pool(self.stem(x))), 1), 1))


m = ResNet18().train()
opt = torch.optim.AdamW(m.parameters(), lr=0.002, weight_decay=0.05)
x, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))


def step():
    opt.zero_grad()
    F.cross_entropy(m(x), y, label_smoothing=0.1).backward()
    opt.step()


for _ in range(a.warmup):
    step()
ms = []
for _ in range(a.steps):
    t0 = time.perf_counter_ns(); step(); ms.append((time.perf_counter_ns() - t0) / 1e6)
print(json.dumps({'available': True, 'torch_version': torch.__version__, 'ms': ms}))
