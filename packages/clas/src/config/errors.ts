/**
 * Config errors that name the key path (`DataLoader.Train.sampler.batch_size`), say what is
 * wrong and show the offending value; an unknown key gets the closest valid key suggested.
 * List entries appear as numeric segments (`transform_ops.2.RandFlipImage`), the same path
 * an `-o` override takes.
 */
import { closest, distance } from 'fastest-levenshtein';
import type { z } from 'zod';

export interface ConfigIssue {
  /** Dotted key path; '' for the whole config. */
  path: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(
    /** What was being read: a file name, or a description such as "ResizeImage parameters". */
    readonly source: string,
    readonly issues: ConfigIssue[],
  ) {
    super(
      `invalid config ${source}:\n` + issues.map((i) => `  ${i.path || '(top level)'}: ${i.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** A short rendering of a value for messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  if (Array.isArray(v)) return `a list ${clip(JSON.stringify(v))}`;
  if (typeof v === 'object') return `a map ${clip(JSON.stringify(v))}`;
  return typeof v;
}

function clip(s: string, n = 60): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a map',
  array: 'a list',
  tuple: 'a list',
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'a boolean (true or false)',
};

/** The closest candidate to `key`, when it is close enough to be a likely typo. */
export function suggest(key: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const lower = key.toLowerCase();
  const ci = candidates.find((c) => c.toLowerCase() === lower);
  if (ci) return ci;
  const best = closest(lower, candidates.map((c) => c.toLowerCase()));
  const idx = candidates.findIndex((c) => c.toLowerCase() === best);
  const d = distance(lower, best);
  return d <= Math.max(2, Math.floor(key.length * 0.4)) ? candidates[idx] : undefined;
}

function unknownKeyMessage(key: string, valid: string[]): string {
  const s = suggest(key, valid);
  return s
    ? `unknown key (did you mean ${s}?)`
    : `unknown key; valid keys here: ${valid.length ? valid.join(', ') : '(none)'}`;
}

// Unknown keys come as one zod issue per map; its message carries the per-key texts so that
// formatIssues can report each key at its own path.
const KEYS_MARK = '\u0000unknown-keys:';

type RawIssue = Parameters<z.core.$ZodErrorMap>[0];

/** Messages for zod issues, with the value that failed (passed as the per-parse error map). */
export function configErrorMap(iss: RawIssue): string | undefined {
  const input = iss.input;
  switch (iss.code) {
    case 'invalid_type': {
      const want = TYPE_NAMES[iss.expected] ?? iss.expected;
      return input === undefined ? `missing (expected ${want})` : `expected ${want}, got ${describeValue(input)}`;
    }
    case 'unrecognized_keys': {
      const shape = (iss.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
      const valid = shape ? Object.keys(shape) : [];
      return KEYS_MARK + JSON.stringify(Object.fromEntries(iss.keys.map((k) => [k, unknownKeyMessage(k, valid)])));
    }
    case 'invalid_value': {
      const values = iss.values.map((v) => JSON.stringify(v));
      const s = typeof input === 'string' ? suggest(input, iss.values.filter((v): v is string => typeof v === 'string')) : undefined;
      return `expected ${values.length === 1 ? values[0] : `one of ${values.join(', ')}`}, got ${describeValue(input)}${s ? ` (did you mean ${s}?)` : ''}`;
    }
    case 'invalid_union': {
      if (iss.note === 'No matching discriminator') {
        const options = ((iss as { options?: unknown[] }).options ?? []).map(String);
        const got = input && typeof input === 'object' ? (input as Record<string, unknown>)[String(iss.discriminator)] : undefined;
        const s = typeof got === 'string' ? suggest(got, options) : undefined;
        return got === undefined
          ? `missing (expected one of ${options.join(', ')})`
          : `expected one of ${options.join(', ')}, got ${describeValue(got)}${s ? ` (did you mean ${s}?)` : ''}`;
      }
      // Alternatives such as `size: 224` or `size: [224, 224]`: a wrong type names the types
      // accepted; otherwise say what each alternative needs.
      const firsts = iss.errors.map((errs) => errs[0]);
      if (firsts.every((e) => e?.code === 'invalid_type' && e.path.length === 0)) {
        const types = [...new Set(firsts.map((e) => TYPE_NAMES[(e as { expected: string }).expected] ?? (e as { expected: string }).expected))];
        return `expected ${types.join(' or ')}, got ${describeValue(input)}`;
      }
      const alts = iss.errors
        .map((errs) => errs[0]?.message)
        .filter((m): m is string => !!m)
        .map((m) => (m.startsWith(KEYS_MARK) ? 'a map with other keys' : m));
      return `${describeValue(input)} fits none of the accepted forms: ${[...new Set(alts)].join('; or ')}`;
    }
    case 'too_small': {
      if (iss.origin === 'array') return `needs at least ${iss.minimum} entries, got ${(input as unknown[]).length}`;
      if (iss.origin === 'string') return `must not be empty`;
      return `must be ${iss.inclusive ? '>=' : '>'} ${iss.minimum}, got ${String(input)}`;
    }
    case 'too_big': {
      if (iss.origin === 'array') return `takes at most ${iss.maximum} entries, got ${(input as unknown[]).length}`;
      return `must be ${iss.inclusive ? '<=' : '<'} ${iss.maximum}, got ${String(input)}`;
    }
    default:
      return undefined;
  }
}

export function pathString(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/** Flattens zod issues into path + message pairs, one per unknown key. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const iss of issues) {
    const path = [...prefix, ...iss.path];
    if (iss.message.startsWith(KEYS_MARK)) {
      const perKey = JSON.parse(iss.message.slice(KEYS_MARK.length)) as Record<string, string>;
      for (const [k, m] of Object.entries(perKey)) out.push({ path: pathString([...path, k]), message: m });
    } else {
      out.push({ path: pathString(path), message: iss.message });
    }
  }
  return out;
}

/**
 * Parses `value` with `schema`, throwing a ConfigError that names `source` and each failing
 * path (prefixed with `prefix`, e.g. the operator's place in the config).
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, source: string, prefix: readonly PropertyKey[] = []): z.output<S> {
  const r = schema.safeParse(value, { error: configErrorMap });
  if (!r.success) throw new ConfigError(source, formatIssues(r.error.issues, prefix));
  return r.data;
}
