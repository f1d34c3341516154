/**
 * Config errors that name the key path (`Algorithm.gamma`), say what is allowed and show the
 * value given; an unknown key gets the closest valid key suggested.
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
    /** What was being read, usually the file name. */
    readonly source: string,
    readonly issues: ConfigIssue[],
  ) {
    super(`invalid config ${source}:\n` + issues.map((i) => `  ${i.path || '(top level)'}: ${i.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

/** A short rendering of a value for messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  const s = JSON.stringify(v);
  const clipped = s.length > 60 ? `${s.slice(0, 59)}…` : s;
  return Array.isArray(v) ? `a list ${clipped}` : `a map ${clipped}`;
}

/** The closest candidate to `key`, when it is close enough to be a likely typo. */
export function suggest(key: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const lower = key.toLowerCase();
  const same = candidates.find((c) => c.toLowerCase() === lower);
  if (same) return same;
  const lowered = candidates.map((c) => c.toLowerCase());
  const best = closest(lower, lowered);
  return distance(lower, best) <= Math.max(2, Math.floor(key.length * 0.4)) ? candidates[lowered.indexOf(best)] : undefined;
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a map',
  array: 'a list',
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'a boolean (true or false)',
};

// zod reports unknown keys as one issue per map; the message carries a per-key text so that
// formatIssues can put each key at its own path.
const KEYS_MARK = '\u0000unknown-keys:';

type RawIssue = Parameters<z.core.$ZodErrorMap>[0];

/** Messages for zod issues, with the value that failed (the per-parse error map). */
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
      const perKey = iss.keys.map((k) => {
        const s = suggest(k, valid);
        return [k, s ? `unknown key (did you mean ${s}?)` : `unknown key; valid keys here: ${valid.join(', ') || '(none)'}`];
      });
      return KEYS_MARK + JSON.stringify(Object.fromEntries(perKey));
    }
    case 'invalid_value': {
      const values = iss.values.map((v) => JSON.stringify(v));
      const s = typeof input === 'string' ? suggest(input, iss.values.filter((v): v is string => typeof v === 'string')) : undefined;
      return `expected ${values.length === 1 ? values[0] : `one of ${values.join(', ')}`}, got ${describeValue(input)}${s ? ` (did you mean ${s}?)` : ''}`;
    }
    case 'too_small': {
      if (iss.origin === 'array') return `needs at least ${iss.minimum} entries, got ${(input as unknown[]).length}`;
      if (iss.origin === 'string') return 'must not be empty';
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

/** Flattens zod issues into path + message pairs, one per unknown key. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const iss of issues) {
    const path = iss.path.map(String);
    if (iss.message.startsWith(KEYS_MARK)) {
      const perKey = JSON.parse(iss.message.slice(KEYS_MARK.length)) as Record<string, string>;
      for (const [k, m] of Object.entries(perKey)) out.push({ path: [...path, k].join('.'), message: m });
    } else {
      out.push({ path: path.join('.'), message: iss.message });
    }
  }
  return out;
}
