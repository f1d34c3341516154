/**
 * Operator cases the device check runs on `cpu` and on `xpu` and compares. The CPU kernels are the
 * reference: they match NumPy in core's conformance suite. Inputs are deterministic.
 */
import type { AttrValue, DType } from '@oar/core';

export interface InputSpec {
  shape: number[];
  dtype?: DType;
  /** Value range: any (−2, 2), pos (0.1, 2.1) for logs and roots and variances. */
  range?: 'any' | 'pos';
}

export interface OpCase {
  name: string;
  op: string;
  inputs: Record<string, InputSpec>;
  attrs?: Record<string, AttrValue>;
  /** Output slots to compare (default: the op's first output). */
  compare?: string[];
}

const ew = (op: string, x: number[], y: number[], axis = -1, dtype: DType = 'float32'): OpCase => ({
  name: `${op} ${JSON.stringify(x)} ${JSON.stringify(y)} axis ${axis} ${dtype}`,
  op,
  inputs: { X: { shape: x, dtype, range: op === 'elementwise_pow' || op === 'elementwise_div' ? 'pos' : 'any' }, Y: { shape: y, dtype, range: op === 'elementwise_div' ? 'pos' : 'any' } },
  attrs: { axis },
});

const conv = (name: string, x: number[], f: number[], attrs: Record<string, AttrValue>, extra: Record<string, InputSpec> = {}, op = 'conv2d'): OpCase => ({
  name: `${op} ${name}`,
  op,
  inputs: { Input: { shape: x }, Filter: { shape: f }, ...extra },
  attrs: { strides: [1, 1], paddings: [0, 0], dilations: [1, 1], groups: 1, ...attrs },
  compare: ['Output'],
});

const pool = (name: string, x: number[], attrs: Record<string, AttrValue>): OpCase => ({ name: `pool2d ${name}`, op: 'pool2d', inputs: { X: { shape: x } }, attrs });

