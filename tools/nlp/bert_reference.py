#!/usr/bin/env python3
"""Golden outputs of BertModel and ErnieModel from an independent implementation built of
PyTorch's own modules: nn.Embedding (word, position, token type), nn.LayerNorm(eps=1e-12), a stack
of nn.TransformerEncoderLayer (post-norm, dropout 0, GELU for BERT, ReLU for ERNIE,
layer_norm_eps=1e-12, batch_first) and the tanh pooler on the first token.

Writes packages/nlp/test/fixtures/golden/<bert|ernie>/:
  model_state.pdparams  the weights under PaddleNLP 2.0's names and layouts, as paddle.save writes
                        a state dict (a pickle of name -> float32 numpy array; protocol 4, as
                        Paddle >= 2.1 writes it: protocol 2 stores the bytes half again larger): Linear
                        weights are [in, out] (torch's transposed), torch's packed in_proj split
                        into q_proj / k_proj / v_proj;
  model_config.json     the configuration under PaddleNLP's keys (init_args), as @oar/nlp saves it;
  reference.json        the inputs (input_ids, token_type_ids, attention_mask) and the outputs
                        (sequence_output, pooled_output), computed in float64 from the float32
                        weights.

Semantics matched to PaddleNLP's models (and Oar's): padded keys are masked out of attention
(torch's src_key_padding_mask, -inf, where PaddleNLP adds -1e9 / -1e4: the same after softmax);
padded query positions are computed like any other; ERNIE's word embedding has Paddle's
padding_idx, whose lookup gives zeros for the pad id whatever the table holds (torch's
padding_idx only freezes the row, so the zeros are applied here).

Run with Debian's Python (NumPy 1.24, torch 1.13): /usr/bin/python3 tools/nlp/bert_reference.py
"""
import json
import os
import pickle

import numpy as np
import torch
from torch import nn

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'packages', 'nlp', 'test', 'fixtures', 'golden')

# Small enough to keep each weight file near 130 KB; 4 heads of 8 and a 4x feed-forward.
BASE = dict(vocab_size=120, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
            hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, max_position_embeddings=40,
            type_vocab_size=2, initializer_range=0.02, pad_token_id=0)
MODELS = {
    'bert': dict(BASE, hidden_act='gelu'),
    'ernie': dict(BASE, hidden_act='relu'),
}
BATCH_LENGTHS = [12, 7, 4]  # real tokens per row; the rest is padding
SEQ_LEN = 12


