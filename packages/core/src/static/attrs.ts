/**
 * From the attributes an OpDesc stores to the attributes Oar's operator takes (spec §5.1):
 * missing ones take the operator's default (the engine fills them); values stored with another
 * AttrType than the op maker declares are coerced (INT/LONG/BOOLEAN for flags, INTS/LONGS,
 * LONGS for `fill_constant.shape`, ...); bookkeeping attributes are dropped; attributes that
 * would change the result in a way Oar does not implement (fused activations of optimized
 * programs) are refused instead of silently ignored.
 */
import type { AttrValue, Attrs } from '../kernels/registry';
import { ATTR_TYPE_NAMES, UNKNOWN_ATTR_TYPE, type AttrDesc } from './proto';

const isFalsy = (v: AttrValue): boolean => !v || (typeof v === 'bigint' && v === 0n);
const isEmpty = (v: AttrValue): boolean => v === '' || (Array.isArray(v) && v.length === 0);

/**
 * Attributes of Paddle's makers (and of programs optimized by Paddle's passes) that change the
 * result when they hold anything but their neutral value. Oar's operators do not declare them, so
 * a program that sets one is refused with the attribute named.
 */
const MUST_BE_NEUTRAL: Record<string, (v: AttrValue) => boolean> = {
  fuse_relu: isFalsy,
  fuse_brelu: isFalsy,
  fuse_with_relu: isFalsy,
  fuse_relu_before_depthwise_conv: isFalsy,
  fuse_residual_connection: isFalsy,
  fuse_activation: isEmpty,
  fused_reshape_X: isEmpty,
  fused_reshape_Y: isEmpty,
  fused_reshape_Out: isEmpty,
  fused_transpose_X: isEmpty,
  fused_transpose_Y: isEmpty,
  fused_transpose_Out: isEmpty,
  fused_output_scale: (v) => v === 1 || isEmpty(v),
};

function describe(a: AttrDesc): string {
  const t = ATTR_TYPE_NAMES[a.type] ?? `type ${a.type}`;
  const v = typeof a.value === 'bigint' ? `${a.value}` : JSON.stringify(a.value);
  return `${t} ${v && v.length > 60 ? v.slice(0, 57) + '...' : v}`;
}

function asNumber(v: AttrValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v) && v.length === 1 && typeof v[0] !== 'string') return Number(v[0]);
  return undefined;
}

/**
 * The stored attribute converted to the kind of the operator's default `def`. Throws an Error
 * whose message says what was stored and what was expected.
 */
export function coerceAttr(name: string, a: AttrDesc, def: AttrValue): AttrValue {
  if (a.type === UNKNOWN_ATTR_TYPE) {
    throw new Error(`attribute "${name}" is stored with an AttrType this reader does not know (a newer Paddle?)`);
  }
  const v = a.value;
  const fail = (want: string): never => {
    throw new Error(`attribute "${name}" is stored as ${describe(a)}, expected ${want}`);
  };
  if (typeof def === 'number') {
    const n = asNumber(v);
    return n === undefined ? fail('a number') : n;
  }
  if (typeof def === 'boolean') {
    const n = asNumber(v);
    return n === undefined ? fail('a boolean (BOOLEAN, or INT/LONG 0/1)') : n !== 0;
  }
  if (typeof def === 'string') return typeof v === 'string' ? v : fail('a STRING');
  if (typeof def === 'bigint') {
    const n = asNumber(v);
    if (n === undefined || !Number.isFinite(n)) return fail('an integer');
    return typeof v === 'bigint' ? v : BigInt(Math.trunc(n));
  }
  // List defaults: the element kind of a non-empty default decides; an empty default takes the
  // stored list as it is.
  const elem = def.length > 0 ? typeof def[0] : undefined;
  const list: unknown[] = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [typeof v === 'bigint' ? Number(v) : v];
  if (elem === 'string') return list.every((x) => typeof x === 'string') ? (list as string[]) : fail('a list of strings');
  if (elem === 'boolean') {
    return list.every((x) => typeof x !== 'string') ? list.map((x) => Boolean(x)) : fail('a list of booleans');
  }
  if (elem === 'number') {
    return list.every((x) => typeof x !== 'string') ? list.map((x) => Number(x)) : fail('a list of numbers');
  }
  if (list.every((x) => typeof x === 'string')) return list as string[];
  if (list.some((x) => typeof x === 'string')) return fail('a list of one kind');
  return list.every((x) => typeof x === 'boolean') ? (list as boolean[]) : list.map((x) => Number(x));
}

export interface ConvertedAttrs {
  attrs: Attrs;
  /** Stored attributes the operator does not declare and that were dropped as inert. */
  dropped: string[];
}

/**
 * Converts an op's stored attributes for the operator whose defaults are `defaults`: declared
 * ones are coerced, fused-activation ones must be neutral, the rest are dropped. `is_test` is
 * forced on where declared: the program is run for inference (spec §5).
 */
export function convertAttrs(stored: Record<string, AttrDesc>, defaults: Attrs): ConvertedAttrs {
  const attrs: Attrs = {};
  const dropped: string[] = [];
  for (const [name, a] of Object.entries(stored)) {
    if (Object.prototype.hasOwnProperty.call(defaults, name)) {
      attrs[name] = coerceAttr(name, a, defaults[name]!);
      continue;
    }
    const neutral = MUST_BE_NEUTRAL[name];
    if (neutral && a.type !== UNKNOWN_ATTR_TYPE && !neutral(a.value)) {
      throw new Error(
        `attribute "${name}" = ${describe(a)} asks for a fused computation (from Paddle's inference optimizer) that Oar does not implement; export the model without IR optimization`,
      );
    }
    dropped.push(name);
  }
  if (Object.prototype.hasOwnProperty.call(defaults, 'is_test')) attrs.is_test = true;
  return { attrs, dropped };
}
