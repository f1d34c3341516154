/**
 * The Engine behind `train`, `eval`, `infer` and `export` (PaddleClas 2.2's ppcls/engine): one
 * object that builds the model from `Arch`, the data from `DataLoader`, the losses, metrics and
 * optimizer from their sections, and runs the mode asked for.
 *
 * Training follows PaddleClas: epochs are 1-based; the learning rate steps every iteration;
 * every `eval_interval` epochs (and after the last) the model is evaluated and `best_model.*`
 * saved when top-1 improves; every `save_interval` epochs `epoch_N.*` is saved, and `latest.*` after every
 * epoch. `Global.checkpoints` resumes at the epoch after the checkpoint's, with its weights,
 * optimizer accumulators, learning-rate schedule, global step and random-generator state, and
 * each epoch's data order depends only on its number, so a resumed run continues exactly as the
 * uninterrupted run would have.
 */
import * as fs from 'fs';
import * as path from 'path';
import { data, noGrad, seed, setDevice, tidy, type Tensor, type nn } from '@oar/core';
import { ConfigError } from '../config/errors';
import { writeConfig } from '../config/load';
import type { ClasConfig } from '../config/schema';
import { buildDataLoader } from '../data/build';
import { createOperators, outputLayout, transform } from '../data/preprocess';
import { buildLoss, mainLogits, type BatchLabels, type CombinedLoss, type ModelOutput } from '../loss';
import { AverageMeter, MeterGroup, TopkAcc, buildMetrics, type Metric } from '../metric';
import { buildLrScheduler, buildOptimizer, type BuiltOptimizer } from '../optimizer';
import { buildPostProcess, type TopkResult } from '../postprocess';
import { PDPARAMS, loadCheckpoint, loadPretrained, normalizePrefix, rngState, saveCheckpoint, saveWeights, setRngState } from './checkpoint';
import { getImageList } from './images';
import { RunLogger, f5, formatEta } from './logger';
import { buildModel } from './model';

export type EngineMode = 'train' | 'eval' | 'infer' | 'export';

export interface EngineOptions {
  /** The config file, for messages. */
  source?: string;
  /** Progress bar (default: when stdout is a terminal). */
  progress?: boolean;
  /** Where log lines go besides `<output_dir>/<Arch>/<mode>.log` (default: stdout). */
  write?: (line: string) => void;
  /** Called after each training epoch, once its checkpoints are saved. */
  onEpochEnd?: (info: EpochEndInfo) => void;
}

export interface EpochEndInfo {
  epoch: number;
  globalStep: number;
  /** Training averages of the epoch (losses and Metric.Train). */
  train: Record<string, number>;
  /** This epoch's evaluation, when there was one. */
  eval: EvalResult | null;
}

type Loader = ReturnType<typeof buildDataLoader>;

/** One evaluation: averages of the losses and metrics (`loss`, `CELoss`, `top1`, `top5`). */
export type EvalResult = Record<string, number>;

export interface TrainResult {
  /** Best eval metric (top-1) and the epoch that reached it (0: never evaluated). */
  bestMetric: number;
  bestEpoch: number;
  /** The last epoch trained. */
  epoch: number;
  globalStep: number;
  /** The last evaluation, if any. */
  lastEval: EvalResult | null;
}

export interface ExportResult {
  files: string[];
}

/** The trained-weights prefixes `eval`, `infer` and `export` look for when none is given. */
const DEFAULT_WEIGHTS = ['best_model', 'latest'];

function isSetEpoch(s: unknown): s is { setEpoch(e: number): void } {
  return !!s && typeof (s as { setEpoch?: unknown }).setEpoch === 'function';
}

