/**
 * Checkpoints in PaddleClas's layout: `<output_dir>/<Arch>/<prefix>.pdparams` (the model's
 * state dict), `.pdopt` (the optimizer's, with its LR_Scheduler) and `.pdstates` (epoch and
 * metrics; Oar adds the global step and the random generator's state so a resumed run draws
 * the same augmentations as an uninterrupted one).
 *
 * Writes are atomic: the three files are written under temporary names first and renamed into
 * place only when all are complete, `.pdstates` last. A run killed at any moment leaves every
 * file of the previous save loadable, and a torn set (killed between two renames, a window of
 * microseconds) is detected on load by comparing the step recorded in `.pdstates` with the
 * scheduler's step in `.pdopt`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { engine, io, type nn, type optim, type Tensor } from '@oar/core';
import type { LogSink } from './logger';

export const PDPARAMS = '.pdparams';
export const PDOPT = '.pdopt';
export const PDSTATES = '.pdstates';

/** What `.pdstates` holds. `metric`/`epoch` are PaddleClas's keys; the rest are Oar's. */
export interface TrainStates {
  /** The eval metric of this epoch (0 when it was not evaluated). */
  metric: number;
  /** The last finished epoch (1-based). */
  epoch: number;
  best_metric: number;
  best_epoch: number;
  /** Optimizer steps taken so far. */
  global_step: number;
  /** The Philox generator's state after this epoch: [key0, key1, offset]. */
  rng_state: [number, number, number];
}

/** A checkpoint prefix as users write it: `output/ResNet18/latest`, with or without an extension. */
export function normalizePrefix(p: string): string {
  for (const ext of [PDPARAMS, PDOPT, PDSTATES]) if (p.endsWith(ext)) return p.slice(0, -ext.length);
  return p;
}

function tmpName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
}

/**
 * Writes several files so that each either keeps its old content or has the new one in full:
 * everything goes to temporary files, which are then renamed in the given order.
 */
export function writeFilesAtomic(files: readonly (readonly [string, Uint8Array])[]): void {
  const tmps: string[] = [];
  try {
    for (const [file, bytes] of files) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const tmp = tmpName(file);
      tmps.push(tmp);
      fs.writeFileSync(tmp, bytes);
    }
    files.forEach(([file], i) => fs.renameSync(tmps[i]!, file));
  } catch (e) {
    for (const t of tmps) fs.rmSync(t, { force: true });
    throw new Error(`cannot write checkpoint ${files.map(([f]) => path.basename(f)).join(', ')} in ${path.dirname(files[0]![0])}: ${(e as Error).message}`);
  }
}

function statesValue(s: TrainStates): io.SavableValue {
  return {
    metric: new io.PyFloat(s.metric),
    epoch: s.epoch,
    best_metric: new io.PyFloat(s.best_metric),
    best_epoch: s.best_epoch,
    global_step: s.global_step,
    rng_state: s.rng_state,
  };
}

/**
 * Pickle protocol of the files written here: 4, what paddle.save writes since Paddle 2.1 and what
 * every Python 3 pickle reads. Protocol 2 (Paddle 2.0's default) stores arrays as latin-1 text,
 * 1.5 times their size and several times slower to write.
 */
export const PICKLE_PROTOCOL = 4;

/**
 * Saves model, optimizer and states as `<dir>/<prefix>.{pdparams,pdopt,pdstates}` for each
 * prefix (an epoch's `best_model`, `epoch_N` and `latest` hold the same state, so it is
 * serialized once). Returns the written prefixes' paths.
 */
export function saveCheckpoint(
  dir: string,
  prefixes: string | readonly string[],
  model: nn.Layer,
  optimizer: optim.Optimizer | null,
  states: TrainStates,
): string[] {
  const opts = { protocol: PICKLE_PROTOCOL } as const;
  const bytes: [string, Uint8Array][] = [[PDPARAMS, io.dumps(model.stateDict() as Map<string, Tensor>, opts)]];
  if (optimizer) bytes.push([PDOPT, io.dumps(optimizer.stateDict() as io.SavableValue, opts)]);
  bytes.push([PDSTATES, io.dumps(statesValue(states), opts)]);
  return (typeof prefixes === 'string' ? [prefixes] : prefixes).map((prefix) => {
    const base = path.join(dir, prefix);
    writeFilesAtomic(bytes.map(([ext, b]) => [base + ext, b] as const));
    return base;
  });
}

