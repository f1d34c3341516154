/**
 * Fine-tuning for sequence classification, as PaddleNLP's run_glue.py: AdamW with linear
 * warm-up and decay, evaluation every eval_steps (and at the end), checkpoints every save_steps
 * (`<output_dir>/latest`, and `<output_dir>/best` for the best evaluation), and resuming from a
 * checkpoint with the same data order.
 */
import * as path from 'path';
import { crossEntropy, nn, seed as seedAll, tidy } from '@oar/core';
import { bucketedBatches, featurize, makeBatch, type Feature } from '../data/batching';
import { Rng } from '../data/random';
import { loadTaskData, type LoadedData } from '../data/tasks';
import { createForSequenceClassification } from '../models/factory';
import type { TrainArgs } from '../config/schema';
import { captureRng, loadOptimizer, loadWeights, readModelConfig, readTrainState, restoreRng, saveModelDir, type ModelConfigFile, type TrainState } from './checkpoint';
import { evaluate, type EvalResult } from './evaluate';
import type { RunLogger } from './logger';
import { resolveModel } from './model-source';
import { buildOptimizer } from './optimizer';

export interface FinetuneResult {
  bestAcc: number;
  bestStep: number;
  last: EvalResult | null;
  steps: number;
  seconds: number;
  bestDir: string;
  latestDir: string;
}

/** Total steps and warm-up steps as run_glue.py computes them. */
export function schedule(args: Pick<TrainArgs, 'max_steps' | 'num_train_epochs' | 'warmup_steps' | 'warmup_proportion'>, stepsPerEpoch: number): { total: number; warmup: number } {
  const total = args.max_steps > 0 ? args.max_steps : args.num_train_epochs * stepsPerEpoch;
  const warmup = args.warmup_steps > 0 ? args.warmup_steps : Math.floor(args.warmup_proportion * total);
  return { total, warmup };
}

