/**
 * Building blocks shared by the section schemas: strict maps, PaddleClas's arithmetic strings
 * (`scale: 1.0/255.0` is a string in YAML, which PaddleClas `eval`s), and lists of one-key maps
 * (`- DecodeImage: {to_rgb: true}`), the shape of transform, loss and metric lists.
 */
import { z } from 'zod';

/** `a/b`, `1./255.`, `2*0.5`: numbers joined by * and /, evaluated left to right. */
const ARITH = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?(\s*[*/]\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?)*\s*$/i;

export function evalArith(s: string): number | undefined {
  if (!ARITH.test(s)) return undefined;
  const parts = s.replace(/\s+/g, '').split(/([*/])/);
  let v = Number(parts[0]);
  for (let i = 1; i < parts.length; i += 2) {
    const x = Number(parts[i + 1]);
    v = parts[i] === '*' ? v * x : v / x;
  }
  return Number.isFinite(v) ? v : undefined;
}

/**
 * A number, also written as an arithmetic string such as `1.0/255.0`; `inner` adds range checks
 * on the value.
 */
export function numExpr(inner: z.ZodNumber = z.number()) {
  const arith = z.string().transform((s, ctx) => {
    const v = evalArith(s);
    if (v === undefined) {
      ctx.issues.push({ code: 'custom', input: s, message: `expected a number or an arithmetic expression such as 1.0/255.0, got "${s}"` });
      return z.NEVER;
    }
    return v;
  });
  return z.union([z.number(), arith]).pipe(inner);
}

export const posInt = () => z.number().int().positive();
export const nonNegInt = () => z.number().int().nonnegative();

/** A path-like string; YAML `null` and a missing key both mean "not set". */
export const optPath = () => z.string().nullable().optional();

/** Operator parameters: YAML `- ToCHWImage:` gives null, which means "all defaults". */
export function params<S extends z.ZodType>(schema: S) {
  return z.preprocess((v) => (v === null || v === undefined ? {} : v), schema);
}

/**
 * A list of one-key maps `[{Name: params}, ...]` (PaddleClas transform_ops, Loss.Train, ...).
 * Each entry is a strict map over the known names, so a misspelt name gets the usual
 * unknown-key error with a suggestion; an entry with several keys (usually an indentation
 * slip in the YAML) is reported as such.
 */
export function oneKeyMapList<R extends Record<string, z.ZodType>>(registry: R, what: string) {
  const shape = Object.fromEntries(Object.entries(registry).map(([k, s]) => [k, s.optional()])) as {
    [K in keyof R]: z.ZodOptional<R[K]>;
  };
  const entry = z.preprocess(
    (v, ctx) => {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        const keys = Object.keys(v);
        if (keys.length !== 1) {
          ctx.issues.push({
            code: 'custom',
            input: v,
            message:
              keys.length === 0
                ? `an empty entry; each entry is one ${what} name with its parameters`
                : `an entry holds exactly one ${what}, got ${keys.join(', ')} (check the "- " and the indentation)`,
          });
        }
      }
      return v;
    },
    z.strictObject(shape),
  );
  return z.array(entry);
}

/** The name of the single key of a one-key map entry. */
export function entryName(entry: object): string {
  const keys = Object.keys(entry).filter((k) => (entry as Record<string, unknown>)[k] !== undefined);
  if (keys.length !== 1) throw new Error(`expected a one-key map, got keys ${keys.join(', ') || '(none)'}`);
  return keys[0]!;
}