/** Trainable parameters, as `11.18M` or `8.5K`. */
function paramCount(model: nn.Layer): string {
  const n = model.parameters().reduce((s, p) => s + (p.stopGradient ? 0 : p.size), 0);
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(1)}K`;
}

export class Engine {
  readonly config: ClasConfig;
  readonly mode: EngineMode;
  readonly source: string;
  readonly arch: string;
  /** `<Global.output_dir>/<Arch>`: checkpoints, logs and metrics. */
  readonly outputDir: string;
  readonly device: string;
  readonly model: nn.Layer;
  readonly log: RunLogger;
  /** Built by `prepareTraining` (or `train`). */
  optimizer: BuiltOptimizer['optimizer'] | null = null;
  lrScheduler: BuiltOptimizer['lrScheduler'] | null = null;
  trainLoader: Loader | null = null;
  evalLoader: Loader | null = null;
  /** The first epoch `train` runs (after a checkpoint's). */
  startEpoch = 1;
  globalStep = 0;
  best = { metric: 0, epoch: 0 };
  private readonly onEpochEnd: EngineOptions['onEpochEnd'];

  constructor(config: ClasConfig, mode: EngineMode, opts: EngineOptions = {}) {
    this.config = config;
    this.mode = mode;
    this.source = opts.source ?? 'config';
    this.onEpochEnd = opts.onEpochEnd;
    const g = config.Global;
    this.arch = config.Arch.name;
    this.outputDir = path.join(g.output_dir, this.arch);
    this.log = new RunLogger({
      logFile: path.join(this.outputDir, `${mode}.log`),
      metricsFile: mode === 'train' ? path.join(this.outputDir, 'metrics.jsonl') : null,
      progress: opts.progress,
      write: opts.write,
    });
    this.device = g.device;
    try {
      setDevice(g.device);
    } catch (e) {
      throw new Error(
        `Global.device: ${g.device} cannot be used: ${(e as Error).message}. ` +
          'The oar-clas CLIs load the accelerator backend (@oar/xpu-backend) for xpu devices; from code, import it and register it first, or set Global.device=cpu',
      );
    }
    // Seed before the model is built: its initial weights come from the same generator.
    if (g.seed !== undefined) seed(g.seed);
    this.model = buildModel(config, this.source);
    if (g.use_visualdl) this.log.warn('Global.use_visualdl: VisualDL is not available in Oar; output/<Arch>/metrics.jsonl holds the same scalars');
    if (g.to_static) this.log.warn('Global.to_static: the clas Engine trains in dygraph mode; to_static is ignored');
  }

  // ---- building blocks ---------------------------------------------------------------------------

  private missing(key: string, why: string): ConfigError {
    return new ConfigError(this.source, [{ path: key, message: `missing (${why})` }]);
  }

  buildLoader(split: 'Train' | 'Eval'): Loader {
    const section = this.config.DataLoader?.[split];
    if (!section) {
      const why = split === 'Train' ? 'training needs a data set' : `evaluation needs a data set${this.mode === 'train' ? '; or set Global.eval_during_train=False' : ''}`;
      throw this.missing(`DataLoader.${split}`, why);
    }
    return buildDataLoader(section, { where: `DataLoader.${split}`, place: this.device });
  }

  private evalMetrics(): Metric[] {
    const m = buildMetrics(this.config.Metric?.Eval, 'Metric.Eval');
    return m.length ? m : [new TopkAcc([1, 5], 'Metric.Eval')];
  }

  /** Splits a loader batch into images and labels (plain, or mixed by Mixup/Cutmix). */
  private unpack(batch: unknown, where: string): { images: Tensor; labels: BatchLabels } {
    if (!Array.isArray(batch) || (batch.length !== 2 && batch.length !== 4)) {
      throw new Error(`${where}: expected batches of [images, labels] (or [images, label_a, label_b, lam] after batch_transform_ops)`);
    }
    const [images, a, b, lam] = batch as Tensor[];
    if (batch.length === 2) return { images: images!, labels: { kind: 'hard', label: a! } };
    return { images: images!, labels: { kind: 'mixed', labelA: a!, labelB: b!, lam: lam! } };
  }

  /**
   * The weights eval/infer/export use: Global.pretrained_model, or else the best (then latest)
   * checkpoint of a previous `train` in this output folder.
   */
  resolveWeights(): string {
    const given = this.config.Global.pretrained_model;
    if (given) return normalizePrefix(given);
    for (const p of DEFAULT_WEIGHTS) {
      const prefix = path.join(this.outputDir, p);
      if (fs.existsSync(prefix + PDPARAMS)) {
        this.log.info(`Global.pretrained_model is not set; using ${prefix} (from the last training run in ${this.outputDir})`);
        return prefix;
      }
    }
    throw new ConfigError(this.source, [
      {
        path: 'Global.pretrained_model',
        message: `missing (${this.mode} needs trained weights and ${this.outputDir} has no best_model or latest checkpoint; train first or set -o Global.pretrained_model=path/to/weights, without .pdparams)`,
      },
    ]);
  }

  // ---- training ----------------------------------------------------------------------------------

  /**
   * Builds the loaders, optimizer and schedule, and applies Global.checkpoints (resume) or
   * Global.pretrained_model (fine-tuning). `train` calls it (once: a second call keeps what the
   * first built); call it first to look at the restored state before the first step.
   */
  prepareTraining(): void {
    if (this.optimizer) return;
    const cfg = this.config;
    const g = cfg.Global;
    if (!cfg.Optimizer) throw this.missing('Optimizer', 'training needs an optimizer, e.g. name: Momentum with an lr schedule');
    if (!cfg.Loss?.Train?.length) throw this.missing('Loss.Train', 'training needs a loss, e.g. - CELoss: {weight: 1.0}');
    this.trainLoader = this.buildLoader('Train');
    this.evalLoader = g.eval_during_train ? this.buildLoader('Eval') : null;
    const steps = this.trainLoader.length;
    if (steps === 0) throw new Error(`DataLoader.Train: no batches (${this.trainLoader.dataset.length} images with drop_last and batch_size ${cfg.DataLoader!.Train!.sampler.batch_size})`);
    const built = buildOptimizer(cfg.Optimizer, this.model.namedParameters(), { epochs: g.epochs, stepEachEpoch: steps, where: 'Optimizer' });
    this.optimizer = built.optimizer;
    this.lrScheduler = built.lrScheduler;
    if (g.checkpoints) {
      const { states } = loadCheckpoint(g.checkpoints, this.model, this.optimizer);
      this.startEpoch = states.epoch + 1;
      // A PaddleClas checkpoint has no global step: the scheduler counts one per step.
      this.globalStep = states.global_step >= 0 ? states.global_step : this.lrScheduler.lastEpoch;
      this.best = { metric: states.best_metric, epoch: states.best_epoch };
      setRngState(states.rng_state);
      this.checkResumedSchedule(steps);
      this.log.info(
        `resumed from ${normalizePrefix(g.checkpoints)}: epoch ${states.epoch} done, global step ${this.globalStep}, lr ${this.optimizer.getLr().toPrecision(6)}, best top1 ${f5(this.best.metric)} (epoch ${this.best.epoch})`,
      );
    } else if (g.pretrained_model) {
      loadPretrained(g.pretrained_model, this.model, this.log);
    }
  }

  /**
   * The checkpoint's LR_Scheduler state continues as saved (as in PaddleClas). When the config's
   * schedule would be elsewhere at this step (Global.epochs or Optimizer.lr changed since the
   * checkpoint), say so: the run follows the checkpoint's rate, not the new plan.
   */
  private checkResumedSchedule(steps: number): void {
    const cfg = this.config;
    const planned = buildLrScheduler(cfg.Optimizer!.lr, { epochs: cfg.Global.epochs, stepEachEpoch: steps });
    for (let i = 0; i < this.globalStep; i++) planned.step();
    const want = planned.lastLr;
    const got = this.optimizer!.getLr();
    if (Math.abs(want - got) > 1e-9 + 1e-6 * Math.abs(want)) {
      this.log.warn(
        `Global.checkpoints: the checkpoint's learning-rate schedule is at ${got.toPrecision(6)} after ${this.globalStep} steps, the config's would be at ${want.toPrecision(6)} ` +
          '(Global.epochs or Optimizer.lr changed since it was saved?); training continues on the checkpoint\'s schedule',
      );
    }
  }

  /** Trains for Global.epochs (from the checkpoint's next epoch when resuming). */
  async train(): Promise<TrainResult> {
    const cfg = this.config;
    const g = cfg.Global;
    this.prepareTraining();
    const trainLoader = this.trainLoader!;
    const optimizer = this.optimizer!;
    const sched = this.lrScheduler!;
    const trainLoss = buildLoss(cfg.Loss!.Train, 'Loss.Train')!;
    const evalLoss = buildLoss(cfg.Loss!.Eval, 'Loss.Eval');
    const trainMetrics = buildMetrics(cfg.Metric?.Train, 'Metric.Train');
    const evalMetrics = this.evalMetrics();
    const steps = trainLoader.length;
    const epochs = g.epochs;
    this.log.resetMetrics(g.checkpoints ? this.globalStep : null);
    writeConfig(cfg, path.join(this.outputDir, 'config.yaml'));
    const bs = cfg.DataLoader!.Train!.sampler.batch_size;
    this.log.info(
      `train ${this.arch} (${paramCount(this.model)} parameters) on ${this.device}: ${trainLoader.dataset.length} images, ${steps} iterations of ${bs} per epoch, ` +
        `epochs ${this.startEpoch}..${epochs}, ${cfg.Optimizer!.name} with ${cfg.Optimizer!.lr.name} lr; output in ${this.outputDir}`,
    );
    if (this.startEpoch > epochs) this.log.info(`the checkpoint already finished epoch ${epochs} of ${epochs}; nothing to train`);
    let lastEval: EvalResult | null = null;
    let epoch = this.startEpoch - 1;
    let checkedTrain = false;
    try {
      for (epoch = this.startEpoch; epoch <= epochs; epoch++) {
        if (isSetEpoch(trainLoader.batchSampler)) trainLoader.batchSampler.setEpoch(epoch);
        this.model.train();
        const meters = new MeterGroup();
        const batchCost = new AverageMeter();
        const readerCost = new AverageMeter();
        this.log.startBar(`[Train][Epoch ${epoch}/${epochs}]`, steps);
        let iter = 0;
        let tic = performance.now();
        for await (const batch of trainLoader) {
          // PaddleClas resets its timers after five warm-up iterations.
          if (iter === 5) {
            batchCost.reset();
            readerCost.reset();
          }
          readerCost.update((performance.now() - tic) / 1000);
          const { images, labels } = this.unpack(batch, 'DataLoader.Train');
          const n = images.shape[0]!;
          const lr = optimizer.getLr();
          const values = tidy(() => {
            const out = this.model.call(images) as ModelOutput;
            const logits = mainLogits(out);
            if (!checkedTrain) checkTopk(trainMetrics, logits, 'Metric.Train');
            checkedTrain = true;
            checkLabels(labels, logits, 'DataLoader.Train');
            const losses = trainLoss.compute(out, labels);
            losses.loss!.backward();
            optimizer.step();
            optimizer.clearGrad();
            const v: Record<string, number> = {};
            for (const [k, t] of Object.entries(losses)) v[k] = t.item();
            if (labels.kind === 'hard') for (const m of trainMetrics) Object.assign(v, m.compute(logits, labels.label).values);
            return v;
          });
          sched.step();
          this.globalStep++;
          if (!Number.isFinite(values.loss!)) {
            throw new Error(`the training loss became ${values.loss} at epoch ${epoch}, iteration ${iter} (global step ${this.globalStep}); lower Optimizer.lr.learning_rate or check the data`);
          }
          for (const [k, v] of Object.entries(values)) meters.update(k, v, n);
          batchCost.update((performance.now() - tic) / 1000);
          if (iter % g.print_batch_step === 0) {
            const avg = meters.averages();
            const ips = n / batchCost.avg;
            const eta = ((epochs - epoch + 1) * steps - iter) * batchCost.avg;
            const metricMsg = Object.entries(avg).map(([k, v]) => `${k}: ${f5(v)}`).join(', ');
            this.log.info(
              `[Train][Epoch ${epoch}/${epochs}][Iter: ${iter}/${steps}]lr: ${f5(lr)}, ${metricMsg}, batch_cost: ${f5(batchCost.avg)}s, reader_cost: ${f5(readerCost.avg)}, ips: ${f5(ips)} images/sec, eta: ${formatEta(eta)}`,
            );
            this.log.record({ split: 'train', epoch, iter, step: this.globalStep, lr, ...avg, batch_cost: batchCost.avg, reader_cost: readerCost.avg, ips, eta_sec: Math.round(eta) });
          }
          iter++;
          this.log.updateBar(iter, `loss: ${meters.avg('loss')!.toFixed(4)}${meters.avg('top1') !== undefined ? ` top1: ${meters.avg('top1')!.toFixed(4)}` : ''}`);
          tic = performance.now();
        }
        this.log.stopBar();
        this.log.info(`[Train][Epoch ${epoch}/${epochs}][Avg]${Object.entries(meters.averages()).map(([k, v]) => `${k}: ${f5(v)}`).join(', ')}`);

        let acc = 0;
        let epochEval: EvalResult | null = null;
        // PaddleClas's order: best_model when top-1 improves, epoch_N every save_interval, latest always.
        const prefixes: string[] = [];
        // Every eval_interval epochs, and after the last one whatever the interval (PaddleClas
        // would skip it), so a run always ends with the final model's accuracy.
        if (this.evalLoader && (epoch % g.eval_interval === 0 || epoch === epochs)) {
          epochEval = lastEval = await this.evaluate(epoch, this.evalLoader, evalLoss, evalMetrics);
          const key = evalMetrics[0]!.keys[0]!;
          acc = lastEval[key]!;
          if (acc > this.best.metric || this.best.epoch === 0) {
            this.best = { metric: acc, epoch };
            prefixes.push('best_model');
          }
          this.log.info(`[Eval][Epoch ${epoch}][best metric: ${f5(this.best.metric)}] (${key}, epoch ${this.best.epoch})`);
        }
        if (epoch % g.save_interval === 0) prefixes.push(`epoch_${epoch}`);
        prefixes.push('latest');
        this.save(prefixes, epoch, acc);
        this.onEpochEnd?.({ epoch, globalStep: this.globalStep, train: meters.averages(), eval: epochEval });
      }
    } finally {
      this.log.stopBar();
    }
    return { bestMetric: this.best.metric, bestEpoch: this.best.epoch, epoch: Math.max(epoch - 1, this.startEpoch - 1), globalStep: this.globalStep, lastEval };
  }

  private save(prefixes: string[], epoch: number, metric: number): void {
    const saved = saveCheckpoint(this.outputDir, prefixes, this.model, this.optimizer, {
      metric,
      epoch,
      best_metric: this.best.metric,
      best_epoch: this.best.epoch,
      global_step: this.globalStep,
      rng_state: rngState(),
    });
    for (const p of saved) this.log.info(`saved ${p}`);
  }

  // ---- evaluation --------------------------------------------------------------------------------

  /** Evaluates the model on `loader`: averages of the eval losses and metrics over all images. */
  async evaluate(epoch: number, loader: Loader, loss: CombinedLoss | null, metrics: Metric[]): Promise<EvalResult> {
    const g = this.config.Global;
    this.model.eval();
    const meters = new MeterGroup();
    const batchCost = new AverageMeter();
    const readerCost = new AverageMeter();
    const total = loader.length;
    let checked = false;
    let iter = 0;
    this.log.startBar(`[Eval][Epoch ${epoch}]`, total);
    let tic = performance.now();
    try {
      for await (const batch of loader) {
        if (iter === 5) {
          batchCost.reset();
          readerCost.reset();
        }
        readerCost.update((performance.now() - tic) / 1000);
        const { images, labels } = this.unpack(batch, 'DataLoader.Eval');
        if (labels.kind !== 'hard') throw new Error('DataLoader.Eval: batch_transform_ops mix evaluation batches; remove them from the Eval section');
        const n = images.shape[0]!;
        const values = noGrad(() =>
          tidy(() => {
            const out = this.model.call(images) as ModelOutput;
            const logits = mainLogits(out);
            if (!checked) checkTopk(metrics, logits, 'Metric.Eval');
            checked = true;
            checkLabels(labels, logits, 'DataLoader.Eval');
            const v: Record<string, number> = {};
            if (loss) for (const [k, t] of Object.entries(loss.compute(out, labels))) v[k] = t.item();
            for (const m of metrics) Object.assign(v, m.compute(logits, labels.label).values);
            return v;
          }),
        );
        for (const [k, v] of Object.entries(values)) meters.update(k, v, n);
        batchCost.update((performance.now() - tic) / 1000);
        if (iter % g.print_batch_step === 0) {
          this.log.info(
            `[Eval][Epoch ${epoch}][Iter: ${iter}/${total}]${Object.entries(meters.averages()).map(([k, v]) => `${k}: ${f5(v)}`).join(', ')}, batch_cost: ${f5(batchCost.avg)}s, reader_cost: ${f5(readerCost.avg)}, ips: ${f5(n / batchCost.avg)} images/sec`,
          );
        }
        iter++;
        this.log.updateBar(iter, meters.avg('top1') !== undefined ? `top1: ${meters.avg('top1')!.toFixed(4)}` : '');
        tic = performance.now();
      }
    } finally {
      this.log.stopBar();
      this.model.train();
    }
    const avg = meters.averages();
    this.log.info(`[Eval][Epoch ${epoch}][Avg]${Object.entries(avg).map(([k, v]) => `${k}: ${f5(v)}`).join(', ')}`);
    if (this.mode === 'train') this.log.record({ split: 'eval', epoch, step: this.globalStep, ...avg });
    return avg;
  }

  /** `eval` mode: top-1/top-5 (and the Loss.Eval losses) of trained weights on DataLoader.Eval. */
  async eval(): Promise<EvalResult> {
    const cfg = this.config;
    loadPretrained(this.resolveWeights(), this.model, this.log, 'Global.pretrained_model', true);
    const loader = this.buildLoader('Eval');
    const res = await this.evaluate(0, loader, buildLoss(cfg.Loss?.Eval, 'Loss.Eval'), this.evalMetrics());
    this.model.eval();
    return res;
  }

  // ---- prediction --------------------------------------------------------------------------------

  /**
   * `infer` mode: the top-k classes of each image of Infer.infer_imgs, predicted from trained
   * weights through Infer.transforms and Infer.PostProcess (PaddleClas's dygraph infer).
   */
  async infer(images?: string | readonly string[]): Promise<TopkResult[]> {
    const inf = this.config.Infer;
    if (!inf) throw this.missing('Infer', 'infer needs the Infer section: infer_imgs, transforms and PostProcess');
    const files = getImageList(images ?? inf.infer_imgs, images ? '--image' : 'Infer.infer_imgs');
    const ops = createOperators(inf.transforms, 'Infer.transforms');
    const chw = outputLayout(ops) === 'CHW';
    const post = buildPostProcess(inf.PostProcess);
    loadPretrained(this.resolveWeights(), this.model, this.log, 'Global.pretrained_model', true);
    this.model.eval();
    const channels = this.config.Global.image_shape[0]!;
    const results: TopkResult[] = [];
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
      const batch = tidy(() => {
        const x = data.defaultCollate(samples, this.device) as Tensor;
        return noGrad(() => post.apply(mainLogits(this.model.call(x) as ModelOutput), names));
      });
      for (const r of batch) this.log.info(JSON.stringify(r));
      results.push(...batch);
    }
    return results;
  }

  // ---- export ------------------------------------------------------------------------------------

  /**
   * `export` mode. The inference program format (inference.pdmodel / .pdiparams) is a separate,
   * unfinished piece of work; until it lands, export writes the weights as
   * `<save_inference_dir>/inference.pdparams` and the resolved config beside them, which
   * `infer`/`eval` load with `-c <dir>/config.yaml -o Global.pretrained_model=<dir>/inference`.
   */
  export(): ExportResult {
    loadPretrained(this.resolveWeights(), this.model, this.log, 'Global.pretrained_model', true);
    this.model.eval();
    const dir = this.config.Global.save_inference_dir;
    const weights = path.join(dir, `inference${PDPARAMS}`);
    const conf = path.join(dir, 'config.yaml');
    saveWeights(weights, this.model);
    writeConfig(this.config, conf);
    this.log.info(`wrote ${weights} (weights) and ${conf} (the resolved config)`);
    this.log.warn(
      'the inference program (inference.pdmodel + inference.pdiparams) is not written: that format is not implemented yet. ' +
        `Predict from these files with: oar-clas-infer -c ${conf} -o Global.pretrained_model=${path.join(dir, 'inference')} --image <file or folder>`,
    );
    return { files: [weights, conf] };
  }

  /** Releases the model's and optimizer's tensors and the progress bar. */
  close(): void {
    this.log.close();
    this.optimizer?.dispose();
    this.model.dispose();
  }
}

/** TopkAcc's k against the model's class count, on the first batch's logits. */
function checkTopk(metrics: readonly Metric[], logits: Tensor, where: string): void {
  metrics.forEach((m, i) => {
    if (m instanceof TopkAcc) m.checkClasses(logits.shape[logits.ndim - 1]!, `${where}.${i}.TopkAcc`);
  });
}

/** Labels must be class ids of the model: a data set with more classes than Arch.class_num fails here, by name. */
function checkLabels(labels: BatchLabels, logits: Tensor, where: string): void {
  const classes = logits.shape[logits.ndim - 1]!;
  const lists = labels.kind === 'hard' ? [labels.label] : [labels.labelA, labels.labelB];
  for (const l of lists) {
    const ys = l.dataSync() as ArrayLike<number | bigint>;
    for (let i = 0; i < ys.length; i++) {
      const y = Number(ys[i]);
      if (!(y >= 0 && y < classes)) {
        throw new Error(`${where}: label ${y} is not a class of the model, which has ${classes} (Arch.class_num); set Arch.class_num to the data set's number of classes`);
      }
    }
  }
}