export function finetune(args: TrainArgs, log: RunLogger, data?: LoadedData): FinetuneResult {
  const t0 = Date.now();
  // Everything that can fail on bad input is checked before the first step.
  const d = data ?? loadTaskData(args);
  for (const line of d.summary) log.info(line);
  const src = resolveModel(args.model_type, args.model_name_or_path, args.max_seq_length);
  const resumeState: TrainState | null = args.resume ? readTrainState(args.resume) : null;
  if (args.resume) {
    const saved = readModelConfig(args.resume);
    if (JSON.stringify(saved.init_args) !== JSON.stringify(src.config)) {
      throw new Error(`--resume ${args.resume} was trained with another model configuration than ${args.model_name_or_path}`);
    }
    if (saved.labels && saved.labels.join('\u0000') !== d.labels.join('\u0000')) {
      throw new Error(`--resume ${args.resume} was trained with labels ${saved.labels.join(', ')}, the data has ${d.labels.join(', ')}`);
    }
  }
  const tok = src.tokenizer;
  const train: Feature[] = featurize(d.train, tok, args.max_seq_length);
  const dev: Feature[] = featurize(d.dev, tok, args.max_seq_length);
  if (train.length === 0) throw new Error('no training examples');

  seedAll(args.seed);
  // Parameter names (the keys of .pdopt) as a fresh process gives them, whatever was built before.
  const model = nn.uniqueName.guard(() => createForSequenceClassification(src.type, src.config, d.labels.length));
  if (src.dir) loadWeights(src.dir, model, log);
  else log.info(`${args.model_name_or_path}: no pretrained weights are shipped; the model starts from PaddleNLP's random initialization`);

  const stepsPerEpoch = Math.ceil(train.length / args.batch_size);
  const { total, warmup } = schedule(args, stepsPerEpoch);
  const { optimizer, scheduler } = buildOptimizer(model, {
    learningRate: args.learning_rate,
    weightDecay: args.weight_decay,
    adamEpsilon: args.adam_epsilon,
    maxGradNorm: args.max_grad_norm,
    totalSteps: total,
    warmupSteps: warmup,
  });
  let state: TrainState = { global_step: 0, epoch: 0, best_acc: -1, best_step: 0 };
  if (args.resume && resumeState) {
    loadWeights(args.resume, model, log, true);
    loadOptimizer(args.resume, optimizer);
    state = resumeState;
    restoreRng(state.rng_state);
    log.info(`resumed from ${args.resume} at step ${state.global_step}`);
  }
  log.resetMetrics(args.resume ? state.global_step : null);

  const config: ModelConfigFile = {
    init_class: `${src.type === 'bert' ? 'Bert' : 'Ernie'}ForSequenceClassification`,
    model_type: src.type,
    init_args: src.config,
    labels: d.labels,
  };
  const latestDir = path.join(args.output_dir, 'latest');
  const bestDir = path.join(args.output_dir, 'best');
  const evalSteps = args.eval_steps ?? args.save_steps;
  const nParams = model.parameters().reduce((a, p) => a + p.size, 0);
  log.info(
    `fine-tune ${config.init_class} (${args.model_name_or_path}, ${(nParams / 1e6).toFixed(1)}M parameters) on ${args.task_name}: ${train.length} train / ${dev.length} dev examples, ` +
      `${total} steps of ${args.batch_size} (${stepsPerEpoch} per epoch), lr ${args.learning_rate} warm-up ${warmup}, max_seq_length ${args.max_seq_length}, device ${args.select_device}`,
  );

  model.train();
  let last: EvalResult | null = null;
  let batches: number[][] = [];
  let batchesEpoch = -1;
  const lengths = train.map((f) => f.input_ids.length);
  let windowStart = Date.now();
  let windowSteps = 0;
  log.startBar('train', total, state.global_step);
  try {
    for (let step = state.global_step; step < total; ) {
      const epoch = Math.floor(step / stepsPerEpoch);
      if (epoch !== batchesEpoch) {
        // The epoch's batches depend only on (seed, epoch): a resumed run sees the same ones.
        batches = bucketedBatches(lengths, args.batch_size, new Rng(args.seed, 1000 + epoch));
        batchesEpoch = epoch;
      }
      const batchNo = step % stepsPerEpoch;
      const idx = batches[batchNo]!;
      const lr = scheduler.lastLr;
      const loss = tidy(() => {
        const b = makeBatch(idx.map((i) => train[i]!), tok.padTokenId);
        const logits = model.call(b.inputIds, { tokenTypeIds: b.tokenTypeIds, attentionMask: b.attentionMask });
        const l = crossEntropy(logits, b.labels);
        l.backward();
        optimizer.step();
        optimizer.clearGrad();
        return l.item();
      });
      scheduler.step();
      step++;
      windowSteps++;
      state = { ...state, global_step: step, epoch };
      log.updateBar(step, `loss ${loss.toFixed(4)}`);
      if (!Number.isFinite(loss)) throw new Error(`the loss is ${loss} at step ${step}: lower --learning_rate or check the data`);
      if (step % args.logging_steps === 0) {
        const speed = windowSteps / ((Date.now() - windowStart) / 1000);
        log.info(`global step ${step}/${total}, epoch: ${epoch}, batch: ${batchNo}, loss: ${loss.toFixed(6)}, lr: ${lr.toExponential(4)}, speed: ${speed.toFixed(2)} step/s`);
        log.record({ step, split: 'train', epoch, loss, lr });
        windowStart = Date.now();
        windowSteps = 0;
      }
      const isLast = step === total;
      if (step % evalSteps === 0 || isLast) {
        const te = Date.now();
        last = evaluate(model, dev, args.batch_size, tok.padTokenId);
        log.info(`eval loss: ${last.loss.toFixed(6)}, acc: ${last.acc.toFixed(5)} (${last.count} examples), eval done total: ${((Date.now() - te) / 1000).toFixed(1)} s`);
        log.record({ step, split: 'eval', epoch, acc: last.acc, loss: last.loss });
        if (last.acc > state.best_acc) {
          state = { ...state, best_acc: last.acc, best_step: step };
          saveModelDir(bestDir, { model, config, tokenizer: tok, state });
        }
      }
      if (step % args.save_steps === 0 || isLast) {
        // The generator is captured at the save, after any evaluation: the core's dropout draws
        // (advances the Philox offset) even in eval mode, so evaluating moves it too.
        saveModelDir(latestDir, { model, config, tokenizer: tok, optimizer, state: { ...state, rng_state: captureRng() } });
      }
    }
  } finally {
    log.stopBar();
  }
  return { bestAcc: state.best_acc, bestStep: state.best_step, last, steps: state.global_step, seconds: (Date.now() - t0) / 1000, bestDir, latestDir };
}
