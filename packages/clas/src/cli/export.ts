#!/usr/bin/env node
/**
 * oar-clas-export (`nx run clas:export`): PaddleClas's tools/export_model.py. The inference
 * program format (inference.pdmodel / inference.pdiparams) is not implemented yet; until it is,
 * this writes the weights as <Global.save_inference_dir>/inference.pdparams and the resolved
 * config beside them, and says so.
 */
import { Engine } from '../engine/engine';
import { commonParser, loadAccelerator, loadCliConfig, runCli } from './common';

export async function main(argv: string[]): Promise<number> {
  const args = await commonParser(argv, 'oar-clas-export', 'Exports trained weights (Global.pretrained_model) to Global.save_inference_dir.').parse();
  if (args.help) return 0;
  const { config, source } = loadCliConfig(args);
  loadAccelerator(config.Global.device);
  const engine = new Engine(config, 'export', { source, progress: false });
  try {
    engine.export();
  } finally {
    engine.close();
  }
  return 0;
}

if (require.main === module) void runCli(main);
