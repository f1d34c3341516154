/**
 * ResNet50 inference on the accelerator: Oar's Predictor on `xpu:0` beside PyTorch eager on the
 * same card, in the same run, with the same weights (tools/bench/models/resnet50.ts, seeded).
 *
 *   npx tsx tools/bench/xpu_predictor.ts [--reps 30] [--out path.json]
 *   (on the GPU machine: bash .device/boot.sh node .device/bundle/xpu_predictor.js)
 *
 * Both are timed host to host: the input batch copied to the GPU, the logits copied back, as a
 * serving process sees it. PyTorch also reports its GPU-only time (CUDA events) and its time with
 * TF32 convolutions (its default); Oar computes in exact float32 (OAR_XPU_TF32=1 allows TF32).
 * Before timing, Oar's outputs must match PyTorch's float32 outputs (max |a − b| / max |b| < 1e-3).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as oar from '@oar/core';
import { isAvailable, registerXpuBackend } from '@oar/xpu-backend';
import { benchInput, predictBatch as runOar, saveBenchModel } from './models/resnet50';
import { relError } from './ort';
import { timePredictors } from './device-bench';
import { runMain } from './run-main';

const argv = process.argv.slice(2);
const opt = (k: string, d: string): string => (argv.includes(k) ? argv[argv.indexOf(k) + 1]! : d);
const reps = Number(opt('--reps', '30'));
const out = path.resolve(opt('--out', path.join(process.env.OUT ?? path.join(__dirname, '../../output/bench'), 'xpu_predictor.json')));
const PYTHON = process.env.OAR_BENCH_PYTHON ?? 'python3';
// The Python scripts beside this file (also when run from a bundle under .device/).
const SCRIPTS = process.env.OAR_BENCH_SCRIPTS ?? path.resolve(__dirname.includes('.device') ? 'tools/bench' : __dirname);
const BATCHES = [1, 8];

function main(): void {
  const a = isAvailable();
  if (!a.ok) throw new Error(`no accelerator: ${a.reason}`);
  registerXpuBackend();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'oar-bench-xpu-'));
  try {
    const { model, prefix } = saveBenchModel(dir);
    oar.io.saveStateDict(model.stateDict(), path.join(dir, 'state.pdparams'));
    const xs = new Map(BATCHES.map((b) => [b, benchInput(b)]));
    for (const [b, x] of xs) writeFileSync(path.join(dir, `input_b${b}.bin`), x);

    const t0 = performance.now();
    const r = spawnSync(PYTHON, [path.join(SCRIPTS, 'torch_resnet50_cuda.py'), path.join(dir, 'state.pdparams'), dir, String(reps)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`torch_resnet50_cuda.py failed: ${r.stderr || r.error}`);
    const torch = JSON.parse(readFileSync(path.join(dir, 'torch.json'), 'utf8'));
    const torchSeconds = (performance.now() - t0) / 1000;

    const predictors = [true, false].map((ir) => {
      const c = new oar.inference.Config(prefix);
      c.enableXpu(0);
      c.switchIrOptim(ir);
      const t = performance.now();
      const p = oar.inference.createPredictor(c);
      return { name: ir ? 'Oar Predictor xpu' : 'Oar Predictor xpu, IR optim off', p, createMs: performance.now() - t, firstRunMs: 0 };
    });
    const agreement: Record<string, number> = {};
    for (const b of BATCHES) {
      const bytes = readFileSync(path.join(dir, `torch_out_b${b}.bin`));
      const ref = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      for (const q of predictors) {
        const t = performance.now();
        const y = runOar(q.p, xs.get(b)!, b);
        if (b === 1) q.firstRunMs = performance.now() - t;
        agreement[`${q.name} b${b}`] = relError(y, ref);
      }
    }
    const worst = Math.max(...Object.values(agreement));
    if (!(worst < 1e-3)) throw new Error(`Oar on xpu and PyTorch disagree: ${JSON.stringify(agreement)}`);

    const rows = timePredictors(predictors, BATCHES, reps, (p, b) => runOar(p, xs.get(b)!, b));
    const tRow = (tf32: boolean, b: number): { host_ms: number; gpu_ms: number } => torch.rows.find((x: { tf32: boolean; batch: number }) => x.tf32 === tf32 && x.batch === b);
    const fmt = (v: number, d = 2): string => v.toFixed(d);
    const lines = [
      `ResNet50 inference on ${torch.device}: Oar's Predictor (float32, cuDNN + cuBLAS + NVRTC kernels) beside PyTorch ${torch.torch} eager (cuDNN ${torch.cudnn}); ${reps} timed runs each, medians, host to host`,
      '',
      '| runtime | b1 ms | b8 ms | b8 img/s | b1 speed vs PyTorch fp32 | b8 speed vs PyTorch fp32 |',
      '|---|---|---|---|---|---|',
      ...rows.map((q) => `| ${q.runtime} | ${fmt(q.b1_ms as number)} | ${fmt(q.b8_ms as number)} | ${fmt(8000 / (q.b8_ms as number), 1)} | ${fmt(tRow(false, 1).host_ms / (q.b1_ms as number))}x | ${fmt(tRow(false, 8).host_ms / (q.b8_ms as number))}x |`),
      ...[false, true].map((tf32) => `| PyTorch eager${tf32 ? ' (TF32, its default)' : ' (float32)'} | ${fmt(tRow(tf32, 1).host_ms)} | ${fmt(tRow(tf32, 8).host_ms)} | ${fmt(8000 / tRow(tf32, 8).host_ms, 1)} | ${fmt(tRow(false, 1).host_ms / tRow(tf32, 1).host_ms)}x | ${fmt(tRow(false, 8).host_ms / tRow(tf32, 8).host_ms)}x |`),
      '',
      `PyTorch GPU-only (CUDA events): float32 b1 ${fmt(tRow(false, 1).gpu_ms)} ms, b8 ${fmt(tRow(false, 8).gpu_ms)} ms; TF32 b1 ${fmt(tRow(true, 1).gpu_ms)} ms, b8 ${fmt(tRow(true, 8).gpu_ms)} ms`,
      `agreement with PyTorch float32 (max |a - b| / max |b|): worst ${worst.toExponential(2)}; Predictor creation ${rows.map((q) => fmt(q.create_ms as number, 0)).join(' / ')} ms, first run ${rows.map((q) => fmt(q.first_run_ms as number, 0)).join(' / ')} ms; PyTorch process ${fmt(torchSeconds, 1)} s`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify({ bench: 'xpu_predictor', date: new Date().toISOString(), device: torch.device, reps, rows, torch, agreement }, null, 2) + '\n');
    process.stdout.write(`JSON: ${out}\n`);
    for (const q of predictors) q.p.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
