#!/usr/bin/env python3
"""ResNet50 inference in PyTorch eager on the GPU: the anchor of tools/bench/xpu_predictor.ts.

    python3 tools/bench/torch_resnet50_cuda.py STATE.pdparams DIR REPS

Loads the weights Oar saved (STATE, a Paddle .pdparams pickle) into torch_resnet50.py's network,
reads DIR/input_b{1,8}.bin (float32, [B, 3, 224, 224]) and writes DIR/torch_out_b{B}.bin (strict
float32 outputs) and DIR/torch.json: median milliseconds per batch, host to host (input copied to
the GPU, output copied back, as Oar's Predictor is timed) and on the GPU alone (CUDA events), with
TF32 off (float32 as Oar computes it) and on (PyTorch's default for convolutions).
"""
import json
import os
import sys
import time

import numpy as np
import torch

from torch_resnet50 import ResNet50, load_paddle_state


def median(v):
    return sorted(v)[len(v) // 2]


def main(state_path, work, reps):
    dev = torch.device('cuda')
    model = load_paddle_state(ResNet50().eval(), state_path).to(dev)
    torch.backends.cudnn.benchmark = True
    rows = []
    for tf32 in (False, True):
        torch.backends.cudnn.allow_tf32 = tf32
        torch.backends.cuda.matmul.allow_tf32 = tf32
        for b in (1, 8):
            x = torch.from_numpy(np.fromfile(os.path.join(work, 'input_b%d.bin' % b), dtype=np.float32).reshape(b, 3, 224, 224))
            with torch.no_grad():
                for _ in range(5):
                    y = model(x.to(dev)).cpu()
                if not tf32:
                    y.numpy().astype(np.float32).tofile(os.path.join(work, 'torch_out_b%d.bin' % b))
                host = []
                for _ in range(reps):
                    t0 = time.perf_counter()
                    model(x.to(dev)).cpu()
                    host.append((time.perf_counter() - t0) * 1e3)
                xd = x.to(dev)
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                gpu = []
                for _ in range(reps):
                    start.record()
                    model(xd)
                    end.record()
                    end.synchronize()
                    gpu.append(start.elapsed_time(end))
            rows.append({'tf32': tf32, 'batch': b, 'host_ms': median(host), 'gpu_ms': median(gpu)})
    out = {'torch': torch.__version__, 'cudnn': torch.backends.cudnn.version(), 'device': torch.cuda.get_device_name(0), 'rows': rows}
    with open(os.path.join(work, 'torch.json'), 'w') as f:
        json.dump(out, f, indent=1)


if __name__ == '__main__':
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
