/**
 * ResNet50 inference through Oar's Predictor (Paddle Inference's API, on a model saved with
 * jit.save) beside ONNX Runtime running the same weights, in the same process.
 *
 *   npx tsx tools/bench/predictor.ts [--threads 2] [--rounds 3] [--out path.json] [--no-ort]
 *
 * The model is tools/bench/models/resnet50.ts with seeded random weights and batch-norm
 * statistics; tools/bench/resnet50_onnx.py exports the same weights through PyTorch to ONNX. The
 * two runtimes must agree on the outputs before either is timed. Rounds alternate the runtimes
 * (Oar with IR optimization, Oar without, ONNX Runtime), each timed over several runs per batch
 * size; the table gives medians over all runs: milliseconds per batch, images/s, and Oar / ORT
 * speed (above 1: Oar is faster).
 *
 * onnxruntime-node (about 290 MB) is not a dependency of the repository: it is installed on first
 * use into `$OAR_BENCH_DEPS` (default ~/.cache/oar-bench) with its CUDA download skipped
 * (ONNXRUNTIME_NODE_INSTALL=skip), from the npm registry.
 */
import './thread-env'; // first: thread counts before @oar/core loads its libraries
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as oar from '@oar/core';
import { benchInput as input, predictBatch as runOar, saveBenchModel } from './models/resnet50';
import { loadOrt, ORT_VERSION, relError } from './ort';
import { runMain } from './run-main';

const argv = process.argv.slice(2);
const opt = (k: string, d: string): string => (argv.includes(k) ? argv[argv.indexOf(k) + 1]! : d);
const threads = Number(opt('--threads', '2'));
const rounds = Number(opt('--rounds', '3'));
const withOrt = !argv.includes('--no-ort');
const out = path.resolve(opt('--out', path.join(__dirname, '../../output/bench/predictor.json')));
const PYTHON = process.env.OAR_BENCH_PYTHON ?? '/usr/bin/python3';
/** Timed runs per round, per batch size. */
const REPS: Record<number, number> = { 1: 8, 8: 2 };
const BATCHES = [1, 8];

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const now = (): number => performance.now();

// ---- the model -----------------------------------------------------------------------------

function predictor(prefix: string, irOptim: boolean): oar.inference.Predictor {
  const c = new oar.inference.Config(prefix);
  c.setCpuMathLibraryNumThreads(threads);
  c.switchIrOptim(irOptim);
  return oar.inference.createPredictor(c);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'oar-bench-predictor-'));
  try {
    const { model, prefix } = saveBenchModel(dir);
    const onnxFile = path.join(dir, 'resnet50.onnx');
    if (withOrt) {
      oar.io.saveStateDict(model.stateDict(), path.join(dir, 'state.pdparams'));
      const r = spawnSync(PYTHON, [path.join(__dirname, 'resnet50_onnx.py'), path.join(dir, 'state.pdparams'), onnxFile], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`resnet50_onnx.py failed: ${r.stderr || r.error}`);
    }
    model.dispose?.();

    const runners: { name: string; run: (batch: number) => Promise<Float32Array> }[] = [];
    const fused = predictor(prefix, true);
    const plain = predictor(prefix, false);
    const xs = new Map(BATCHES.map((b) => [b, input(b)]));
    runners.push({ name: 'Oar Predictor', run: async (b) => runOar(fused, xs.get(b)!, b) });
    runners.push({ name: 'Oar, IR optim off', run: async (b) => runOar(plain, xs.get(b)!, b) });
    if (withOrt) {
      const ort = loadOrt();
      const session = await ort.InferenceSession.create(onnxFile, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      const feeds = new Map(BATCHES.map((b) => [b, { x: new ort.Tensor('float32', xs.get(b)!, [b, 3, 224, 224]) }]));
      runners.push({ name: `ONNX Runtime ${ORT_VERSION}`, run: async (b) => (await session.run(feeds.get(b)!)).logits!.data });
    }

    // Agreement first: every runner against Oar's unfused run.
    const agreement: Record<string, number> = {};
    for (const b of BATCHES) {
      const ref = await runners[1]!.run(b);
      for (const r of runners) agreement[`${r.name} b${b}`] = relError(await r.run(b), ref);
    }
    const worst = Math.max(...Object.values(agreement));
    if (!(worst < 1e-4)) throw new Error(`the runtimes disagree: ${JSON.stringify(agreement)}`);

    const times = new Map<string, number[]>();
    for (let round = 0; round < rounds; round++) {
      for (const b of BATCHES) {
        for (const r of runners) {
          await r.run(b); // warm: this batch size's primitives and buffers
          const list = times.get(`${r.name}|${b}`) ?? [];
          for (let i = 0; i < REPS[b]!; i++) {
            const t0 = now();
            await r.run(b);
            list.push(now() - t0);
          }
          times.set(`${r.name}|${b}`, list);
        }
      }
    }

    const rows = runners.map((r) => {
      const row: Record<string, number | string> = { runtime: r.name };
      for (const b of BATCHES) {
        const ms = median(times.get(`${r.name}|${b}`)!);
        row[`b${b}_ms`] = ms;
        row[`b${b}_img_s`] = (1000 * b) / ms;
      }
      return row;
    });
    const ortRow = withOrt ? rows[rows.length - 1]! : undefined;
    const fmt = (v: number, d = 1): string => v.toFixed(d);
    const lines = [
      `ResNet50 inference, ${threads} thread(s), ${rounds} rounds; ${oar.dnnlInfo() ? `oneDNN ${oar.dnnlInfo()!.version}` : 'no oneDNN'}; fusions: ${fused.passes.map((p) => `${p.pass} ${p.fused}`).join(', ')}`,
      '',
      '| runtime | b1 ms | b8 ms | b8 img/s | b1 speed vs ORT | b8 speed vs ORT |',
      '|---|---|---|---|---|---|',
      ...rows.map((r) => {
        const ratio = (b: number): string => (ortRow ? `${fmt((ortRow[`b${b}_ms`] as number) / (r[`b${b}_ms`] as number), 2)}x` : '-');
        return `| ${r.runtime} | ${fmt(r.b1_ms as number)} | ${fmt(r.b8_ms as number)} | ${fmt(r.b8_img_s as number, 2)} | ${ratio(1)} | ${ratio(8)} |`;
      }),
      '',
      `agreement (max |a - b| / max |b| against Oar without IR optimization): worst ${worst.toExponential(2)}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(
      out,
      JSON.stringify(
        {
          bench: 'predictor',
          date: new Date().toISOString(),
          host: { cpus: os.cpus().length, model: os.cpus()[0]?.model, threads },
          dnnl: oar.dnnlInfo(),
          passes: fused.passes,
          rounds,
          rows,
          agreement,
        },
        null,
        2,
      ) + '\n',
    );
    process.stdout.write(`JSON: ${out}\n`);
    fused.dispose();
    plain.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
