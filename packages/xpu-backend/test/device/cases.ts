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
  /** Integers in [0, below), for index inputs (ignores range). */
  below?: number;
}

export interface OpCase {
  name: string;
  op: string;
  /** A list for slots that take several tensors (concat, stack). */
  inputs: Record<string, InputSpec | InputSpec[]>;
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

const ids = (shape: number[], below: number, dtype: DType = 'int64'): InputSpec => ({ shape, dtype, below });

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
  { name: 'softmax long rows', op: 'softmax', inputs: { X: { shape: [3, 1500] } }, attrs: { axis: -1 } },
  { name: 'softmax attention rows', op: 'softmax', inputs: { X: { shape: [2, 12, 16, 16] } }, attrs: { axis: -1 } },
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
  // cuBLASLt epilogues: ReLU without bias, bias with a residual, float64; and the cuBLAS fallback's
  { name: 'fc relu no bias', op: 'fc', inputs: { Input: { shape: [5, 24] }, W: { shape: [24, 40] } }, attrs: { in_num_col_dims: 1, activation_type: 'relu' } },
  {
    name: 'fc bias residual relu',
    op: 'fc',
    inputs: { Input: { shape: [2, 7, 32] }, W: { shape: [32, 48] }, Bias: { shape: [48] }, ResidualData: { shape: [2, 7, 48] } },
    attrs: { in_num_col_dims: 2, activation_type: 'relu', fuse_residual_connection: true },
  },
  { name: 'fc float64 bias', op: 'fc', inputs: { Input: { shape: [6, 20], dtype: 'float64' }, W: { shape: [20, 12], dtype: 'float64' }, Bias: { shape: [12], dtype: 'float64' } }, attrs: { in_num_col_dims: 1 } },
  { name: 'fc odd sizes', op: 'fc', inputs: { Input: { shape: [3, 7] }, W: { shape: [7, 5] }, Bias: { shape: [5] } }, attrs: { in_num_col_dims: 1 } },
  { name: 'matmul_v2 BERT scores', op: 'matmul_v2', inputs: { X: { shape: [2, 12, 16, 64] }, Y: { shape: [2, 12, 16, 64] } }, attrs: { trans_y: true } },
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
  // BERT and ERNIE inference programs
  { name: 'lookup_table_v2 int64 padding', op: 'lookup_table_v2', inputs: { W: { shape: [11, 24] }, Ids: ids([2, 7], 11) }, attrs: { padding_idx: 3 } },
  { name: 'lookup_table_v2 int32', op: 'lookup_table_v2', inputs: { W: { shape: [30, 768] }, Ids: ids([8, 128], 30, 'int32') }, attrs: { padding_idx: -1 } },
  { name: 'lookup_table [B, S, 1] ids', op: 'lookup_table', inputs: { W: { shape: [11, 8] }, Ids: ids([2, 5, 1], 11) }, attrs: { padding_idx: -1 } },
  { name: 'gather axis 0', op: 'gather', inputs: { X: { shape: [9, 6] }, Index: ids([4], 9) }, attrs: { axis: 0 } },
  { name: 'gather axis 1 int32', op: 'gather', inputs: { X: { shape: [3, 9, 5] }, Index: ids([7], 9, 'int32') }, attrs: { axis: 1 } },
  { name: 'cumsum int64 axis 1', op: 'cumsum', inputs: { X: ids([4, 128], 2) }, attrs: { axis: 1 } },
  { name: 'cumsum exclusive reverse', op: 'cumsum', inputs: { X: { shape: [3, 6, 5] } }, attrs: { axis: 1, exclusive: true, reverse: true } },
  { name: 'cumsum flatten', op: 'cumsum', inputs: { X: { shape: [3, 7] } }, attrs: { flatten: true } },
  {
    name: 'layer_norm [B, S, H] axis 2',
    op: 'layer_norm',
    inputs: { X: { shape: [2, 5, 768] }, Scale: { shape: [768] }, Bias: { shape: [768] } },
    attrs: { begin_norm_axis: 2, epsilon: 1e-12 },
    compare: ['Y', 'Mean', 'Variance'],
  },
  { name: 'layer_norm no affine, short rows', op: 'layer_norm', inputs: { X: { shape: [6, 3, 4] } }, attrs: { begin_norm_axis: 1, epsilon: 1e-5 }, compare: ['Y', 'Mean', 'Variance'] },
  { name: 'layer_norm float64', op: 'layer_norm', inputs: { X: { shape: [4, 300], dtype: 'float64' }, Scale: { shape: [300], dtype: 'float64' } }, attrs: { begin_norm_axis: 1 }, compare: ['Y', 'Variance'] },
  { name: 'transpose2 heads', op: 'transpose2', inputs: { X: { shape: [2, 5, 3, 4] } }, attrs: { axis: [0, 2, 1, 3] } },
  { name: 'transpose int64 rank 3', op: 'transpose', inputs: { X: ids([3, 4, 5], 100) }, attrs: { axis: [2, 0, 1] } },
  { name: 'slice [CLS]', op: 'slice', inputs: { Input: { shape: [2, 5, 8] } }, attrs: { axes: [1], starts: [0], ends: [1], decrease_axis: [1] } },
  { name: 'slice negative start', op: 'slice', inputs: { Input: { shape: [4, 9, 3] } }, attrs: { axes: [0, 1], starts: [1, -4], ends: [3, 100] } },
  { name: 'strided_slice backwards', op: 'strided_slice', inputs: { Input: { shape: [6, 10] } }, attrs: { axes: [1], starts: [8], ends: [1], strides: [-3] } },
  { name: 'concat axis 1', op: 'concat', inputs: { X: [{ shape: [2, 3, 4] }, { shape: [2, 1, 4] }, { shape: [2, 5, 4] }] }, attrs: { axis: 1 } },
  { name: 'split sections', op: 'split', inputs: { X: { shape: [4, 9, 2] } }, attrs: { axis: 1, sections: [2, 3, 4] }, compare: ['Out'] },
  { name: 'split num int64', op: 'split', inputs: { X: ids([6, 4], 50) }, attrs: { axis: 0, num: 3 }, compare: ['Out'] },
  { name: 'stack axis 1', op: 'stack', inputs: { X: [{ shape: [2, 5] }, { shape: [2, 5] }, { shape: [2, 5] }] }, attrs: { axis: 1 }, compare: ['Y'] },
  { name: 'unstack axis 2', op: 'unstack', inputs: { X: { shape: [2, 3, 4] } }, attrs: { axis: 2, num: 4 }, compare: ['Y'] },
  { name: 'cast float32 to int64', op: 'cast', inputs: { X: { shape: [50] } }, attrs: { in_dtype: 5, out_dtype: 3 } },
  { name: 'cast int64 to float32', op: 'cast', inputs: { X: ids([50], 1000) }, attrs: { in_dtype: 3, out_dtype: 5 } },
  { name: 'cast float32 to bool', op: 'cast', inputs: { X: ids([50], 2, 'float32') }, attrs: { in_dtype: 5, out_dtype: 0 } },
  { name: 'cast bool to float32', op: 'cast', inputs: { X: ids([50], 2, 'bool') }, attrs: { in_dtype: 0, out_dtype: 5 } },
  { name: 'fill_any_like float32', op: 'fill_any_like', inputs: { X: { shape: [3, 4] } }, attrs: { value: 1.5, dtype: -1 } },
  { name: 'fill_any_like int64', op: 'fill_any_like', inputs: { X: { shape: [3, 4] } }, attrs: { value: 1, dtype: 3 } },
  { name: 'equal int64 scalar', op: 'equal', inputs: { X: ids([4, 16], 3), Y: ids([1], 3) } },
  { name: 'less_than float32', op: 'less_than', inputs: { X: { shape: [4, 16] }, Y: { shape: [16] } } },
  { name: 'logical_and bool', op: 'logical_and', inputs: { X: ids([30], 2, 'bool'), Y: ids([30], 2, 'bool') } },
  { name: 'logical_not bool', op: 'logical_not', inputs: { X: ids([30], 2, 'bool') } },
  { name: 'dropout downgrade_in_infer', op: 'dropout', inputs: { X: { shape: [40] } }, attrs: { dropout_prob: 0.1, is_test: true, dropout_implementation: 'downgrade_in_infer' } },
  // older programs (core's static/compat-ops.ts)
  { name: 'shape', op: 'shape', inputs: { Input: { shape: [2, 3, 5] } } },
  { name: 'fill_constant_batch_size_like', op: 'fill_constant_batch_size_like', inputs: { Input: { shape: [6, 4] } }, attrs: { shape: [-1, 3], value: 2.5, dtype: 5 } },
  { name: 'affine_channel NCHW', op: 'affine_channel', inputs: { X: { shape: [2, 6, 4, 5] }, Scale: { shape: [6] }, Bias: { shape: [6] } }, attrs: { data_layout: 'NCHW' } },
  { name: 'lrn NCHW', op: 'lrn', inputs: { X: { shape: [2, 7, 5, 4] } }, attrs: { n: 5, k: 2, alpha: 1e-2, beta: 0.75 }, compare: ['Out', 'MidOut'] },
  { name: 'lrn NHWC', op: 'lrn', inputs: { X: { shape: [2, 5, 4, 7] } }, attrs: { n: 3, k: 1, alpha: 1e-2, beta: 0.5, data_format: 'NHWC' }, compare: ['Out'] },
  ...[0, 1].map((roundType) => ({
    name: `fake_quantize_dequantize round_type ${roundType}`,
    op: 'fake_quantize_dequantize_moving_average_abs_max',
    inputs: { X: { shape: [300] }, InScale: { shape: [1], range: 'pos' as const } },
    attrs: { is_test: true, bit_length: 8, round_type: roundType },
  })),
  { name: 'fake_quantize levels', op: 'fake_quantize_moving_average_abs_max', inputs: { X: { shape: [300] }, InScale: { shape: [1], range: 'pos' } }, attrs: { is_test: true, bit_length: 8 } },
  { name: 'fake_dequantize_max_abs', op: 'fake_dequantize_max_abs', inputs: { X: { shape: [300] }, Scale: { shape: [1], range: 'pos' } }, attrs: { max_range: 127 } },
  { name: 'dropout upscale_in_train', op: 'dropout', inputs: { X: { shape: [40] } }, attrs: { dropout_prob: 0.1, is_test: true, dropout_implementation: 'upscale_in_train' } },
];