export const CASES: OpCase[] = [
  ...['elementwise_add', 'elementwise_sub', 'elementwise_mul', 'elementwise_div', 'elementwise_max', 'elementwise_min', 'elementwise_pow'].map((op) => ew(op, [4, 33, 7], [4, 33, 7])),
  ew('elementwise_add', [2, 3, 4, 5], [3, 4], 1),
  ew('elementwise_mul', [2, 3, 4, 5], [5]),
  ew('elementwise_sub', [2, 1, 5], [3, 1]),
  ew('elementwise_add', [8, 16], [8, 16], -1, 'int32'),
  ew('elementwise_max', [6, 4], [4], -1, 'int64'),
  ew('elementwise_add', [2, 3], [2, 3], -1, 'float64'),
  ...['relu', 'sigmoid', 'tanh', 'exp', 'abs', 'square', 'silu'].map((op) => ({ name: op, op, inputs: { X: { shape: [5, 77] } } })),
  ...['log', 'sqrt', 'rsqrt'].map((op) => ({ name: op, op, inputs: { X: { shape: [5, 77], range: 'pos' as const } } })),
  { name: 'relu6', op: 'relu6', inputs: { X: { shape: [300] } }, attrs: { threshold: 1.5 } },
  { name: 'leaky_relu', op: 'leaky_relu', inputs: { X: { shape: [300] } }, attrs: { alpha: 0.1 } },
  { name: 'gelu erf', op: 'gelu', inputs: { X: { shape: [300] } }, attrs: { approximate: false } },
  { name: 'gelu tanh', op: 'gelu', inputs: { X: { shape: [300] } }, attrs: { approximate: true } },
  { name: 'swish', op: 'swish', inputs: { X: { shape: [300] } }, attrs: { beta: 1.5 } },
  { name: 'hard_swish', op: 'hard_swish', inputs: { X: { shape: [300] } } },
  { name: 'hard_sigmoid', op: 'hard_sigmoid', inputs: { X: { shape: [300] } } },
  { name: 'scale after', op: 'scale', inputs: { X: { shape: [300] } }, attrs: { scale: 2.5, bias: 0.5, bias_after_scale: true } },
  { name: 'scale before', op: 'scale', inputs: { X: { shape: [300] } }, attrs: { scale: 2.5, bias: 0.5, bias_after_scale: false } },
  { name: 'softmax rows', op: 'softmax', inputs: { X: { shape: [8, 1000] } }, attrs: { axis: -1 } },
  { name: 'softmax axis 1', op: 'softmax', inputs: { X: { shape: [2, 5, 3, 4] } }, attrs: { axis: 1 } },
  { name: 'matmul_v2 2d', op: 'matmul_v2', inputs: { X: { shape: [17, 33] }, Y: { shape: [33, 9] } } },
  { name: 'matmul_v2 trans', op: 'matmul_v2', inputs: { X: { shape: [33, 17] }, Y: { shape: [9, 33] } }, attrs: { trans_x: true, trans_y: true } },
  { name: 'matmul_v2 batched', op: 'matmul_v2', inputs: { X: { shape: [3, 4, 5] }, Y: { shape: [3, 5, 6] } } },
  { name: 'matmul_v2 shared y', op: 'matmul_v2', inputs: { X: { shape: [3, 4, 5] }, Y: { shape: [5, 6] } } },
  { name: 'matmul_v2 broadcast', op: 'matmul_v2', inputs: { X: { shape: [2, 1, 4, 5] }, Y: { shape: [3, 5, 6] } } },
  { name: 'matmul_v2 vectors', op: 'matmul_v2', inputs: { X: { shape: [5] }, Y: { shape: [5, 3] } } },
  { name: 'matmul alpha', op: 'matmul', inputs: { X: { shape: [2, 4, 5] }, Y: { shape: [2, 6, 5] } }, attrs: { transpose_Y: true, alpha: 0.125 } },
  { name: 'matmul_v2 float64', op: 'matmul_v2', inputs: { X: { shape: [7, 5], dtype: 'float64' }, Y: { shape: [5, 3], dtype: 'float64' } } },
  { name: 'mul', op: 'mul', inputs: { X: { shape: [2, 3, 4, 5] }, Y: { shape: [20, 7] } }, attrs: { x_num_col_dims: 2, y_num_col_dims: 1 } },
  { name: 'fc bias relu', op: 'fc', inputs: { Input: { shape: [6, 40] }, W: { shape: [40, 24] }, Bias: { shape: [24] } }, attrs: { in_num_col_dims: 1, activation_type: 'relu' } },
  {
    name: 'fc residual gelu',
    op: 'fc',
    inputs: { Input: { shape: [2, 3, 40] }, W: { shape: [40, 24] }, Bias: { shape: [1, 24] }, ResidualData: { shape: [2, 3, 24] } },
    attrs: { in_num_col_dims: 2, activation_type: 'gelu', fuse_residual_connection: true },
  },
  conv('3x3 pad 1', [2, 8, 14, 14], [16, 8, 3, 3], { paddings: [1, 1] }),
  conv('stride 2', [2, 8, 15, 15], [16, 8, 3, 3], { paddings: [1, 1], strides: [2, 2] }),
  conv('dilation 2', [1, 4, 12, 12], [6, 4, 3, 3], { paddings: [2, 2], dilations: [2, 2] }),
  conv('groups 2', [2, 8, 10, 10], [12, 4, 3, 3], { paddings: [1, 1], groups: 2 }),
  conv('1x1', [2, 64, 7, 7], [32, 64, 1, 1], {}),
  conv('7x7 stride 2', [1, 3, 32, 32], [8, 3, 7, 7], { paddings: [3, 3], strides: [2, 2] }),
  conv('depthwise', [2, 16, 9, 9], [16, 1, 3, 3], { paddings: [1, 1], groups: 16 }, {}, 'depthwise_conv2d'),
  conv('bias relu', [2, 8, 14, 14], [16, 8, 3, 3], { paddings: [1, 1], fuse_activation: 'relu' }, { Bias: { shape: [16] } }),
  conv('relu no bias', [2, 8, 14, 14], [16, 8, 3, 3], { paddings: [1, 1], fuse_activation: 'relu' }),
  conv('bias residual relu', [2, 8, 14, 14], [16, 8, 3, 3], { paddings: [1, 1], fuse_activation: 'relu', fuse_residual_connection: true }, { Bias: { shape: [16] }, ResidualData: { shape: [2, 16, 14, 14] } }),
  conv('bias sigmoid', [2, 8, 14, 14], [16, 8, 3, 3], { paddings: [1, 1], fuse_activation: 'sigmoid' }, { Bias: { shape: [16] } }),
  conv('bias only', [2, 8, 14, 14], [16, 8, 3, 3], { paddings: [1, 1] }, { Bias: { shape: [16] } }),
  conv('float64', [1, 3, 8, 8], [4, 3, 3, 3], { paddings: [1, 1] }),
  pool('max 3x3 s2 p1', [2, 8, 17, 17], { pooling_type: 'max', ksize: [3, 3], strides: [2, 2], paddings: [1, 1] }),
  pool('avg exclusive', [2, 8, 17, 17], { pooling_type: 'avg', ksize: [3, 3], strides: [2, 2], paddings: [1, 1], exclusive: true }),
  pool('avg inclusive', [2, 8, 17, 17], { pooling_type: 'avg', ksize: [3, 3], strides: [2, 2], paddings: [1, 1], exclusive: false }),
  pool('adaptive', [2, 8, 7, 9], { pooling_type: 'avg', ksize: [3, 4], adaptive: true }),
  pool('global avg', [2, 64, 7, 7], { pooling_type: 'avg', ksize: [1, 1], global_pooling: true }),
  pool('max ceil_mode', [1, 4, 10, 10], { pooling_type: 'max', ksize: [3, 3], strides: [2, 2], ceil_mode: true }),
  pool('max NHWC', [2, 9, 9, 8], { pooling_type: 'max', ksize: [2, 2], strides: [2, 2], data_format: 'NHWC' }),
  {
    name: 'batch_norm NCHW',
    op: 'batch_norm',
    inputs: { X: { shape: [2, 8, 5, 5] }, Scale: { shape: [8] }, Bias: { shape: [8] }, Mean: { shape: [8] }, Variance: { shape: [8], range: 'pos' } },
    attrs: { is_test: true, epsilon: 1e-5 },
    compare: ['Y', 'SavedMean', 'SavedVariance'],
  },
  {
    name: 'batch_norm NHWC',
    op: 'batch_norm',
    inputs: { X: { shape: [2, 5, 5, 8] }, Scale: { shape: [8] }, Bias: { shape: [8] }, Mean: { shape: [8] }, Variance: { shape: [8], range: 'pos' } },
    attrs: { is_test: true, epsilon: 1e-5, data_layout: 'NHWC' },
    compare: ['Y'],
  },
  { name: 'fill_constant float32', op: 'fill_constant', inputs: {}, attrs: { shape: [3, 5], value: 1.25, dtype: 5 } },
  { name: 'fill_constant int64', op: 'fill_constant', inputs: {}, attrs: { shape: [4], value: 7, dtype: 3 } },
  { name: 'assign', op: 'assign', inputs: { X: { shape: [3, 7] } } },
  { name: 'reshape2', op: 'reshape2', inputs: { X: { shape: [2, 3, 4] } }, attrs: { shape: [6, 4] } },
  { name: 'flatten_contiguous_range', op: 'flatten_contiguous_range', inputs: { X: { shape: [2, 3, 4, 5] } }, attrs: { start_axis: 1, stop_axis: 3 } },
];
