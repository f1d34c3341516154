/**
 * Attention and the Transformer encoder with Paddle 2.0's API: MultiHeadAttention (sublayers
 * q_proj, k_proj, v_proj, out_proj), TransformerEncoderLayer (self_attn, linear1, dropout,
 * linear2, norm1, norm2, dropout1, dropout2) and TransformerEncoder (layers.N, norm).
 */
import { softmax } from '../../ops/activation';
import { cast, full } from '../../ops/creation';
import { matmul } from '../../ops/linalg';
import { concat, reshape, transpose } from '../../ops/manipulation';
import { add, scale } from '../../ops/math';
import { dropout } from '../../ops/random';
import { isFloatDType, type DType } from '../../tensor/dtype';
import { fmtShape } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';
import { activationByName, type ActivationName } from '../functional-extra';
import { Layer } from '../layer';
import type { ParamAttrLike } from '../param-attr';
import { LayerList } from '../container';
import { Dropout, Linear } from './common';
import { LayerNorm } from './norm';
import { requirePositiveInt } from './util';

/**
 * A bool or integer mask becomes additive in `dtype`: kept positions (true / 1) add 0, masked
 * ones (false / 0) add -1e9, as Paddle's `_convert_attention_mask` computes (cast(mask) - 1)·1e9.
 * Float masks are additive already and only cast.
 */
export function convertAttentionMask(mask: Tensor | null | undefined, dtype: DType): Tensor | null {
  if (!mask) return null;
  if (mask.dtype === dtype) return mask;
  if (!isFloatDType(mask.dtype)) return scale(cast(mask, dtype), 1e9, -1, false);
  return cast(mask, dtype);
}

/** Keys and values cached for incremental decoding (Paddle's `MultiHeadAttention.Cache`): grows each step. */
export interface AttentionCache {
  kind: 'cache';
  /** [batch, numHeads, steps, headDim] */
  k: Tensor;
  v: Tensor;
}

/** Keys and values computed once, e.g. from the encoder output (Paddle's `StaticCache`). */
export interface AttentionStaticCache {
  kind: 'static';
  k: Tensor;
  v: Tensor;
}

export type MHACache = AttentionCache | AttentionStaticCache;

export interface MultiHeadAttentionOptions<W extends boolean = boolean> {
  /** Dropout on the attention weights while training. Default 0. */
  dropout?: number;
  /** Feature size of keys (default embedDim). */
  kdim?: number;
  /** Feature size of values (default embedDim). */
  vdim?: number;
  /** Also return the attention weights [batch, numHeads, queryLen, keyLen]. */
  needWeights?: W;
  weightAttr?: ParamAttrLike;
  biasAttr?: ParamAttrLike;
}

/** forward's result: the output, or [output, weights] with needWeights. */
export type MHAOutput<W extends boolean> = W extends true ? [Tensor, Tensor] : Tensor;

/**
 * Multi-head scaled dot-product attention over [batch, length, features] inputs. attnMask
 * broadcasts to [batch, numHeads, queryLen, keyLen] and is additive when float; when bool or
 * integer, true / 1 marks the positions that may be attended (Paddle's convention, the
 * opposite of PyTorch's boolean masks).
 *
 * With a cache, call `forward` directly (not `call`): it returns the new cache as its last
 * element.
 */
export class MultiHeadAttention<W extends boolean = false> extends Layer {
  q_proj: Linear;
  k_proj: Linear;
  v_proj: Linear;
  out_proj: Linear;
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly dropout: number;
  readonly needWeights: W;

