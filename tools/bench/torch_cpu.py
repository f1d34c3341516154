#!/usr/bin/env python3
"""The PyTorch anchor of tools/bench/cpu.ts: the same CPU measurements, in PyTorch.

Run by cpu.ts with /usr/bin/python3 (Debian's python3-torch); prints one JSON object on stdout.

    /usr/bin/python3 tools/bench/torch_cpu.py --threads 2 --sections sgemm,conv,resnet \
        --warmup 1 --reps 5 --model-reps 3

Every timing is a list of milliseconds per timed run (after the warm-up runs); cpu.ts takes the
medians. The thread count is set through OMP_NUM_THREADS / MKL_NUM_THREADS /
OPENBLAS_NUM_THREADS (before torch is imported; torch.mm goes to the system BLAS, OpenBLAS here,
which has its own thread pool) and torch.set_num_threads.
"""
import argparse
import json
import os
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument('--threads', type=int, default=2)
ap.add_argument('--sections', default='sgemm,conv,resnet', help='of sgemm, conv, resnet (= resnet_fwd + resnet_train)')
ap.add_argument('--warmup', type=int, default=1)
ap.add_argument('--reps', type=int, default=5, help='timed runs of the SGEMM and convolution figures')
ap.add_argument('--model-reps', type=int, default=3, help='timed runs of the ResNet50 figures')
args = ap.parse_args()

for var in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS'):
    os.environ[var] = str(args.threads)

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # cpu.ts reports the anchor as unavailable
    print(json.dumps({'available': False, 'error': str(e)}))
    sys.exit(0)

torch.set_num_threads(args.threads)
torch.manual_seed(0)
sections = set(s for s in args.sections.split(',') if s)


def timeit(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(reps):
        t0 = time.perf_counter_ns()
        fn()
        out.append((time.perf_counter_ns() - t0) / 1e6)
    return out


result = {
    'available': True,
    'torch_version': torch.__version__,
    'threads': torch.get_num_threads(),
    'mkldnn': bool(torch.backends.mkldnn.is_available()),
}

# ---- SGEMM -----------------------------------------------------------------------------------
if 'sgemm' in sections:
    sg = {}
    for (m, k, n) in [(1024, 1024, 1024), (3136, 576, 64), (784, 1152, 128)]:
        a = torch.randn(m, k)
        b = torch.randn(k, n)
        sg[f'{m}x{k}x{n}'] = timeit(lambda: torch.mm(a, b), args.warmup + 2, args.reps * 2)
    result['sgemm'] = sg

# ---- 3x3 convolution, N=8, 64->64, 56x56, pad 1 ------------------------------------------------
if 'conv' in sections:
    x = torch.randn(8, 64, 56, 56)
    w = torch.randn(64, 64, 3, 3) * 0.05
    dy = torch.randn(8, 64, 56, 56)
    # convolution_backward with an output mask is what autograd runs (and what
    # torch.nn.grad.conv2d_input / conv2d_weight call in this version).
    cb = torch.ops.aten.convolution_backward

    def bwd(mask):
        return lambda: cb(dy, x, w, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1, mask)

    with torch.no_grad():
        result['conv'] = {
            'forward': timeit(lambda: F.conv2d(x, w, padding=1), args.warmup, args.reps),
            'backward_data': timeit(lambda: torch.nn.grad.conv2d_input(x.shape, w, dy, padding=1), args.warmup, args.reps),
            'backward_filter': timeit(lambda: torch.nn.grad.conv2d_weight(x, w.shape, dy, padding=1), args.warmup, args.reps),
            'backward_both': timeit(bwd((True, True, False)), args.warmup, args.reps),
        }


# ---- ResNet50 ---------------------------------------------------------------------------------
from torch_resnet50 import ResNet50  # noqa: E402  (after the thread variables are set)

# 'resnet' runs both parts; cpu.ts runs 'resnet_fwd' and 'resnet_train' separately, each beside
# the same part of Oar.
if sections & {'resnet', 'resnet_fwd', 'resnet_train'}:
    model = ResNet50()
    params = sum(p.numel() for p in model.parameters())
    res = {'params': params}
    result['resnet'] = res
if sections & {'resnet', 'resnet_fwd'}:
    model.eval()
    with torch.no_grad():
        x1 = torch.randn(1, 3, 224, 224)
        x8 = torch.randn(8, 3, 224, 224)
        res['forward_b1'] = timeit(lambda: model(x1), args.warmup, args.model_reps * 3)
        res['forward_b8'] = timeit(lambda: model(x8), args.warmup, args.model_reps)
if sections & {'resnet', 'resnet_train'}:
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    labels = torch.randint(0, 1000, (8,))
    xt = torch.randn(8, 3, 224, 224)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(xt), labels)
        loss.backward()
        opt.step()

    res['train_b8'] = timeit(step, args.warmup, args.model_reps)

print(json.dumps(result))
sys.stdout.flush()
