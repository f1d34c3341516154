/**
 * Arch option parsing shared by the VGG, ResNet and GoogLeNet backbones. Options keep
 * PaddleClas's keyword names (`class_num`, `lr_mult_list`, ...), so a PaddleClas `Arch` section
 * passes through unchanged; unlike Python's **kwargs, an unknown or ill-typed key is an error
 * that names the model, the key and what it accepts.
 */
import type { BackboneOptions } from './registry';

export type DataFormat = 'NCHW' | 'NHWC';

/** How one option is read: `read` validates a value that is present; `value` is the default. */
export interface OptionSpec<T> {
  read: (value: unknown, where: string) => T;
  value: T;
}

type Parsed<S> = { [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never };

/**
 * Keys every PaddleClas factory takes besides the model's own: `pretrained` and `use_ssld`
 * choose weights to download or load. Loading belongs to the Engine (Global.pretrained_model),
 * so only the values that ask for nothing are accepted here.
 */
const LOADING_KEYS = new Set(['pretrained', 'use_ssld']);

export function readArchOptions<S extends Record<string, OptionSpec<unknown>>>(
  model: string,
  opts: BackboneOptions | undefined,
  spec: S,
): Parsed<S> {
  const given = opts ?? {};
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw new TypeError(`${model}: Arch options must be an object, got ${JSON.stringify(given)}`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(spec)) {
    const v = given[key];
    out[key] = v === undefined ? s.value : s.read(v, `${model}: Arch.${key}`);
  }
  for (const [key, v] of Object.entries(given)) {
    if (Object.hasOwn(spec, key) || key === 'name') continue;
    if (LOADING_KEYS.has(key)) {
      if (key === 'pretrained' && v !== false && v !== null && v !== undefined) {
        throw new RangeError(
          `${model}: Arch.pretrained (${JSON.stringify(v)}) is not loaded by the model factory; ` +
            'give the .pdparams file as Global.pretrained_model instead',
        );
      }
      continue;
    }
    throw new RangeError(`${model}: unknown Arch option "${key}"; ${model} takes ${Object.keys(spec).join(', ')}`);
  }
  return out as Parsed<S>;
}

export function positiveInt(value: number): OptionSpec<number> {
  return {
    value,
    read: (v, where) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new RangeError(`${where} must be a positive integer, got ${JSON.stringify(v)}`);
      return v;
    },
  };
}

export function nonNegativeInt(value: number): OptionSpec<number> {
  return {
    value,
    read: (v, where) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new RangeError(`${where} must be an integer >= 0, got ${JSON.stringify(v)}`);
      return v;
    },
  };
}

export function boolean(value: boolean): OptionSpec<boolean> {
  return {
    value,
    read: (v, where) => {
      if (typeof v !== 'boolean') throw new TypeError(`${where} must be true or false, got ${JSON.stringify(v)}`);
      return v;
    },
  };
}

/** A list of exactly `length` numbers, each checked by `ok` (described by `what`). */
export function numberList(value: number[], ok: (x: number) => boolean, what: string): OptionSpec<number[]> {
  const length = value.length;
  return {
    value,
    read: (v, where) => {
      if (!Array.isArray(v) || v.length !== length || !v.every((x) => typeof x === 'number' && ok(x))) {
        throw new RangeError(`${where} must be a list of ${length} ${what}, got ${JSON.stringify(v)}`);
      }
      return [...(v as number[])];
    },
  };
}

export function oneOf<T extends string | null>(value: T, allowed: readonly T[]): OptionSpec<T> {
  return {
    value,
    read: (v, where) => {
      if (!allowed.includes(v as T)) throw new RangeError(`${where} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(v)}`);
      return v as T;
    },
  };
}

export const dataFormat = (): OptionSpec<DataFormat> => oneOf<DataFormat>('NCHW', ['NCHW', 'NHWC']);