  constructor(embedDim: number, numHeads: number, opts: MultiHeadAttentionOptions<W> = {}) {
    super();
    requirePositiveInt('MultiHeadAttention', 'embedDim', embedDim);
    requirePositiveInt('MultiHeadAttention', 'numHeads', numHeads);
    if (embedDim % numHeads !== 0) {
      throw new RangeError(`MultiHeadAttention: embedDim (${embedDim}) must be divisible by numHeads (${numHeads})`);
    }
    const p = opts.dropout ?? 0;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`MultiHeadAttention: dropout must be in [0, 1], got ${p}`);
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    this.kdim = opts.kdim ?? embedDim;
    this.vdim = opts.vdim ?? embedDim;
    this.dropout = p;
    this.needWeights = (opts.needWeights ?? false) as W;
    const lin = { weightAttr: opts.weightAttr, biasAttr: opts.biasAttr };
    this.q_proj = new Linear(embedDim, embedDim, lin);
    this.k_proj = new Linear(this.kdim, embedDim, lin);
    this.v_proj = new Linear(this.vdim, embedDim, lin);
    this.out_proj = new Linear(embedDim, embedDim, lin);
  }

  /** [batch, len, embedDim] → [batch, numHeads, len, headDim]. */
  private splitHeads(x: Tensor): Tensor {
    return transpose(reshape(x, [0, 0, this.numHeads, this.headDim]), [0, 2, 1, 3]);
  }

  /** Projected keys and values, split into heads (Paddle's `compute_kv`). */
  computeKV(key: Tensor, value: Tensor): [Tensor, Tensor] {
    return [this.splitHeads(this.k_proj.call(key)), this.splitHeads(this.v_proj.call(value))];
  }

  /**
   * A cache for incremental decoding (Paddle's `gen_cache`): 'static' projects `key`/`value` once;
   * 'cache' with only `key` starts empty (zero steps, batch size from key); with `value` too, the
   * two are taken as already split keys and values.
   */
  genCache(key: Tensor, value: Tensor | null = null, type: 'cache' | 'static' = 'cache'): MHACache {
    if (type === 'static') {
      const [k, v] = this.computeKV(key, value ?? key);
      return { kind: 'static', k, v };
    }
    if (value === null) {
      const shape = [key.shape[0]!, this.numHeads, 0, this.headDim];
      return { kind: 'cache', k: full(shape, 0, { dtype: key.dtype }), v: full(shape, 0, { dtype: key.dtype }) };
    }
    return { kind: 'cache', k: key, v: value };
  }

  override forward(query: Tensor, key: Tensor | null | undefined, value: Tensor | null | undefined, attnMask: Tensor | null | undefined, cache: MHACache): W extends true ? [Tensor, Tensor, MHACache] : [Tensor, MHACache];
  override forward(query: Tensor, key?: Tensor | null, value?: Tensor | null, attnMask?: Tensor | null): MHAOutput<W>;
  override forward(
    query: Tensor,
    key?: Tensor | null,
    value?: Tensor | null,
    attnMask?: Tensor | null,
    cache?: MHACache | null,
  ): Tensor | [Tensor, Tensor] | [Tensor, MHACache] | [Tensor, Tensor, MHACache] {
    if (query.ndim !== 3 || query.shape[2] !== this.embedDim) {
      throw new RangeError(`MultiHeadAttention: query must be [batch, length, ${this.embedDim}], got ${fmtShape(query.shape)}`);
    }
    const k0 = key ?? query;
    const v0 = value ?? query;
    if (!cache || cache.kind !== 'static') {
      if (k0.ndim !== 3 || k0.shape[2] !== this.kdim) throw new RangeError(`MultiHeadAttention: key must be [batch, length, ${this.kdim}], got ${fmtShape(k0.shape)}`);
      if (v0.ndim !== 3 || v0.shape[2] !== this.vdim) throw new RangeError(`MultiHeadAttention: value must be [batch, length, ${this.vdim}], got ${fmtShape(v0.shape)}`);
    }
    const q = this.splitHeads(this.q_proj.call(query));
    let k: Tensor;
    let v: Tensor;
    let newCache: MHACache | null = null;
    if (cache?.kind === 'static') {
      ({ k, v } = cache);
      newCache = cache;
    } else {
      [k, v] = this.computeKV(k0, v0);
      if (cache) {
        k = concat([cache.k, k], 2);
        v = concat([cache.v, v], 2);
        newCache = { kind: 'cache', k, v };
      }
    }
    // Scaled dot product: q·kᵀ / sqrt(headDim), [batch, heads, Lq, Lk].
    let product = scale(matmul(q, k, false, true), this.headDim ** -0.5);
    const mask = convertAttentionMask(attnMask, product.dtype);
    if (mask) product = add(product, mask);
    let weights = softmax(product);
    if (this.dropout) weights = dropout(weights, this.dropout, { training: this.training, mode: 'upscale_in_train' });
    let out = transpose(matmul(weights, v), [0, 2, 1, 3]);
    out = reshape(out, [0, 0, this.embedDim]);
    out = this.out_proj.call(out);
    const outs: (Tensor | MHACache)[] = [out];
    if (this.needWeights) outs.push(weights);
    if (newCache) outs.push(newCache);
    return (outs.length === 1 ? out : outs) as Tensor | [Tensor, Tensor];
  }

  override extraRepr(): string {
    return `embed_dim=${this.embedDim}, num_heads=${this.numHeads}, kdim=${this.kdim}, vdim=${this.vdim}, dropout=${this.dropout}, need_weights=${this.needWeights}`;
  }
}