/**
 * Gives an image the channel count the model takes (Global.image_shape[0]): a decoded file is
 * always 3-channel (cv2's IMREAD_COLOR), so a model trained on grey images (Fashion-MNIST) gets
 * the luma of the colour image (ITU-R 601, cv2's RGB2GRAY weights), and a 3-channel model
 * repeats a grey plane. Both commute with NormalizeImage when its mean/std is one value.
 */
export function matchChannels(img: data.HostArray, channels: number, what: string): data.HostArray {
  const [c, h, w] = img.shape as [number, number, number];
  if (c === channels) return img;
  const plane = h * w;
  const src = img.data as ArrayLike<number>;
  if (c === 3 && channels === 1) {
    const out = new Float32Array(plane);
    for (let p = 0; p < plane; p++) out[p] = 0.299 * src[p]! + 0.587 * src[plane + p]! + 0.114 * src[2 * plane + p]!;
    return data.hostArray(out, [1, h, w], 'float32');
  }
  if (c === 1 && channels === 3) {
    const out = new Float32Array(3 * plane);
    for (let k = 0; k < 3; k++) for (let p = 0; p < plane; p++) out[k * plane + p] = src[p]!;
    return data.hostArray(out, [3, h, w], 'float32');
  }
  throw new Error(`${what}: Infer.transforms give ${c} channels but the model takes ${channels} (Global.image_shape)`);
}
