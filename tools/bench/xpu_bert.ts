/**
 * BERT-base and ERNIE 1.0 inference on the accelerator: Oar's Predictor on `xpu:0` beside PyTorch
 * eager on the same card, in the same run, with the same weights.
 *
 *   npx tsx tools/bench/xpu_bert.ts [--models bert-base-uncased,ernie-1.0] [--reps 30] [--out path.json] [--profile]
 *   (on the GPU machine: bash .device/boot.sh node .device/bundle/xpu_bert.js)
 *
 * Each model is @oar/nlp's backbone with seeded random weights (PaddleNLP's initialization),
 * saved with jit.save (inputs input_ids and token_type_ids, int64 [-1, -1]; outputs
 * sequence_output and pooled_output), as tools/bench/bert.ts does for the CPU. Sequences are 128
 * long: batch 1 holds 100 tokens, batch 8 rows of 128 down to 16, the rest padding (pad id 0,
 * masked as the models mask it).
 *
 * Correctness first: the xpu Predictor (IR optimization on and off) must match Oar's CPU Predictor
 * (max |a − b| / max |b| < 1e-3, both outputs, both batch sizes), and PyTorch's float32 outputs
 * are compared too. Then each is timed host to host (ids copied in, both outputs copied out):
 * medians of --reps runs after 5 warm-up runs. PyTorch (tools/bench/torch_bert_cuda.py) also
 * reports its GPU-only time and its time with TF32; Oar computes in exact float32.
 *
 * --profile: also, for the IR-optimized Predictor at each batch size, the median time of run()
 * alone (the host queueing the work; the device finishes it during the output copy) and one
 * profiled run's device time per operator type (each operator waited for).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as oar from '@oar/core';
import { createBackbone, namedConfig } from '@oar/nlp';
import { isAvailable, registerXpuBackend } from '@oar/xpu-backend';
import { relError } from './ort';
import { median, timePredictors } from './device-bench';
import { runMain } from './run-main';

const argv = process.argv.slice(2);
const opt = (k: string, d: string): string => (argv.includes(k) ? argv[argv.indexOf(k) + 1]! : d);
const models = opt('--models', 'bert-base-uncased,ernie-1.0').split(',');
const reps = Number(opt('--reps', '30'));
const withProfile = argv.includes('--profile');
const out = path.resolve(opt('--out', path.join(process.env.OUT ?? path.join(__dirname, '../../output/bench'), 'xpu_bert.json')));
const PYTHON = process.env.OAR_BENCH_PYTHON ?? 'python3';
// The Python scripts beside this file (also when run from a bundle under .device/).
const SCRIPTS = process.env.OAR_BENCH_SCRIPTS ?? path.resolve(__dirname.includes('.device') ? 'tools/bench' : __dirname);
const SEQ = 128;
const LENGTHS: Record<number, number[]> = { 1: [100], 8: [128, 112, 96, 80, 64, 48, 32, 16] };
const BATCHES = [1, 8];
const TOLERANCE = 1e-3;
const log = (s: string): void => void process.stdout.write(`${s}\n`);

/** forward(input_ids, token_type_ids) → [sequence_output, pooled_output], the signature jit.save traces. */
class ForInference extends oar.nn.Layer {
  constructor(readonly backbone: oar.nn.Layer) {
    super();
  }

  override forward(inputIds: oar.Tensor, tokenTypeIds: oar.Tensor): [oar.Tensor, oar.Tensor] {
    return this.backbone.call(inputIds, tokenTypeIds) as [oar.Tensor, oar.Tensor];
  }
}

interface Batch {
  ids: BigInt64Array;
  types: BigInt64Array;
}

/** Token ids in [1, vocab) where a row has tokens, pad (0) after; the second half of each row is segment 1. */
function batchOf(b: number, vocab: number, seed: number): Batch {
  let s = seed;
  const rand = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const ids = new BigInt64Array(b * SEQ);
  const types = new BigInt64Array(b * SEQ);
  LENGTHS[b]!.forEach((len, r) => {
    for (let j = 0; j < len; j++) {
      ids[r * SEQ + j] = BigInt(1 + Math.floor(rand() * (vocab - 1)));
      types[r * SEQ + j] = j >= len / 2 ? 1n : 0n;
    }
  });
  return { ids, types };
}

