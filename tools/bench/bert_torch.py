#!/usr/bin/env python3
"""The PyTorch side of tools/bench/bert.ts: BERT's weights as an ONNX model, and PyTorch eager.

    /usr/bin/python3 tools/bench/bert_torch.py STATE.pdparams CONFIG_JSON --threads 2 \
        [--onnx OUT.onnx] [--serve]

STATE is BertModel's state dict as Oar saves it (a Paddle .pdparams pickle: PaddleNLP's names to
NumPy arrays); CONFIG_JSON its configuration under PaddleNLP's keys (a JSON string). The network is
tools/nlp/bert_reference.py's (nn.Embedding, nn.LayerNorm, nn.TransformerEncoderLayer, the tanh
pooler), loaded by the same function that writes the golden fixtures; it takes input_ids and
token_type_ids and masks the keys holding the pad token, as Oar's BertModel does without an
attention mask.

--onnx: torch.onnx.export (opset 14; batch and sequence free) of that network to OUT, traced with
  grad enabled, so that the export records the plain MultiheadAttention path.
--serve: then answers bert.ts on stdin/stdout, one JSON object a line:
  {"cmd": "inputs", "batch": b, "ids": [[...]], "types": [[...]]}     -> {"ok": true}
  {"cmd": "outputs", "batch": b, "file": path}   writes sequence_output then pooled_output as
                                                 float32 (little-endian) -> {"ok": true, ...}
  {"cmd": "time", "batch": b, "warmup": w, "reps": n}  -> {"ms": [...]}  (time.perf_counter_ns)
  EOF or {"cmd": "quit"} ends it. Eager runs are in eval mode under torch.no_grad(), where
  torch 1.13 takes TransformerEncoderLayer's fused fast path (torch._transformer_encoder_layer_fwd)
  as any PyTorch user gets it.
The first line on stdout is {"ready": true, ...} once the weights are loaded (and exported).
Anything else torch prints goes to stderr.
"""
import argparse
import json
import os
import pickle
import resource
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument('state')
ap.add_argument('config')
ap.add_argument('--threads', type=int, default=2)
ap.add_argument('--onnx')
ap.add_argument('--serve', action='store_true')
args = ap.parse_args()

for var in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS'):
    os.environ[var] = str(args.threads)

# The protocol owns the real stdout; whatever torch (or the ONNX exporter) prints goes to stderr.
proto = os.fdopen(os.dup(1), 'w', buffering=1)
os.dup2(2, 1)
sys.stdout = sys.stderr

import torch  # noqa: E402
from torch import nn  # noqa: E402

sys.dont_write_bytecode = True  # no __pycache__ beside tools/nlp/bert_reference.py
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'nlp'))
from bert_reference import Reference, load_into_torch  # noqa: E402


def reply(obj):
    proto.write(json.dumps(obj) + '\n')


class Bert(nn.Module):
    """forward(input_ids, token_type_ids) -> (sequence_output, pooled_output), pad keys masked."""

    def __init__(self, c):
        super().__init__()
        self.pad = c['pad_token_id']
        self.ref = Reference(c)

    def forward(self, input_ids, token_type_ids):
        return self.ref(input_ids, token_type_ids, (input_ids != self.pad).to(torch.int64))


def main():
    torch.set_num_threads(args.threads)
    c = json.loads(args.config)
    t0 = time.perf_counter()
    with open(args.state, 'rb') as f:
        state = pickle.load(f)
    state.pop('StructuredToParameterName@@', None)  # Paddle's map from structured to parameter names
    model = Bert(c).eval()
    load_into_torch(model.ref, state, c)  # asserts that every parameter has its one weight
    del state
    info = {'ready': True, 'torch': torch.__version__, 'threads': torch.get_num_threads(),
            'load_s': round(time.perf_counter() - t0, 2)}

    if args.onnx:
        t0 = time.perf_counter()
        ids = torch.randint(1, c['vocab_size'], (2, 16))
        ids[1, 10:] = c['pad_token_id']
        types = torch.zeros_like(ids)
        with torch.enable_grad():
            torch.onnx.export(model, (ids, types), args.onnx, opset_version=14,
                              input_names=['input_ids', 'token_type_ids'],
                              output_names=['sequence_output', 'pooled_output'],
                              dynamic_axes={'input_ids': {0: 'batch', 1: 'seq'},
                                            'token_type_ids': {0: 'batch', 1: 'seq'},
                                            'sequence_output': {0: 'batch', 1: 'seq'},
                                            'pooled_output': {0: 'batch'}})
        info['export_s'] = round(time.perf_counter() - t0, 2)
    info['max_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    reply(info)
    if not args.serve:
        return

    for p in model.parameters():
        p.requires_grad_(False)
    inputs = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        msg = json.loads(line)
        cmd = msg['cmd']
        if cmd == 'quit':
            break
        if cmd == 'inputs':
            inputs[msg['batch']] = (torch.tensor(msg['ids'], dtype=torch.int64), torch.tensor(msg['types'], dtype=torch.int64))
            reply({'ok': True})
        elif cmd == 'outputs':
            with torch.no_grad():
                seq, pooled = model(*inputs[msg['batch']])
            with open(msg['file'], 'wb') as f:
                f.write(seq.numpy().astype('<f4').tobytes())
                f.write(pooled.numpy().astype('<f4').tobytes())
            reply({'ok': True, 'shapes': [list(seq.shape), list(pooled.shape)]})
        elif cmd == 'time':
            x = inputs[msg['batch']]
            ms = []
            with torch.no_grad():
                for i in range(msg['warmup'] + msg['reps']):
                    t0 = time.perf_counter_ns()
                    model(*x)
                    if i >= msg['warmup']:
                        ms.append((time.perf_counter_ns() - t0) / 1e6)
            reply({'ms': ms})
        else:
            reply({'error': 'unknown command %r' % cmd})


if __name__ == '__main__':
    main()