/** Saves only the weights (export, or a model without an optimizer). */
export function saveWeights(file: string, model: nn.Layer): void {
  writeFilesAtomic([[file, io.dumps(model.stateDict() as Map<string, Tensor>, { protocol: PICKLE_PROTOCOL })]]);
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

/** Reads a `.pdstates` file; PaddleClas's own (metric and epoch only) is accepted too. */
export function readStates(file: string): TrainStates {
  const v = io.load(file);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${file}: expected a dict of training states`);
  const d = v as Record<string, unknown>;
  const epoch = num(d.epoch);
  if (epoch === undefined || !Number.isInteger(epoch) || epoch < 0) throw new Error(`${file}: "epoch" must be a non-negative integer, got ${String(d.epoch)}`);
  const metric = num(d.metric) ?? 0;
  const rng = Array.isArray(d.rng_state) ? d.rng_state.map(num) : null;
  return {
    metric,
    epoch,
    best_metric: num(d.best_metric) ?? metric,
    best_epoch: num(d.best_epoch) ?? epoch,
    global_step: num(d.global_step) ?? -1,
    rng_state: rng && rng.length === 3 && rng.every((x) => x !== undefined) ? (rng as [number, number, number]) : [-1, -1, -1],
  };
}

export function rngState(): [number, number, number] {
  const s = engine.getRngState();
  return [s.key[0], s.key[1], s.offset];
}

export function setRngState(s: [number, number, number]): void {
  if (s[0] < 0) return; // a PaddleClas checkpoint: no generator state recorded
  engine.setRngState({ key: [s[0], s[1]], offset: s[2] });
}

/**
 * Copies weights from a `.pdparams` file into `model` the way Paddle's `set_dict` does for
 * fine-tuning: entries whose shape differs (a classifier for another class count) are skipped
 * with a warning, as are missing and unexpected keys. Nothing matching at all is an error: the
 * file is for another architecture. With `strict` (eval, infer, export: the weights must be the
 * model's own), any skipped or missing entry is an error instead.
 */
export function loadPretrained(prefix: string, model: nn.Layer, log: LogSink, what = 'Global.pretrained_model', strict = false): void {
  const file = normalizePrefix(prefix) + PDPARAMS;
  if (!fs.existsSync(file)) throw new Error(`${what}: ${file} does not exist (give the path without .pdparams, e.g. output/ResNet18/best_model)`);
  const state = io.loadStateDict(file);
  try {
    const own = model.stateDict();
    const usable = new Map<string, Tensor>();
    const skipped: string[] = [];
    for (const [k, t] of Object.entries(state)) {
      const dst = own.get(k);
      if (!dst) continue;
      if (dst.shape.join() !== t.shape.join()) skipped.push(`${k}: [${t.shape.join(', ')}] in the file, [${dst.shape.join(', ')}] in the model`);
      else usable.set(k, t);
    }
    if (usable.size === 0) {
      const example = Object.keys(state).slice(0, 3).join(', ');
      throw new Error(
        `${what}: no entry of ${file} fits the model (its keys look like ${example || '(none)'}; the model's like ${[...own.keys()].slice(0, 3).join(', ')}); is it for another Arch?`,
      );
    }
    if (strict) {
      const missing = [...own.keys()].filter((k) => !usable.has(k) && !skipped.some((sk) => sk.startsWith(`${k}:`)));
      if (skipped.length || missing.length) {
        throw new Error(
          `${what}: ${file} does not fit the model (Arch): ${[...skipped, ...missing.map((k) => `${k}: missing in the file`)].slice(0, 6).join('; ')}${skipped.length + missing.length > 6 ? '; ...' : ''}`,
        );
      }
    }
    const { missingKeys, unexpectedKeys } = model.setStateDict(usable, { strict: false });
    for (const s of skipped) log.warn(`${what}: skip loading ${s}`);
    if (missingKeys.length) log.warn(`${what}: ${missingKeys.length} model entries not in ${file} keep their initial values: ${missingKeys.slice(0, 8).join(', ')}${missingKeys.length > 8 ? ', ...' : ''}`);
    const extra = unexpectedKeys.filter((k) => !own.has(k));
    if (extra.length) log.warn(`${what}: ${extra.length} entries of ${file} are not in the model: ${extra.slice(0, 8).join(', ')}${extra.length > 8 ? ', ...' : ''}`);
    log.info(`loaded ${usable.size} of ${own.size} weights from ${file}`);
  } finally {
    for (const t of Object.values(state)) t.dispose();
  }
}

/** Weights, optimizer state and training states of a checkpoint, checked to belong together. */
export interface LoadedCheckpoint {
  states: TrainStates;
}

/**
 * Resumes from `<prefix>.pdparams/.pdopt/.pdstates` (Global.checkpoints): the model strictly
 * (same architecture), the optimizer with its scheduler, and the states.
 */
export function loadCheckpoint(prefix: string, model: nn.Layer, optimizer: optim.Optimizer, what = 'Global.checkpoints'): LoadedCheckpoint {
  const base = normalizePrefix(prefix);
  const missing = [PDPARAMS, PDOPT, PDSTATES].map((e) => base + e).filter((f) => !fs.existsSync(f));
  if (missing.length) {
    throw new Error(`${what}: cannot resume from ${base}: ${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist (a checkpoint is the prefix of three files, e.g. output/ResNet18/latest)`);
  }
  const states = readStates(base + PDSTATES);
  const opt = io.load(base + PDOPT);
  if (opt === null || typeof opt !== 'object' || Array.isArray(opt)) throw new Error(`${what}: ${base}${PDOPT} does not hold an optimizer state dict`);
  const optState = opt as Record<string, unknown>;
  const params = io.loadStateDict(base + PDPARAMS);
  try {
    const sched = optState.LR_Scheduler as Record<string, unknown> | undefined;
    const schedStep = sched ? num(sched.last_epoch) : undefined;
    if (states.global_step >= 0 && schedStep !== undefined && schedStep !== states.global_step) {
      throw new Error(
        `${what}: ${base}${PDOPT} is at step ${schedStep} but ${base}${PDSTATES} at step ${states.global_step}: the files come from different saves (the run was killed while renaming them); resume from an epoch_N checkpoint instead`,
      );
    }
    try {
      model.setStateDict(params);
    } catch (e) {
      throw new Error(`${what}: ${base}${PDPARAMS} does not match the model (Arch): ${(e as Error).message}`);
    }
    try {
      optimizer.setStateDict(optState);
    } catch (e) {
      throw new Error(`${what}: ${base}${PDOPT} does not match the optimizer (Optimizer section): ${(e as Error).message}`);
    }
  } finally {
    for (const t of Object.values(params)) t.dispose();
    disposeDeep(optState);
  }
  return { states };
}

function disposeDeep(v: unknown): void {
  if (v && typeof v === 'object') {
    if (typeof (v as Tensor).dispose === 'function' && 'shape' in (v as object)) (v as Tensor).dispose();
    else for (const x of Object.values(v as object)) disposeDeep(x);
  }
}
