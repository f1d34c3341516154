#!/usr/bin/env node
/**
 * oar-rl-export (`nx run rl:export`): writes the trained Q-network as a Paddle inference model,
 * <Global.save_inference_dir>/inference.pdmodel + inference.pdiparams (the core's jit.save, as
 * paddle.jit.save), with input `obs` [-1, obs_dim] and output the Q-values [-1, act_dim]. The
 * weights also go to inference.pdparams, which eval loads, and the resolved config beside them.
 */
import * as fs from 'fs';
import * as path from 'path';
import { InputSpec, jit } from '@oar/core';
import { dumpConfig } from '../config/load';
import { saveWeights } from '../engine/checkpoint';
import { RunLogger } from '../engine/logger';
import { outputDirOf } from '../engine/trainer';
import { loadTrained } from '../engine/weights';
import { commonParser, loadAccelerator, loadCliConfig, runCli } from './common';

export async function main(argv: string[]): Promise<number> {
  const args = await commonParser(argv, 'oar-rl-export', 'Writes the trained Q-network as a Paddle inference model (inference.pdmodel + .pdiparams) to Global.save_inference_dir.').parse();
  if (args.help) return 0;
  const { config } = loadCliConfig(args);
  loadAccelerator(config.Global.device);
  const log = new RunLogger({ progress: false });
  const trained = loadTrained(config);
  try {
    const dir = config.Global.save_inference_dir ?? path.join(outputDirOf(config), 'inference');
    fs.mkdirSync(dir, { recursive: true });
    const prefix = path.join(dir, 'inference');
    const spec = new InputSpec([null, trained.model.obsDim], 'float32', 'obs');
    const saved = jit.save(trained.model, prefix, [spec]);
    saveWeights(`${prefix}.pdparams`, trained.model);
    const conf = path.join(dir, 'config.yaml');
    fs.writeFileSync(conf, dumpConfig(config));
    log.info(
      `wrote ${saved.modelFile} (${saved.numOps} ops, input obs [-1, ${trained.model.obsDim}], output Q-values [-1, ${trained.model.actDim}]), ` +
        `${saved.paramsFile} (${saved.numParams} parameters), ${prefix}.pdparams and ${conf}, from ${trained.file}`,
    );
  } finally {
    trained.dispose();
  }
  return 0;
}

if (require.main === module) void runCli(main);
