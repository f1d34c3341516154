/**
 * Masked-LM + next-sentence pre-training, as PaddleNLP's run_pretrain.py: instances are drawn
 * afresh each epoch (masks differ between epochs, and depend only on (seed, epoch), so a resumed
 * run sees what an uninterrupted one would), AdamW with warm-up and linear decay, the model saved
 * every save_steps and at the end to `<output_dir>/latest` (model_state.pdparams,
 * model_config.json, vocab.txt, and the optimizer for --resume), from where
 * `train --model_name_or_path <output_dir>/latest` fine-tunes it.
 */
import * as path from 'path';
import { nn, seed as seedAll, tidy } from '@oar/core';
import { batchIndices } from '../data/batching';
import { createInstances, makePretrainBatch, type Document, type PretrainInstance } from '../data/pretraining';
import { Rng } from '../data/random';
import { createForPretraining } from '../models/factory';
import { pretrainingLoss } from '../models/heads';
import type { PretrainArgs } from '../config/schema';
import { captureRng, loadOptimizer, loadWeights, readModelConfig, readTrainState, restoreRng, saveModelDir, type ModelConfigFile, type TrainState } from './checkpoint';
import type { RunLogger } from './logger';
import type { ModelSource } from './model-source';
import { buildOptimizer } from './optimizer';

export interface PretrainResult {
  steps: number;
  mlmLoss: number;
  nspLoss: number;
  seconds: number;
  outputDir: string;
}

export function pretrain(args: PretrainArgs, src: ModelSource, docs: readonly Document[], log: RunLogger): PretrainResult {
  const t0 = Date.now();
  const tok = src.tokenizer;
  const sp = { cls: tok.clsTokenId, sep: tok.sepTokenId, mask: tok.maskTokenId, vocabSize: tok.vocabSize };
  const instOpts = { maxSeqLength: args.max_seq_length, maskProb: args.masked_lm_prob, maxPredictions: args.max_predictions_per_seq, shortSeqProb: 0.1 };
  const epochInstances = (epoch: number): PretrainInstance[] => {
    const rng = new Rng(args.seed, 2000 + epoch);
    const inst = createInstances(docs, rng, sp, instOpts);
    return rng.shuffle(inst);
  };
  let instances = epochInstances(0);
  if (instances.length === 0) throw new Error('the pre-training text gives no sentence pairs');
  const stepsPerEpoch = Math.ceil(instances.length / args.batch_size);
  const total = args.max_steps > 0 ? args.max_steps : args.num_train_epochs * stepsPerEpoch;
  const warmup = args.warmup_steps > 0 ? args.warmup_steps : Math.floor(args.warmup_proportion * total);

  if (args.resume) {
    const saved = readModelConfig(args.resume);
    if (JSON.stringify(saved.init_args) !== JSON.stringify(src.config)) throw new Error(`--resume ${args.resume} was trained with another model configuration`);
  }
  seedAll(args.seed);
  // Parameter names (the keys of .pdopt) as a fresh process gives them, whatever was built before.
  const model = nn.uniqueName.guard(() => createForPretraining(src.type, src.config));
  if (src.dir) loadWeights(src.dir, model, log);
  const { optimizer, scheduler } = buildOptimizer(model, {
    learningRate: args.learning_rate,
    weightDecay: args.weight_decay,
    adamEpsilon: args.adam_epsilon,
    maxGradNorm: args.max_grad_norm,
    totalSteps: total,
    warmupSteps: warmup,
  });
  let state: TrainState = { global_step: 0, epoch: 0, best_acc: 0, best_step: 0 };
  if (args.resume) {
    loadWeights(args.resume, model, log, true);
    loadOptimizer(args.resume, optimizer);
    state = readTrainState(args.resume);
    restoreRng(state.rng_state);
    log.info(`resumed from ${args.resume} at step ${state.global_step}`);
  }
  log.resetMetrics(args.resume ? state.global_step : null);
  const latestDir = path.join(args.output_dir, 'latest');
  const config: ModelConfigFile = { init_class: `${src.type === 'bert' ? 'Bert' : 'Ernie'}ForPretraining`, model_type: src.type, init_args: src.config };
  const nParams = model.parameters().reduce((a, p) => a + p.size, 0);
  log.info(
    `pre-train ${config.init_class} (${(nParams / 1e6).toFixed(1)}M parameters): ${docs.length} documents, ${instances.length} sentence pairs per epoch, ` +
      `${total} steps of ${args.batch_size}, lr ${args.learning_rate} warm-up ${warmup}, max_seq_length ${args.max_seq_length}, device ${args.select_device}`,
  );
  model.train();
  let mlm = NaN;
  let nsp = NaN;
  let epoch = -1;
  let batches: number[][] = [];
  let windowStart = Date.now();
  let windowSteps = 0;
  log.startBar('pretrain', total, state.global_step);
  try {
    for (let step = state.global_step; step < total; ) {
      const e = Math.floor(step / stepsPerEpoch);
      if (e !== epoch) {
        if (e > 0) instances = epochInstances(e);
        batches = batchIndices(instances.map((_, i) => i), args.batch_size);
        epoch = e;
      }
      const batchNo = step % stepsPerEpoch;
      const idx = batches[batchNo % batches.length]!;
      const lr = scheduler.lastLr;
      [mlm, nsp] = tidy(() => {
        const b = makePretrainBatch(idx.map((i) => instances[i]!), tok.padTokenId);
        const [scores, rel] = model.call(b.inputIds, { tokenTypeIds: b.tokenTypeIds, attentionMask: b.attentionMask, maskedPositions: b.maskedPositions });
        const l = pretrainingLoss(scores, rel, b.maskedLabels, b.nspLabels);
        l.loss.backward();
        optimizer.step();
        optimizer.clearGrad();
        return [l.mlm.item(), l.nsp.item()] as [number, number];
      });
      scheduler.step();
      step++;
      windowSteps++;
      state = { ...state, global_step: step, epoch: e };
      log.updateBar(step, `mlm ${mlm.toFixed(3)} nsp ${nsp.toFixed(3)}`);
      if (!Number.isFinite(mlm + nsp)) throw new Error(`the loss is not finite at step ${step}: lower --learning_rate`);
      if (step % args.logging_steps === 0) {
        const speed = windowSteps / ((Date.now() - windowStart) / 1000);
        log.info(`global step: ${step}/${total}, epoch: ${e}, batch: ${batchNo}, loss: ${(mlm + nsp).toFixed(6)}, lm_loss: ${mlm.toFixed(6)}, nsp_loss: ${nsp.toFixed(6)}, lr: ${lr.toExponential(4)}, speed: ${speed.toFixed(2)} step/s`);
        log.record({ step, split: 'train', epoch: e, loss: mlm + nsp, lm_loss: mlm, nsp_loss: nsp, lr });
        windowStart = Date.now();
        windowSteps = 0;
      }
      if (step % args.save_steps === 0 || step === total) saveModelDir(latestDir, { model, config, tokenizer: tok, optimizer, state: { ...state, rng_state: captureRng() } });
    }
  } finally {
    log.stopBar();
  }
  return { steps: state.global_step, mlmLoss: mlm, nspLoss: nsp, seconds: (Date.now() - t0) / 1000, outputDir: latestDir };
}
