#!/usr/bin/env node
/**
 * oar-clas-train (`nx run clas:train`): PaddleClas's tools/train.py. Without -c it trains the
 * quick-start ResNet18 on the embedded Fashion-MNIST.
 *
 *   oar-clas-train -c configs/quick_start/ResNet18_fashion_mnist.yaml -o Global.epochs=2
 *   oar-clas-train -c my.yaml -o Global.checkpoints=output/ResNet18/latest      # resume
 *   oar-clas-train -c my.yaml -o Global.pretrained_model=path/ResNet18_pretrained  # fine-tune
 */
import { Engine } from '../engine/engine';
import { f5 } from '../engine/logger';
import { commonParser, loadAccelerator, loadCliConfig, runCli } from './common';

export async function main(argv: string[]): Promise<number> {
  const args = await commonParser(argv, 'oar-clas-train', 'Trains a model; checkpoints go to <Global.output_dir>/<Arch>/.').parse();
  if (args.help) return 0;
  const { config, source } = loadCliConfig(args);
  loadAccelerator(config.Global.device);
  const engine = new Engine(config, 'train', { source, progress: args.progress });
  try {
    const r = await engine.train();
    engine.log.info(
      r.bestEpoch
        ? `training done: best top1 ${f5(r.bestMetric)} at epoch ${r.bestEpoch} (${engine.outputDir}/best_model.pdparams)`
        : `training done: ${engine.outputDir}/latest.pdparams`,
    );
  } finally {
    engine.close();
  }
  return 0;
}

if (require.main === module) void runCli(main);
