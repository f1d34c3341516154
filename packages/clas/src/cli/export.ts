#!/usr/bin/env node
/**
 * oar-clas-export (`nx run clas:export`): PaddleClas's tools/export_model.py. Loads the trained
 * weights (Global.pretrained_model, or the output folder's best_model / latest), wraps the model
 * as PaddleClas's ExportModel does (first output only, softmax appended), and writes it with
 * `jit.save` as Paddle's inference format:
 *
 *   <Global.save_inference_dir>/inference.pdmodel     the program, input x: [-1, ...Global.image_shape]
 *   <Global.save_inference_dir>/inference.pdiparams   the parameters
 *   <Global.save_inference_dir>/config.yaml           the resolved config (Infer.transforms for oar-clas-infer --model)
 *
 * Paddle Inference, PaddleClas's deploy tools and `oar-clas-infer --model <dir>` read the folder.
 */
import * as path from 'path';
import { InputSpec, jit, nn, softmax, type Tensor } from '@oar/core';
import { writeConfig } from '../config/load';
import { loadPretrained } from '../engine/checkpoint';
import { Engine } from '../engine/engine';
import { commonParser, loadAccelerator, loadCliConfig, runCli } from './common';

/** PaddleClas's ExportModel: the backbone's main output (the first of a list) through softmax. */
export class ExportModel extends nn.Layer {
  constructor(readonly base_model: nn.Layer) {
    super();
  }

  override forward(x: Tensor): Tensor {
    const out = this.base_model.call(x) as Tensor | Tensor[];
    return softmax(Array.isArray(out) ? out[0]! : out, -1);
  }
}

export interface ExportedFiles {
  model: string;
  params: string;
  config: string;
}

/** Writes the engine's model (with its trained weights loaded) to Global.save_inference_dir. */
export function exportInferenceModel(engine: Engine): ExportedFiles {
  const g = engine.config.Global;
  loadPretrained(engine.resolveWeights(), engine.model, engine.log, 'Global.pretrained_model', true);
  const dir = g.save_inference_dir;
  const wrapped = new ExportModel(engine.model);
  const spec = new InputSpec([null, ...g.image_shape], 'float32', 'x');
  const saved = jit.save(wrapped, path.join(dir, 'inference'), [spec]);
  const config = path.join(dir, 'config.yaml');
  writeConfig(engine.config, config);
  engine.log.info(
    `wrote ${saved.modelFile} (${saved.numOps} ops, input x ${JSON.stringify(spec.shape)}), ${saved.paramsFile} (${saved.numParams} parameters) and ${config}`,
  );
  engine.log.info(`predict with: npx nx run clas:infer -- --model ${dir} --image <file or folder>`);
  return { model: saved.modelFile, params: saved.paramsFile!, config };
}

export async function main(argv: string[]): Promise<number> {
  const args = await commonParser(
    argv,
    'oar-clas-export',
    'Exports trained weights (Global.pretrained_model) as a Paddle inference model: <Global.save_inference_dir>/inference.pdmodel + inference.pdiparams.',
  )
    .option('save_inference_dir', {
      type: 'string',
      describe: 'output folder (replaces Global.save_inference_dir)',
    })
    .parse();
  if (args.help) return 0;
  const extra = args.save_inference_dir ? [`Global.save_inference_dir=${JSON.stringify(args.save_inference_dir)}`] : [];
  const { config, source } = loadCliConfig(args, extra);
  loadAccelerator(config.Global.device);
  const engine = new Engine(config, 'export', { source, progress: false });
  try {
    exportInferenceModel(engine);
  } finally {
    engine.close();
  }
  return 0;
}

if (require.main === module) void runCli(main);
