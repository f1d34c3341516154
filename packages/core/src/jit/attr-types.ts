/**
 * The AttrType Paddle's op makers declare for each attribute, so that a traced op is written with
 * the types Paddle 2.0 writes. Oar's operators hold attributes as JS values, where `1` may be an
 * INT (`axis`) or a FLOAT (`scale`): the tables below name the attributes that are not what the
 * value alone suggests (numbers are INT, number lists INTS, bigints LONG by default).
 */
import type { AttrValue } from '../kernels/registry';
import { AttrType, type AttrDesc } from '../static/proto';

/** Attributes declared FLOAT in every op that has them. */
const FLOAT_ATTRS = new Set([
  'alpha',
  'beta',
  'beta1',
  'beta2',
  'bias',
  'coeff',
  'decay',
  'delta',
  'diag_val',
  'dropout_prob',
  'epsilon',
  'factor',
  'lambda',
  'lr_ratio',
  'max_range',
  'mean',
  'std',
  'momentum',
  'moving_rate',
  'mu',
  'offset',
  'pad_value',
  'regularization_coeff',
  'rescale_grad',
  'scale_a',
  'scale_b',
  'sigma',
  'slope',
  't_max',
  't_min',
  'threshold',
  'value',
  'weight_decay',
]);

/** Per op: attributes whose declared type depends on the op (`scale` is FLOAT in `scale`, FLOATS in `bilinear_interp_v2`). */
const OP_ATTR_TYPES: Record<string, Record<string, number>> = {
  scale: { scale: AttrType.FLOAT },
  hard_swish: { scale: AttrType.FLOAT },
  selu: { scale: AttrType.FLOAT },
  bilinear_interp: { scale: AttrType.FLOAT },
  nearest_interp: { scale: AttrType.FLOAT },
  bilinear_interp_v2: { scale: AttrType.FLOATS },
  nearest_interp_v2: { scale: AttrType.FLOATS },
  lrn: { k: AttrType.FLOAT },
  clip: { max: AttrType.FLOAT, min: AttrType.FLOAT },
  uniform_random: { max: AttrType.FLOAT, min: AttrType.FLOAT, shape: AttrType.LONGS },
  gaussian_random: { shape: AttrType.LONGS },
  randint: { shape: AttrType.LONGS },
  fill_constant: { shape: AttrType.LONGS },
  lookup_table: { padding_idx: AttrType.LONG, height_sections: AttrType.LONGS, epmap: AttrType.STRINGS, table_names: AttrType.STRINGS },
  lookup_table_v2: { padding_idx: AttrType.LONG, height_sections: AttrType.LONGS, epmap: AttrType.STRINGS, table_names: AttrType.STRINGS },
  arg_max: { axis: AttrType.LONG },
  arg_min: { axis: AttrType.LONG },
  eye: { num_rows: AttrType.LONG, num_columns: AttrType.LONG },
  roll: { shifts: AttrType.LONGS, axis: AttrType.LONGS },
};

function isIntegral(v: unknown): boolean {
  return typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
}

/** The AttrType of attribute `name` of op `type` holding `value`. */
export function attrTypeOf(type: string, name: string, value: AttrValue): number {
  const declared = OP_ATTR_TYPES[type]?.[name];
  if (declared !== undefined) return declared;
  if (typeof value === 'boolean') return AttrType.BOOLEAN;
  if (typeof value === 'string') return AttrType.STRING;
  if (typeof value === 'bigint') return AttrType.LONG;
  if (typeof value === 'number') return FLOAT_ATTRS.has(name) || !Number.isInteger(value) ? AttrType.FLOAT : AttrType.INT;
  const list = value as readonly unknown[];
  if (list.length > 0 && list.every((x) => typeof x === 'string')) return AttrType.STRINGS;
  if (list.length > 0 && list.every((x) => typeof x === 'boolean')) return AttrType.BOOLEANS;
  if (FLOAT_ATTRS.has(name) || !list.every(isIntegral)) return AttrType.FLOATS;
  // An int32 list holding a value beyond int32 (INT64_MAX as "to the end") must be LONGS.
  if (list.some((x) => Math.abs(Number(x)) > 2147483647)) return AttrType.LONGS;
  return AttrType.INTS;
}

/** The attribute as the program stores it. */
export function toAttrDesc(type: string, name: string, value: AttrValue): AttrDesc {
  return { type: attrTypeOf(type, name, value), value };
}