/** A weight or bias attribute given once for all sublayers, or as [self-attention, feed-forward]. */
export type AttrPair = ParamAttrLike | [ParamAttrLike, ParamAttrLike];

export interface TransformerEncoderLayerOptions {
  /** Dropout on the residual branches; default 0.1. */
  dropout?: number;
  /** 'relu' (default), 'gelu', or another functional activation name. */
  activation?: ActivationName;
  /** Dropout on the attention weights; defaults to `dropout`. */
  attnDropout?: number;
  /** Dropout after the feed-forward activation; defaults to `dropout`. */
  actDropout?: number;
  /** Pre-norm (LayerNorm before each sublayer) instead of post-norm. */
  normalizeBefore?: boolean;
  weightAttr?: AttrPair;
  biasAttr?: AttrPair;
}

function attrPair(a: AttrPair | undefined): [ParamAttrLike, ParamAttrLike] {
  if (Array.isArray(a)) {
    const list = a as unknown[];
    if (list.length !== 2) throw new RangeError(`TransformerEncoderLayer: an attribute list must have 2 entries (self-attention, feed-forward), got ${list.length}`);
    return list as [ParamAttrLike, ParamAttrLike];
  }
  return [a as ParamAttrLike, a as ParamAttrLike];
}

/**
 * One encoder block: self-attention and a feed-forward network (linear1 → activation → dropout
 * → linear2), each with dropout, a residual connection and LayerNorm (after the residual by
 * default, before the sublayer with normalizeBefore).
 */
export class TransformerEncoderLayer extends Layer {
  self_attn: MultiHeadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  readonly dModel: number;
  readonly nhead: number;
  readonly dimFeedforward: number;
  readonly normalizeBefore: boolean;
  readonly activationName: ActivationName;
  /** The constructor arguments, used by TransformerEncoder to build the other layers (Paddle's `_config`). */
  readonly config: { dModel: number; nhead: number; dimFeedforward: number; options: TransformerEncoderLayerOptions };

  constructor(dModel: number, nhead: number, dimFeedforward: number, opts: TransformerEncoderLayerOptions = {}) {
    super();
    requirePositiveInt('TransformerEncoderLayer', 'dModel', dModel);
    requirePositiveInt('TransformerEncoderLayer', 'nhead', nhead);
    requirePositiveInt('TransformerEncoderLayer', 'dimFeedforward', dimFeedforward);
    this.config = { dModel, nhead, dimFeedforward, options: { ...opts } };
    this.dModel = dModel;
    this.nhead = nhead;
    this.dimFeedforward = dimFeedforward;
    this.normalizeBefore = opts.normalizeBefore ?? false;
    this.activationName = opts.activation ?? 'relu';
    activationByName(this.activationName, 'TransformerEncoderLayer');
    const p = opts.dropout ?? 0.1;
    const [w0, w1] = attrPair(opts.weightAttr);
    const [b0, b1] = attrPair(opts.biasAttr);
    this.self_attn = new MultiHeadAttention(dModel, nhead, { dropout: opts.attnDropout ?? p, weightAttr: w0, biasAttr: b0 });
    this.linear1 = new Linear(dModel, dimFeedforward, { weightAttr: w1, biasAttr: b1 });
    this.dropout = new Dropout(opts.actDropout ?? p);
    this.linear2 = new Linear(dimFeedforward, dModel, { weightAttr: w1, biasAttr: b1 });
    this.norm1 = new LayerNorm(dModel);
    this.norm2 = new LayerNorm(dModel);
    this.dropout1 = new Dropout(p);
    this.dropout2 = new Dropout(p);
  }