/** One host-to-host run: ids in, both outputs out. */
function predict(p: oar.inference.Predictor, x: Batch, b: number): Float32Array[] {
  const [ids, types] = p.getInputNames().map((n) => p.getInputHandle(n));
  ids!.reshape([b, SEQ]);
  ids!.copyFromCpu(x.ids);
  types!.reshape([b, SEQ]);
  types!.copyFromCpu(x.types);
  p.run();
  return p.getOutputNames().map((n) => p.getOutputHandle(n).copyToCpu() as Float32Array);
}

function predictor(prefix: string, device: 'cpu' | 'xpu', ir: boolean): oar.inference.Predictor {
  const c = new oar.inference.Config(prefix);
  if (device === 'xpu') c.enableXpu(0);
  else c.setCpuMathLibraryNumThreads(os.cpus().length);
  c.switchIrOptim(ir);
  return oar.inference.createPredictor(c);
}

interface ModelResult {
  model: string;
  profile?: Record<string, { runOnlyMs: number; ops: string }>;
  agreement: Record<string, number>;
  rows: Record<string, number | string>[];
  torch: { torch: string; device: string; rows: { tf32: boolean; batch: number; host_ms: number; gpu_ms: number }[] };
}

function benchModel(name: string, dir: string): ModelResult {
  const { type, config } = namedConfig(name);
  oar.seed(0);
  const model = createBackbone(type, config);
  model.eval();
  oar.io.saveStateDict(model.stateDict(), path.join(dir, 'state.pdparams'));
  const prefix = path.join(dir, type);
  oar.jit.save(new ForInference(model), prefix, ['input_ids', 'token_type_ids'].map((n) => new oar.InputSpec([-1, -1], 'int64', n)));
  const xs = new Map(BATCHES.map((b) => [b, batchOf(b, config.vocab_size, 17 + b)]));
  for (const [b, x] of xs) {
    const rows = (a: BigInt64Array): number[][] => Array.from({ length: b }, (_, r) => Array.from(a.subarray(r * SEQ, (r + 1) * SEQ), Number));
    writeFileSync(path.join(dir, `inputs_b${b}.json`), JSON.stringify({ ids: rows(x.ids), types: rows(x.types) }));
  }

  const t0 = performance.now();
  const r = spawnSync(PYTHON, [path.join(SCRIPTS, 'torch_bert_cuda.py'), path.join(dir, 'state.pdparams'), JSON.stringify(config), type, dir, String(reps)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`torch_bert_cuda.py failed: ${r.stderr || r.error}`);
  const torch = JSON.parse(readFileSync(path.join(dir, 'torch.json'), 'utf8')) as ModelResult['torch'];
  log(`${name}: PyTorch done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // The reference: Oar's CPU Predictor (which matches PyTorch to 1e-4 in tools/bench/bert.ts).
  const cpu = predictor(prefix, 'cpu', true);
  const want = new Map(BATCHES.map((b) => [b, predict(cpu, xs.get(b)!, b)]));
  cpu.dispose();
  const runners = [true, false].map((ir) => {
    const t = performance.now();
    const p = predictor(prefix, 'xpu', ir);
    return { name: ir ? 'Oar Predictor xpu' : 'Oar Predictor xpu, IR optim off', p, createMs: performance.now() - t, firstRunMs: 0 };
  });
  const agreement: Record<string, number> = {};
  for (const b of BATCHES) {
    const bytes = readFileSync(path.join(dir, `torch_out_b${b}.bin`));
    const flat = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const h = config.hidden_size;
    const torchOut = [flat.subarray(0, b * SEQ * h), flat.subarray(b * SEQ * h)];
    for (const q of runners) {
      const t = performance.now();
      const got = predict(q.p, xs.get(b)!, b);
      if (b === 1) q.firstRunMs = performance.now() - t;
      agreement[`${q.name} vs Oar cpu b${b}`] = Math.max(...got.map((g, i) => relError(g, want.get(b)![i]!)));
      agreement[`${q.name} vs PyTorch b${b}`] = Math.max(...got.map((g, i) => relError(g, torchOut[i]!)));
    }
  }
  const worst = Math.max(...Object.entries(agreement).filter(([k]) => k.includes('Oar cpu')).map(([, v]) => v));
  if (!(worst < TOLERANCE)) throw new Error(`${name}: Oar on xpu and on the CPU disagree: ${JSON.stringify(agreement)}`);

  const rows = timePredictors(runners, BATCHES, reps, (p, b) => predict(p, xs.get(b)!, b));
  for (const q of runners) q.p.dispose();
  return { model: name, agreement, rows, torch, ...(withProfile ? { profile: profileXpu(prefix, xs) } : {}) };
}

/** run() alone (host queueing time) and one profiled run's operator times, IR optimization on. */
function profileXpu(prefix: string, xs: Map<number, Batch>): Record<string, { runOnlyMs: number; ops: string }> {
  const result: Record<string, { runOnlyMs: number; ops: string }> = {};
  for (const b of BATCHES) {
    const p = predictor(prefix, 'xpu', true);
    const times: number[] = [];
    for (let i = 0; i < reps + 5; i++) {
      const [ids, types] = p.getInputNames().map((n) => p.getInputHandle(n));
      ids!.reshape([b, SEQ]);
      ids!.copyFromCpu(xs.get(b)!.ids);
      types!.reshape([b, SEQ]);
      types!.copyFromCpu(xs.get(b)!.types);
      const t = performance.now();
      p.run();
      if (i >= 5) times.push(performance.now() - t);
      p.getOutputNames().map((n) => p.getOutputHandle(n).copyToCpu());
    }
    p.dispose();
    const c = new oar.inference.Config(prefix);
    c.enableXpu(0);
    c.enableProfile();
    const pp = oar.inference.createPredictor(c);
    for (let i = 0; i < 3; i++) predict(pp, xs.get(b)!, b);
    pp.executor.setProfiling(true);
    predict(pp, xs.get(b)!, b);
    result[`b${b}`] = { runOnlyMs: median(times), ops: pp.profileReport() };
    pp.dispose();
  }
  return result;
}

function table(m: ModelResult): string[] {
  const t = (tf32: boolean, b: number): { host_ms: number; gpu_ms: number } => m.torch.rows.find((x) => x.tf32 === tf32 && x.batch === b)!;
  const fmt = (v: number, d = 2): string => v.toFixed(d);
  const row = (name: string, b1: number, b8: number): string =>
    `| ${name} | ${fmt(b1)} | ${fmt(b8)} | ${fmt(8000 / b8, 0)} | ${fmt(t(false, 1).host_ms / b1)}x | ${fmt(t(false, 8).host_ms / b8)}x |`;
  return [
    `${m.model}, sequence 128, on ${m.torch.device}: Oar's Predictor (float32) beside PyTorch ${m.torch.torch} eager; ${reps} timed runs each, medians, host to host`,
    '',
    '| runtime | b1 ms | b8 ms | b8 seq/s | b1 speed vs PyTorch fp32 | b8 speed vs PyTorch fp32 |',
    '|---|---|---|---|---|---|',
    ...m.rows.map((q) => row(q.runtime as string, q.b1_ms as number, q.b8_ms as number)),
    ...[false, true].map((tf32) => row(`PyTorch eager${tf32 ? ' (TF32)' : ' (float32)'}`, t(tf32, 1).host_ms, t(tf32, 8).host_ms)),
    '',
    `PyTorch GPU-only (CUDA events): float32 b1 ${fmt(t(false, 1).gpu_ms)} ms, b8 ${fmt(t(false, 8).gpu_ms)} ms`,
    `agreement (max |a - b| / max |b|): ${Object.entries(m.agreement)
      .map(([k, v]) => `${k} ${v.toExponential(1)}`)
      .join('; ')}`,
    `Predictor creation ${m.rows.map((q) => fmt(q.create_ms as number, 0)).join(' / ')} ms, first run ${m.rows.map((q) => fmt(q.first_run_ms as number, 0)).join(' / ')} ms`,
    '',
    ...Object.entries(m.profile ?? {}).flatMap(([b, p]) => [`${b}: run() alone ${fmt(p.runOnlyMs)} ms (host queueing); one profiled run, each operator waited for:`, p.ops, '']),
  ];
}

function main(): void {
  const a = isAvailable();
  if (!a.ok) throw new Error(`no accelerator: ${a.reason}`);
  registerXpuBackend();
  const results: ModelResult[] = [];
  for (const name of models) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'oar-bench-xpu-bert-'));
    try {
      results.push(benchModel(name, dir));
      log(table(results[results.length - 1]!).join('\n'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ bench: 'xpu_bert', date: new Date().toISOString(), reps, results }, null, 2) + '\n');
  log(`JSON: ${out}`);
}

runMain(main);