class Reference(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c['hidden_size']
        self.word = nn.Embedding(c['vocab_size'], h)
        self.position = nn.Embedding(c['max_position_embeddings'], h)
        self.token_type = nn.Embedding(c['type_vocab_size'], h)
        self.norm = nn.LayerNorm(h, eps=1e-12)
        self.layers = nn.ModuleList([
            nn.TransformerEncoderLayer(h, c['num_attention_heads'], c['intermediate_size'], dropout=0.0,
                                       activation=c['hidden_act'], batch_first=True, norm_first=False,
                                       layer_norm_eps=1e-12)
            for _ in range(c['num_hidden_layers'])])
        self.pooler = nn.Linear(h, h)

    def forward(self, ids, types, mask, zero_pad_id=None):
        positions = torch.arange(ids.shape[1], device=ids.device).unsqueeze(0).expand_as(ids)
        words = self.word(ids)
        if zero_pad_id is not None:
            words = words * (ids != zero_pad_id).unsqueeze(-1).to(words.dtype)
        x = self.norm(words + self.position(positions) + self.token_type(types))
        for layer in self.layers:
            x = layer(x, src_key_padding_mask=mask == 0)
        return x, torch.tanh(self.pooler(x[:, 0]))


def random_weights(c, rng):
    """Paddle-named float32 weights, scaled so that attention and the activations do real work."""
    h, f = c['hidden_size'], c['intermediate_size']
    n = lambda *shape, std=0.2: rng.normal(0.0, std, size=shape).astype(np.float32)
    w = {
        'embeddings.word_embeddings.weight': n(c['vocab_size'], h, std=0.5),
        'embeddings.position_embeddings.weight': n(c['max_position_embeddings'], h, std=0.5),
        'embeddings.token_type_embeddings.weight': n(c['type_vocab_size'], h, std=0.5),
        'embeddings.layer_norm.weight': 1 + n(h, std=0.1),
        'embeddings.layer_norm.bias': n(h, std=0.1),
    }
    for i in range(c['num_hidden_layers']):
        p = f'encoder.layers.{i}.'
        for proj in ('q_proj', 'k_proj', 'v_proj', 'out_proj'):
            w[p + f'self_attn.{proj}.weight'] = n(h, h)
            w[p + f'self_attn.{proj}.bias'] = n(h, std=0.1)
        w[p + 'linear1.weight'] = n(h, f)
        w[p + 'linear1.bias'] = n(f, std=0.1)
        w[p + 'linear2.weight'] = n(f, h)
        w[p + 'linear2.bias'] = n(h, std=0.1)
        for norm in ('norm1', 'norm2'):
            w[p + f'{norm}.weight'] = 1 + n(h, std=0.1)
            w[p + f'{norm}.bias'] = n(h, std=0.1)
    w['pooler.dense.weight'] = n(h, h)
    w['pooler.dense.bias'] = n(h, std=0.1)
    return w


def load_into_torch(model, w, c):
    """Paddle layout -> torch: Linear weights transposed, q/k/v packed into in_proj."""
    t = lambda a: torch.from_numpy(a.astype(np.float64))
    with torch.no_grad():
        model.word.weight.copy_(t(w['embeddings.word_embeddings.weight']))
        model.position.weight.copy_(t(w['embeddings.position_embeddings.weight']))
        model.token_type.weight.copy_(t(w['embeddings.token_type_embeddings.weight']))
        model.norm.weight.copy_(t(w['embeddings.layer_norm.weight']))
        model.norm.bias.copy_(t(w['embeddings.layer_norm.bias']))
        for i, layer in enumerate(model.layers):
            p = f'encoder.layers.{i}.'
            a = layer.self_attn
            a.in_proj_weight.copy_(torch.cat([t(w[p + f'self_attn.{k}.weight']).T for k in ('q_proj', 'k_proj', 'v_proj')]))
            a.in_proj_bias.copy_(torch.cat([t(w[p + f'self_attn.{k}.bias']) for k in ('q_proj', 'k_proj', 'v_proj')]))
            a.out_proj.weight.copy_(t(w[p + 'self_attn.out_proj.weight']).T)
            a.out_proj.bias.copy_(t(w[p + 'self_attn.out_proj.bias']))
            layer.linear1.weight.copy_(t(w[p + 'linear1.weight']).T)
            layer.linear1.bias.copy_(t(w[p + 'linear1.bias']))
            layer.linear2.weight.copy_(t(w[p + 'linear2.weight']).T)
            layer.linear2.bias.copy_(t(w[p + 'linear2.bias']))
            for norm in ('norm1', 'norm2'):
                getattr(layer, norm).weight.copy_(t(w[p + f'{norm}.weight']))
                getattr(layer, norm).bias.copy_(t(w[p + f'{norm}.bias']))
        model.pooler.weight.copy_(t(w['pooler.dense.weight']).T)
        model.pooler.bias.copy_(t(w['pooler.dense.bias']))
    count = sum(p.numel() for p in model.parameters())
    assert count == sum(a.size for a in w.values()), 'every torch parameter must come from one Paddle weight'


def inputs(c, rng):
    ids = np.full((len(BATCH_LENGTHS), SEQ_LEN), c['pad_token_id'], dtype=np.int64)
    types = np.zeros_like(ids)
    mask = np.zeros_like(ids)
    for b, n in enumerate(BATCH_LENGTHS):
        # Real tokens never use the pad id, so masking by attention_mask or by pad id agree.
        ids[b, :n] = rng.integers(1, c['vocab_size'], size=n)
        types[b, n // 2:n] = 1  # a pair: the second half is text B
        mask[b, :n] = 1
    return ids, types, mask


def main():
    for name, c in MODELS.items():
        rng = np.random.default_rng({'bert': 7, 'ernie': 8}[name])
        torch.manual_seed(0)
        w = random_weights(c, rng)
        model = Reference(c).double()
        load_into_torch(model, w, c)
        model.eval()
        ids, types, mask = inputs(c, rng)
        # Parameters require grad and grad is on: torch takes its plain (not the fused
        # "fast path") TransformerEncoderLayer code, whose math is the textbook one.
        seq, pooled = model(torch.from_numpy(ids), torch.from_numpy(types), torch.from_numpy(mask),
                            zero_pad_id=c['pad_token_id'] if name == 'ernie' else None)
        seq = seq.detach().numpy()
        pooled = pooled.detach().numpy()
        out = os.path.join(OUT, name)
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, 'model_state.pdparams'), 'wb') as fh:
            pickle.dump(w, fh, protocol=4)
        with open(os.path.join(out, 'model_config.json'), 'w') as fh:
            json.dump({'init_class': {'bert': 'BertModel', 'ernie': 'ErnieModel'}[name], 'model_type': name, 'init_args': c}, fh, indent=2)
            fh.write('\n')
        ref = {
            'generator': 'tools/nlp/bert_reference.py (torch %s, float64)' % torch.__version__,
            'input_ids': ids.tolist(), 'token_type_ids': types.tolist(), 'attention_mask': mask.tolist(),
            'sequence_output': np.round(seq, 9).tolist(), 'pooled_output': np.round(pooled, 9).tolist(),
        }
        with open(os.path.join(out, 'reference.json'), 'w') as fh:
            json.dump(ref, fh, separators=(',', ':'))
            fh.write('\n')
        size = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
        print(f'{out}: {sum(a.size for a in w.values())} weights, outputs {seq.shape} and {pooled.shape}, {size} bytes')


if __name__ == '__main__':
    main()
