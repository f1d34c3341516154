/**
 * What `eval` and `export` share: the trained Q-network of a config, loaded from
 * Global.pretrained_model or, by default, <output_dir>/<algorithm>/best_model.
 */
import * as path from 'path';
import type { RlConfig } from '../config/schema';
import type { Env } from '../env/env';
import { makeEnv } from '../env/registry';
import { buildAgent, useDevice, type Built } from './build';
import { loadWeights, normalizePrefix } from './checkpoint';
import { outputDirOf } from './trainer';

export interface Trained extends Built {
  env: Env;
  /** The .pdparams file the weights came from. */
  file: string;
  prefix: string;
  dispose(): void;
}

export function weightsPrefix(config: RlConfig): string {
  return normalizePrefix(config.Global.pretrained_model ?? path.join(outputDirOf(config), 'best_model'));
}

export function loadTrained(config: RlConfig): Trained {
  useDevice(config.Global.device);
  const env = makeEnv(config.Env.name);
  const built = buildAgent(config, env);
  const prefix = weightsPrefix(config);
  try {
    const file = loadWeights(prefix, built.model);
    built.model.eval();
    return {
      ...built,
      env,
      file,
      prefix,
      dispose: () => {
        built.alg.dispose();
        built.model.dispose();
      },
    };
  } catch (e) {
    built.alg.dispose();
    built.model.dispose();
    throw e;
  }
}
