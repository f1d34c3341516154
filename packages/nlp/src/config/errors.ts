/**
 * Configuration errors that name the key, say what is wrong and show the value; an unknown key
 * gets the closest valid key suggested (a misspelt `--learning_rte` or YAML key).
 */
import { closest, distance } from 'fastest-levenshtein';
import type { z } from 'zod';

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(`invalid configuration (${source}):\n` + issues.map((i) => `  ${i.path || '(top level)'}: ${i.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  const s = JSON.stringify(v);
  return `${Array.isArray(v) ? 'a list' : 'a map'} ${s.length > 60 ? `${s.slice(0, 59)}…` : s}`;
}

/** The candidate closest to `key`, when close enough to be a typo. */
export function suggest(key: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const lower = key.toLowerCase();
  const best = closest(lower, candidates.map((c) => c.toLowerCase()));
  const i = candidates.findIndex((c) => c.toLowerCase() === best);
  return distance(lower, best) <= Math.max(2, Math.floor(key.length * 0.4)) ? candidates[i] : undefined;
}

const TYPE_NAMES: Record<string, string> = { object: 'a map', array: 'a list', int: 'an integer', number: 'a number', string: 'a string', boolean: 'true or false' };

type RawIssue = Parameters<z.core.$ZodErrorMap>[0];

/** zod messages with the failing value, passed as the per-parse error map. */
export function configErrorMap(iss: RawIssue): string | undefined {
  const input = iss.input;
  switch (iss.code) {
    case 'invalid_type': {
      const want = TYPE_NAMES[iss.expected] ?? iss.expected;
      return input === undefined ? `missing (expected ${want})` : `expected ${want}, got ${describeValue(input)}`;
    }
    case 'invalid_value': {
      const s = typeof input === 'string' ? suggest(input, iss.values.filter((v): v is string => typeof v === 'string')) : undefined;
      return `expected one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(input)}${s ? ` (did you mean ${s}?)` : ''}`;
    }
    case 'too_small':
      return `must be ${iss.inclusive ? '>=' : '>'} ${String(iss.minimum)}, got ${describeValue(input)}`;
    case 'too_big':
      return `must be ${iss.inclusive ? '<=' : '<'} ${String(iss.maximum)}, got ${describeValue(input)}`;
    case 'invalid_union':
      return `expected ${iss.errors.map((e) => e[0]?.message?.replace(/^expected /, '').replace(/, got .*$/, '')).join(' or ')}, got ${describeValue(input)}`;
    default:
      return undefined;
  }
}

/** Parses with `schema`; unknown keys and bad values become one ConfigError listing them all. */
export function parseConfig<S extends z.ZodObject>(schema: S, value: Record<string, unknown>, source: string, prefix = ''): z.output<S> {
  const known = Object.keys(schema.shape);
  const issues: { path: string; message: string }[] = [];
  for (const k of Object.keys(value)) {
    if (known.includes(k)) continue;
    const s = suggest(k, known);
    issues.push({ path: prefix + k, message: s ? `unknown key (did you mean ${s}?)` : `unknown key; valid keys: ${known.join(', ')}` });
  }
  const r = schema.safeParse(value, { error: configErrorMap });
  if (!r.success) for (const i of r.error.issues) if (i.code !== 'unrecognized_keys') issues.push({ path: prefix + i.path.map(String).join('.'), message: i.message });
  if (issues.length) throw new ConfigError(source, issues);
  return r.data!;
}
