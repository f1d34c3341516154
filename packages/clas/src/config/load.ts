/**
 * Reading a PaddleClas YAML config: `_base_` inheritance, `-o Key.sub=value` overrides, and
 * validation, in that order, so an invalid config fails before any work starts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { isMap, isScalar, isSeq, parseDocument, stringify, type Document } from 'yaml';
import { ConfigError, formatIssues, configErrorMap, type ConfigIssue } from './errors';
import { ClasConfigSchema, type ClasConfig } from './schema';

export type RawConfig = Record<string, unknown>;

function isPlainMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * `base` with `over` on top: maps merge key by key, everything else (lists too) is replaced.
 * A map holding `_inherited_: false` replaces the base's map instead (PaddleSeg's rule), which
 * is how a child switches e.g. `Optimizer.lr` from Piecewise to Cosine without the old keys.
 */
export function mergeConfig(base: unknown, over: unknown): unknown {
  if (!isPlainMap(base) || !isPlainMap(over) || over._inherited_ === false) return structuredClone(over);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? mergeConfig(out[k], v) : structuredClone(v);
  return out;
}

/** Removes the `_inherited_` markers once bases are merged (in place). */
function dropInheritMarks(v: unknown): void {
  if (Array.isArray(v)) v.forEach(dropInheritMarks);
  else if (isPlainMap(v)) {
    delete v._inherited_;
    Object.values(v).forEach(dropInheritMarks);
  }
}

/**
 * PaddleClas configs are written for PyYAML, which reads YAML 1.1: `yes`/`no`/`on`/`off` are
 * booleans there. Reading them the same way keeps those configs meaning what they meant.
 */
const YAML_OPTIONS = { version: '1.1', uniqueKeys: true } as const;

/** Parses YAML text; syntax errors name the file, line and column. */
export function parseYaml(text: string, file: string): unknown {
  const doc: Document = parseDocument(text, { ...YAML_OPTIONS, prettyErrors: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
    throw new Error(`${where}: YAML error: ${e.message.split('\n')[0]}`);
  }
  return doc.toJS({ maxAliasCount: 1000 });
}

/**
 * Reads a config file and the `_base_` files it names (a path or a list of paths, relative to
 * the including file). Later bases override earlier ones; the file itself overrides them all.
 */
export function readConfigFile(file: string, chain: string[] = []): RawConfig {
  const abs = path.resolve(file);
  if (chain.includes(abs)) throw new Error(`config ${file}: _base_ cycle: ${[...chain, abs].join(' -> ')}`);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (e) {
    const from = chain.length ? ` (named in _base_ of ${chain[chain.length - 1]})` : '';
    throw new Error(`cannot read config ${abs}${from}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const data = parseYaml(text, abs) ?? {};
  if (!isPlainMap(data)) throw new Error(`config ${abs}: the top level must be a map of sections, got ${Array.isArray(data) ? 'a list' : typeof data}`);
  const { _base_: bases, ...own } = data;
  if (bases === undefined || bases === null) return own;
  const list = Array.isArray(bases) ? bases : [bases];
  let merged: unknown = {};
  for (const b of list) {
    if (typeof b !== 'string' || !b) throw new Error(`config ${abs}: _base_ entries must be file paths, got ${JSON.stringify(b)}`);
    merged = mergeConfig(merged, readConfigFile(path.resolve(path.dirname(abs), b), [...chain, abs]));
  }
  return mergeConfig(merged, own) as RawConfig;
}

/**
 * The value of an override, read as YAML so `2` is a number, `[30,60]` a list, `true` a
 * boolean and `a.jpg` a string; Python spellings from PaddleClas commands (`None`, `True`)
 * work too. An empty value is null.
 */
export function parseOverrideValue(text: string): unknown {
  const t = text.trim();
  if (t === '' || t === 'None') return null;
  let doc: Document;
  try {
    doc = parseDocument(t, YAML_OPTIONS);
  } catch {
    return text;
  }
  if (doc.errors.length) return text;
  const c = doc.contents;
  if (c === null) return null;
  if (isScalar(c) || isSeq(c) || isMap(c)) return doc.toJS();
  return text;
}

export interface Override {
  /** The option as given, for messages. */
  text: string;
  path: string[];
  value: unknown;
}

export function parseOverride(opt: string): Override {
  const eq = opt.indexOf('=');
  if (eq <= 0) throw new Error(`override "${opt}": expected Key.sub=value (for example Global.epochs=2)`);
  const key = opt.slice(0, eq).trim();
  const parts = key.split('.');
  if (parts.some((p) => p === '')) throw new Error(`override "${opt}": the key "${key}" has an empty segment`);
  return { text: opt, path: parts, value: parseOverrideValue(opt.slice(eq + 1)) };
}

/**
 * Sets each override in `config` (in place). Missing maps on the way are created, so optional
 * keys absent from the file can be set; numeric segments index lists
 * (`DataLoader.Train.dataset.transform_ops.1.ResizeImage.resize_short=300`). Keys that do not
 * exist in the schema are caught by validation, which names the override.
 */
export function applyOverrides(config: RawConfig, overrides: readonly string[]): Override[] {
  const parsed = overrides.map(parseOverride);
  for (const o of parsed) {
    let node: unknown = config;
    for (let i = 0; i < o.path.length; i++) {
      const seg = o.path[i]!;
      const last = i === o.path.length - 1;
      const here = o.path.slice(0, i).join('.') || '(top level)';
      if (Array.isArray(node)) {
        if (!/^\d+$/.test(seg)) throw new Error(`override "${o.text}": ${here} is a list; index it with a number, not "${seg}"`);
        const idx = Number(seg);
        if (idx >= node.length) throw new Error(`override "${o.text}": ${here} has ${node.length} entries, no index ${idx}`);
        if (last) node[idx] = o.value;
        else {
          if (node[idx] === null || node[idx] === undefined) node[idx] = {};
          node = node[idx];
        }
      } else if (isPlainMap(node)) {
        if (last) node[seg] = o.value;
        else {
          if (node[seg] === null || node[seg] === undefined) node[seg] = {};
          node = node[seg];
        }
      } else {
        throw new Error(`override "${o.text}": ${here} is ${JSON.stringify(node)}, not a map or list`);
      }
    }
  }
  return parsed;
}

/** Validates a raw config; issues under an overridden key say which override set it. */
export function validateConfig(raw: unknown, source: string, overrides: readonly Override[] = []): ClasConfig {
  const r = ClasConfigSchema.safeParse(raw, { error: configErrorMap });
  if (r.success) return r.data;
  const issues: ConfigIssue[] = formatIssues(r.error.issues).map((iss) => {
    const o = [...overrides].reverse().find((ov) => {
      const p = ov.path.join('.');
      return iss.path === p || iss.path.startsWith(`${p}.`);
    });
    return o ? { ...iss, message: `${iss.message} (set by -o ${o.text})` } : iss;
  });
  throw new ConfigError(source, issues);
}

/**
 * Loads a config as the CLIs do for `-c file -o Key=value ...`: bases, overrides, validation.
 * The result has every default filled in.
 */
export function loadConfig(file: string, overrides: readonly string[] = []): ClasConfig {
  const raw = readConfigFile(file);
  dropInheritMarks(raw);
  const parsed = applyOverrides(raw, overrides);
  return validateConfig(raw, file, parsed);
}

/** The resolved config as YAML (what the engine writes to its output folder). */
export function dumpConfig(config: ClasConfig | RawConfig): string {
  return stringify(config, { lineWidth: 0, aliasDuplicateObjects: false });
}

export function writeConfig(config: ClasConfig | RawConfig, file: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, dumpConfig(config));
}
