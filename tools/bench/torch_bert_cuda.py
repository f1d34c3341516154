#!/usr/bin/env python3
"""BERT / ERNIE inference in PyTorch eager on the GPU: the anchor of tools/bench/xpu_bert.ts.

    python3 tools/bench/torch_bert_cuda.py STATE.pdparams CONFIG_JSON MODEL_TYPE DIR REPS

Loads the weights Oar saved (STATE, a Paddle .pdparams pickle under PaddleNLP's names) into
tools/nlp/bert_reference.py's network (nn.TransformerEncoderLayer stack; MODEL_TYPE bert or ernie,
ERNIE's pad-id embedding reading zeros), reads DIR/inputs_b{B}.json ({"ids": [[...]], "types":
[[...]]}, pad id keys masked) and writes DIR/torch_out_b{B}.bin (sequence_output then
pooled_output, float32, TF32 off) and DIR/torch.json: median milliseconds per batch host to host
(ids copied to the GPU, both outputs copied back, as Oar's Predictor is timed) and on the GPU alone
(CUDA events), with TF32 off (float32 as Oar computes it) and on. Eval mode under torch.no_grad(),
where TransformerEncoderLayer takes its fused inference path, as any PyTorch user gets it.
"""
import json
import os
import pickle
import sys
import time

import numpy as np
import torch

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'nlp'))
from bert_reference import Reference, load_into_torch  # noqa: E402


def median(v):
    return sorted(v)[len(v) // 2]


def main(state_path, config, model_type, work, reps):
    dev = torch.device('cuda')
    c = json.loads(config)
    with open(state_path, 'rb') as f:
        state = pickle.load(f)
    state.pop('StructuredToParameterName@@', None)
    model = Reference(c).eval()
    load_into_torch(model, state, c)
    model = model.to(dev)
    for p in model.parameters():
        p.requires_grad_(False)
    pad = c['pad_token_id']
    zero_pad = pad if model_type == 'ernie' else None

    def run(ids, types):
        seq, pooled = model(ids, types, (ids != pad).to(torch.int64), zero_pad_id=zero_pad)
        return seq.cpu(), pooled.cpu()

    batches = sorted(int(n[len('inputs_b'):-len('.json')]) for n in os.listdir(work) if n.startswith('inputs_b'))
    rows = []
    for tf32 in (False, True):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        for b in batches:
            with open(os.path.join(work, 'inputs_b%d.json' % b)) as f:
                inp = json.load(f)
            ids = torch.tensor(inp['ids'], dtype=torch.int64)
            types = torch.tensor(inp['types'], dtype=torch.int64)
            with torch.no_grad():
                for _ in range(5):
                    seq, pooled = run(ids.to(dev), types.to(dev))
                if not tf32:
                    with open(os.path.join(work, 'torch_out_b%d.bin' % b), 'wb') as f:
                        f.write(seq.numpy().astype('<f4').tobytes())
                        f.write(pooled.numpy().astype('<f4').tobytes())
                host = []
                for _ in range(reps):
                    t0 = time.perf_counter()
                    run(ids.to(dev), types.to(dev))
                    host.append((time.perf_counter() - t0) * 1e3)
                idd, tyd = ids.to(dev), types.to(dev)
                mask = (idd != pad).to(torch.int64)
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                gpu = []
                for _ in range(reps):
                    start.record()
                    model(idd, tyd, mask, zero_pad_id=zero_pad)
                    end.record()
                    end.synchronize()
                    gpu.append(start.elapsed_time(end))
            rows.append({'tf32': tf32, 'batch': b, 'host_ms': median(host), 'gpu_ms': median(gpu)})
    out = {'torch': torch.__version__, 'device': torch.cuda.get_device_name(0), 'rows': rows}
    with open(os.path.join(work, 'torch.json'), 'w') as f:
        json.dump(out, f, indent=1)


if __name__ == '__main__':
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