  override forward(src: Tensor, srcMask: Tensor | null | undefined, cache: MHACache): [Tensor, MHACache];
  override forward(src: Tensor, srcMask?: Tensor | null): Tensor;
  override forward(src: Tensor, srcMask?: Tensor | null, cache?: MHACache | null): Tensor | [Tensor, MHACache] {
    const mask = convertAttentionMask(srcMask, src.dtype);
    let residual = src;
    let x = this.normalizeBefore ? this.norm1.call(src) : src;
    let newCache: MHACache | null = null;
    if (cache) {
      [x, newCache] = this.self_attn.forward(x, x, x, mask, cache) as [Tensor, MHACache];
    } else {
      x = this.self_attn.call(x, x, x, mask);
    }
    x = add(residual, this.dropout1.call(x));
    if (!this.normalizeBefore) x = this.norm1.call(x);
    residual = x;
    if (this.normalizeBefore) x = this.norm2.call(x);
    const act = activationByName(this.activationName, 'TransformerEncoderLayer');
    x = this.linear2.call(this.dropout.call(act(this.linear1.call(x))));
    x = add(residual, this.dropout2.call(x));
    if (!this.normalizeBefore) x = this.norm2.call(x);
    return newCache ? [x, newCache] : x;
  }

  /** An empty incremental cache for this layer's self-attention. */
  genCache(src: Tensor): MHACache {
    return this.self_attn.genCache(src);
  }

  override extraRepr(): string {
    return `d_model=${this.dModel}, nhead=${this.nhead}, dim_feedforward=${this.dimFeedforward}, activation=${this.activationName}, normalize_before=${this.normalizeBefore}`;
  }
}

/**
 * `numLayers` encoder layers applied in turn, then `norm` if given. The first layer is the one
 * passed in; the others are new layers built from its configuration (fresh parameters), as
 * Paddle does.
 */
export class TransformerEncoder extends Layer {
  layers: LayerList;
  norm: Layer | null;
  readonly numLayers: number;

  constructor(encoderLayer: TransformerEncoderLayer, numLayers: number, norm: Layer | null = null) {
    super();
    requirePositiveInt('TransformerEncoder', 'numLayers', numLayers);
    if (!(encoderLayer instanceof TransformerEncoderLayer)) {
      throw new TypeError('TransformerEncoder: encoderLayer must be a TransformerEncoderLayer');
    }
    const { dModel, nhead, dimFeedforward, options } = encoderLayer.config;
    const layers: TransformerEncoderLayer[] = [encoderLayer];
    for (let i = 1; i < numLayers; i++) layers.push(new TransformerEncoderLayer(dModel, nhead, dimFeedforward, options));
    this.layers = new LayerList(layers);
    this.norm = norm;
    this.numLayers = numLayers;
  }

  override forward(src: Tensor, srcMask: Tensor | null | undefined, cache: MHACache[]): [Tensor, MHACache[]];
  override forward(src: Tensor, srcMask?: Tensor | null): Tensor;
  override forward(src: Tensor, srcMask?: Tensor | null, cache?: MHACache[] | null): Tensor | [Tensor, MHACache[]] {
    const mask = convertAttentionMask(srcMask, src.dtype);
    if (cache && cache.length !== this.numLayers) {
      throw new RangeError(`TransformerEncoder: cache must have one entry per layer (${this.numLayers}), got ${cache.length}`);
    }
    let out = src;
    const newCaches: MHACache[] = [];
    [...this.layers].forEach((l, i) => {
      const layer = l as TransformerEncoderLayer;
      if (cache) {
        const [o, c] = layer.forward(out, mask, cache[i]!);
        out = o;
        newCaches.push(c);
      } else {
        out = layer.call(out, mask);
      }
    });
    if (this.norm) out = this.norm.call(out) as Tensor;
    return cache ? [out, newCaches] : out;
  }

  /** One empty incremental cache per layer. */
  genCache(src: Tensor): MHACache[] {
    return [...this.layers].map((l) => (l as TransformerEncoderLayer).genCache(src));
  }
}
