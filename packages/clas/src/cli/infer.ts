#!/usr/bin/env node
/**
 * oar-clas-infer (`nx run clas:infer`): PaddleClas's tools/infer.py, dygraph prediction from
 * weights; with `--model`, its deploy/python/predict_cls.py, prediction with a Paddle inference
 * model through the Predictor. Prints the top-k classes of each image (Infer.PostProcess Topk):
 *
 *   oar-clas-infer --image photo.png -o Global.pretrained_model=output/ResNet18/best_model
 *   oar-clas-infer -c my.yaml --image dir/ -o Infer.PostProcess.class_id_map_file=labels.txt
 *   oar-clas-infer --model inference/ --image photo.png          (a folder written by oar-clas-export)
 *   oar-clas-infer --model ResNet50_infer.tar.gz -c ResNet50.yaml --image photo.png
 *
 * With `--model`, the preprocessing is the Infer section of `-c`, else of the config.yaml that
 * oar-clas-export writes beside the model, else of the default config.
 */
import * as fs from 'fs';
import * as path from 'path';
import { data, inference, tensor } from '@oar/core';
import type { ClasConfig } from '../config/schema';
import { createOperators, outputLayout, transform } from '../data/preprocess';
import { Engine, matchChannels } from '../engine/engine';
import { getImageList } from '../engine/images';
import { RunLogger } from '../engine/logger';
import { buildPostProcess, type TopkResult } from '../postprocess';
import { CliError, DEFAULT_CONFIG, commonParser, configPath, loadAccelerator, loadCliConfig, runCli, type CommonArgs } from './common';

/**
 * Rows that are probabilities already (the softmax PaddleClas's export appends) become their
 * logarithms, so that Topk's softmax gives them back unchanged; other rows are logits.
 */
export function asLogits(out: Float32Array, classes: number): Float32Array {
  const rows = out.length / classes;
  let probs = true;
  for (let r = 0; r < rows && probs; r++) {
    let s = 0;
    for (let j = 0; j < classes; j++) {
      const v = out[r * classes + j]!;
      if (!(v >= 0 && v <= 1)) probs = false;
      s += v;
    }
    if (Math.abs(s - 1) > 1e-3) probs = false;
  }
  return probs ? out.map((v) => Math.log(v)) : out;
}

/** `--model`: the Predictor over a Paddle inference model (folder, .pdmodel, prefix or .tar.gz). */
export async function predictWithModel(model: string, config: ClasConfig, images: string[] | undefined, log: RunLogger): Promise<TopkResult[]> {
  const inf = config.Infer;
  if (!inf) throw new CliError('the config has no Infer section (infer_imgs, transforms, PostProcess); give one with -c');
  const files = getImageList(images ?? inf.infer_imgs, images ? '--image' : 'Infer.infer_imgs');
  const ops = createOperators(inf.transforms, 'Infer.transforms');
  const chw = outputLayout(ops) === 'CHW';
  const post = buildPostProcess(inf.PostProcess);
  const cfg = new inference.Config(model);
  cfg.setDevice(config.Global.device);
  const predictor = inference.createPredictor(cfg);
  const results: TopkResult[] = [];
  try {
    const inputs = predictor.getInputNames();
    if (inputs.length !== 1) throw new CliError(`${predictor.programFile}: expected one image input, the model has ${inputs.length} (${inputs.join(', ')})`);
    const input = predictor.getInputHandle(inputs[0]!);
    const declared = input.shape();
    const channels = declared.length === 4 && declared[1]! > 0 ? declared[1]! : config.Global.image_shape[0]!;
    log.info(`model ${predictor.programFile}: input ${inputs[0]} ${JSON.stringify(declared)}, ${files.length} image${files.length === 1 ? '' : 's'}, batch ${inf.batch_size}`);
    for (let i = 0; i < files.length; i += inf.batch_size) {
      const names = files.slice(i, i + inf.batch_size);
      const samples: data.HostArray[] = [];
      for (const f of names) {
        const bytes = fs.readFileSync(f);
        let img: data.HostArray | Uint8Array;
        try {
          img = await transform(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), ops);
        } catch (e) {
          throw new Error(`${f}: ${(e as Error).message}`);
        }
        if (!data.isHostArray(img)) throw new Error(`Infer.transforms left ${f} encoded; start them with DecodeImage`);
        samples.push(matchChannels(chw ? img : data.transforms.functional.toCHW(img), channels, f));
      }
      const shape = [samples.length, ...samples[0]!.shape];
      if (samples.some((s) => s.shape.join() !== samples[0]!.shape.join())) throw new Error(`Infer.transforms give images of different sizes in one batch (${names.join(', ')})`);
      const batch = new Float32Array(samples.reduce((n, s) => n + s.data.length, 0));
      let at = 0;
      for (const s of samples) {
        batch.set(s.data as ArrayLike<number>, at);
        at += s.data.length;
      }
      input.reshape(shape);
      input.copyFromCpu(batch);
      const t0 = performance.now();
      predictor.run();
      const ms = performance.now() - t0;
      const out = predictor.getOutputHandle(predictor.getOutputNames()[0]!);
      const dims = out.shape();
      const classes = dims[dims.length - 1]!;
      const scores = tensor(asLogits(Float32Array.from(out.copyToCpu() as Float32Array), classes), { shape: [names.length, classes] });
      try {
        const batchResults = post.apply(scores, names);
        for (const r of batchResults) log.info(JSON.stringify(r));
        results.push(...batchResults);
      } finally {
        scores.dispose();
      }
      log.info(`batch of ${names.length}: ${ms.toFixed(1)} ms`);
    }
  } finally {
    predictor.dispose();
  }
  return results;
}

/** The config for `--model`: -c, or the config.yaml oar-clas-export wrote beside the model. */
function modelConfigArgs(args: CommonArgs, model: string): CommonArgs {
  if (args.config !== undefined) return args;
  const beside = fs.existsSync(model) && fs.statSync(model).isDirectory() ? path.join(model, 'config.yaml') : path.join(path.dirname(model), 'config.yaml');
  if (configPath(args) === DEFAULT_CONFIG && fs.existsSync(beside)) return { ...args, config: beside };
  return args;
}

export async function main(argv: string[]): Promise<number> {
  const args = await commonParser(argv, 'oar-clas-infer', 'Predicts the top-k classes of image files or folders (Infer.infer_imgs, or --image).')
    .option('image', {
      alias: 'i',
      type: 'string',
      array: true,
      describe: 'image files or folders (replaces Infer.infer_imgs; repeatable)',
    })
    .option('model', {
      alias: 'm',
      type: 'string',
      describe: 'a Paddle inference model (folder, .pdmodel, path prefix or .tar.gz) to predict with instead of trained weights',
    })
    .parse();
  if (args.help) return 0;
  const images = (args.image ?? []).filter((s) => s !== '');
  if (args.model !== undefined) {
    const { config } = loadCliConfig(modelConfigArgs(args, args.model));
    loadAccelerator(config.Global.device);
    const log = new RunLogger({ logFile: path.join(config.Global.output_dir, 'infer.log'), progress: false });
    try {
      await predictWithModel(args.model, config, images.length ? images : undefined, log);
    } finally {
      log.close();
    }
    return 0;
  }
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
