/**
 * Reading a config: YAML, then `-o Section.key=value` overrides, then validation, so an invalid
 * config fails before any work starts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { isMap, isScalar, isSeq, parseDocument, stringify } from 'yaml';
import { ConfigError, configErrorMap, formatIssues } from './errors';
import { RlConfigSchema, type RlConfig } from './schema';

export type RawConfig = Record<string, unknown>;

/** The default config: PARL r1.4's DQN on CartPole-v0. */
export const DEFAULT_CONFIG_PATH = path.resolve(__dirname, '../../configs/dqn_cartpole.yaml');

function isPlainMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Parses YAML text; syntax errors name the file, line and column. */
export function parseYaml(text: string, file: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new Error(`${pos ? `${file}:${pos.line}:${pos.col}` : file}: YAML error: ${e.message.split('\n')[0]}`);
  }
  return doc.toJS();
}

export function readConfigFile(file: string): RawConfig {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (e) {
    throw new Error(`cannot read config ${abs}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const data = parseYaml(text, abs) ?? {};
  if (!isPlainMap(data)) throw new Error(`config ${abs}: the top level must be a map of sections, got ${Array.isArray(data) ? 'a list' : typeof data}`);
  return data;
}

/** An override's value, read as YAML: `0.9` is a number, `[64, 64]` a list, `true` a boolean, `None` or nothing null. */
export function parseOverrideValue(text: string): unknown {
  const t = text.trim();
  if (t === '' || t === 'None') return null;
  const doc = parseDocument(t);
  if (doc.errors.length) return text;
  const c = doc.contents;
  return c === null ? null : isScalar(c) || isSeq(c) || isMap(c) ? doc.toJS() : text;
}

export interface Override {
  /** The option as given, for messages. */
  text: string;
  path: string[];
  value: unknown;
}

export function parseOverride(opt: string): Override {
  const eq = opt.indexOf('=');
  if (eq <= 0) throw new ConfigError('overrides', [{ path: '', message: `override "${opt}": expected Section.key=value (for example Algorithm.gamma=0.95)` }]);
  const key = opt.slice(0, eq).trim();
  const parts = key.split('.');
  if (parts.some((p) => p === '')) throw new ConfigError('overrides', [{ path: '', message: `override "${opt}": the key "${key}" has an empty segment` }]);
  return { text: opt, path: parts, value: parseOverrideValue(opt.slice(eq + 1)) };
}

/** Sets each override in `config` (in place), creating missing maps; unknown keys are left to validation. */
export function applyOverrides(config: RawConfig, overrides: readonly string[]): Override[] {
  const parsed = overrides.map(parseOverride);
  for (const o of parsed) {
    let node: Record<string, unknown> = config;
    o.path.forEach((seg, i) => {
      if (i === o.path.length - 1) {
        node[seg] = o.value;
        return;
      }
      const next = node[seg];
      if (next === undefined || next === null) node[seg] = {};
      else if (!isPlainMap(next)) {
        throw new ConfigError('overrides', [{ path: o.path.slice(0, i + 1).join('.'), message: `override "${o.text}": this key holds ${JSON.stringify(next)}, not a map` }]);
      }
      node = node[seg] as Record<string, unknown>;
    });
  }
  return parsed;
}

/** Validates a raw config; issues under an overridden key say which override set it. */
export function validateConfig(raw: unknown, source: string, overrides: readonly Override[] = []): RlConfig {
  const r = RlConfigSchema.safeParse(raw, { error: configErrorMap });
  if (r.success) return r.data;
  const issues = formatIssues(r.error.issues).map((iss) => {
    const o = [...overrides].reverse().find((ov) => {
      const p = ov.path.join('.');
      return iss.path === p || iss.path.startsWith(`${p}.`);
    });
    return o ? { ...iss, message: `${iss.message} (set by -o ${o.text})` } : iss;
  });
  throw new ConfigError(source, issues);
}

/** Loads a config as the CLIs do for `-c file -o Key=value ...`; the result has every default filled in. */
export function loadConfig(file: string, overrides: readonly string[] = []): RlConfig {
  const raw = readConfigFile(file);
  const parsed = applyOverrides(raw, overrides);
  return validateConfig(raw, file, parsed);
}

/** The resolved config as YAML (written beside the checkpoints). */
export function dumpConfig(config: RlConfig | RawConfig): string {
  return stringify(config, { lineWidth: 0, aliasDuplicateObjects: false });
}
