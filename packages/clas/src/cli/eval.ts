#!/usr/bin/env node
/**
 * oar-clas-eval (`nx run clas:eval`): PaddleClas's tools/eval.py. Reports top-1/top-5 of
 * trained weights on DataLoader.Eval:
 *
 *   oar-clas-eval -c configs/quick_start/ResNet18_fashion_mnist.yaml -o Global.pretrained_model=output/ResNet18/best_model
 *
 * Without Global.pretrained_model it evaluates <output_dir>/<Arch>/best_model (or latest).
 */
import { Engine } from '../engine/engine';
import { f5 } from '../engine/logger';
import { commonParser, loadAccelerator, loadCliConfig, runCli } from './common';

export async function main(argv: string[]): Promise<number> {
  const args = await commonParser(argv, 'oar-clas-eval', 'Evaluates trained weights (Global.pretrained_model) on DataLoader.Eval.').parse();
  if (args.help) return 0;
  const { config, source } = loadCliConfig(args);
  loadAccelerator(config.Global.device);
  const engine = new Engine(config, 'eval', { source, progress: args.progress });
  try {
    const r = await engine.eval();
    engine.log.info(`eval: ${Object.entries(r).map(([k, v]) => `${k}: ${f5(v)}`).join(', ')}`);
  } finally {
    engine.close();
  }
  return 0;
}

if (require.main === module) void runCli(main);
