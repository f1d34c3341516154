/**
 * Checkpoints through the core's io, in Paddle's formats: `<prefix>.pdparams` (the Q-network's
 * state dict, keys `fc1.weight`, ...), `<prefix>.pdopt` (Adam's state) and `<prefix>.pdstates`
 * (where training stood). The files are written under temporary names and renamed into place
 * only when all are complete, so a run killed while saving leaves the previous save loadable.
 */
import * as fs from 'fs';
import * as path from 'path';
import { io, type nn, type optim, type Tensor } from '@oar/core';

export const PDPARAMS = '.pdparams';
export const PDOPT = '.pdopt';
export const PDSTATES = '.pdstates';

/** What `.pdstates` records. */
export interface TrainStates {
  /** Training episodes finished. */
  episode: number;
  /** The evaluation score of these weights (mean greedy reward). */
  test_reward: number;
  /** Episodes that score is the mean of. */
  eval_episodes: number;
  env_steps: number;
  learn_steps: number;
  e_greed: number;
}

/** A prefix as users write it: `output/DQN/best_model`, with or without an extension. */
export function normalizePrefix(p: string): string {
  for (const ext of [PDPARAMS, PDOPT, PDSTATES]) if (p.endsWith(ext)) return p.slice(0, -ext.length);
  return p;
}

/** Protocol 4: what paddle.save writes since Paddle 2.1 and every Python 3 reads. */
const PICKLE = { protocol: 4 } as const;

function writeFilesAtomic(files: readonly (readonly [string, Uint8Array])[]): void {
  const tmps: string[] = [];
  try {
    for (const [file, bytes] of files) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
      tmps.push(tmp);
      fs.writeFileSync(tmp, bytes);
    }
    files.forEach(([file], i) => fs.renameSync(tmps[i]!, file));
  } catch (e) {
    for (const t of tmps) fs.rmSync(t, { force: true });
    throw new Error(`cannot write ${files.map(([f]) => f).join(', ')}: ${(e as Error).message}`);
  }
}

/** Saves model, optimizer and states as `<prefix>.{pdparams,pdopt,pdstates}`. */
export function saveCheckpoint(prefix: string, model: nn.Layer, optimizer: optim.Optimizer, states: TrainStates): void {
  writeFilesAtomic([
    [prefix + PDPARAMS, io.dumps(model.stateDict() as Map<string, Tensor>, PICKLE)],
    [prefix + PDOPT, io.dumps(optimizer.stateDict() as io.SavableValue, PICKLE)],
    [prefix + PDSTATES, io.dumps({ ...states, test_reward: new io.PyFloat(states.test_reward), e_greed: new io.PyFloat(states.e_greed) }, PICKLE)],
  ]);
}

/** Saves the weights alone (export). */
export function saveWeights(file: string, model: nn.Layer): void {
  writeFilesAtomic([[file, io.dumps(model.stateDict() as Map<string, Tensor>, PICKLE)]]);
}

/** Loads `<prefix>.pdparams` into `model`; the file must fit the model exactly. */
export function loadWeights(prefix: string, model: nn.Layer, what = 'Global.pretrained_model'): string {
  const file = normalizePrefix(prefix) + PDPARAMS;
  if (!fs.existsSync(file)) throw new Error(`${what}: ${file} does not exist (train first with nx run rl:train, or give the prefix of a .pdparams file, e.g. output/DQN/best_model)`);
  const state = io.loadStateDict(file);
  try {
    model.setStateDict(state);
  } catch (e) {
    throw new Error(`${what}: ${file} does not fit the model (Model.hidden_sizes and the environment's dimensions): ${(e as Error).message}`);
  } finally {
    for (const t of Object.values(state)) t.dispose();
  }
  return file;
}

/** Reads `<prefix>.pdstates` when it exists. */
export function readStates(prefix: string): Partial<TrainStates> | null {
  const file = normalizePrefix(prefix) + PDSTATES;
  if (!fs.existsSync(file)) return null;
  const v = io.load(file);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x === 'number') out[k] = x;
    else if (typeof x === 'bigint') out[k] = Number(x);
  }
  return out as Partial<TrainStates>;
}
