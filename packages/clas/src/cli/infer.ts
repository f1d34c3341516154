#!/usr/bin/env node
/**
 * oar-clas-infer (`nx run clas:infer`): PaddleClas's tools/infer.py, dygraph prediction from
 * weights. Prints the top-k classes of each image (Infer.PostProcess Topk):
 *
 *   oar-clas-infer --image photo.png -o Global.pretrained_model=output/ResNet18/best_model
 *   oar-clas-infer -c my.yaml --image dir/ -o Infer.PostProcess.class_id_map_file=labels.txt
 */
import { Engine } from '../engine/engine';
import { commonParser, loadAccelerator, loadCliConfig, runCli } from './common';

export async function main(argv: string[]): Promise<number> {
  const args = await commonParser(argv, 'oar-clas-infer', 'Predicts the top-k classes of image files or folders (Infer.infer_imgs, or --image).')
    .option('image', {
      alias: 'i',
      type: 'string',
      array: true,
      describe: 'image files or folders (replaces Infer.infer_imgs; repeatable)',
    })
    .parse();
  if (args.help) return 0;
  const images = (args.image ?? []).filter((s) => s !== '');
  const { config, source } = loadCliConfig(args);
  loadAccelerator(config.Global.device);
  const engine = new Engine(config, 'infer', { source, progress: false });
  try {
    await engine.infer(images.length ? images : undefined);
  } finally {
    engine.close();
  }
  return 0;
}

if (require.main === module) void runCli(main);
