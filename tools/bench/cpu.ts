/**
 * CPU speed benchmark of @oar/core against PyTorch on the same machine (tools/bench/README.md).
 *
 *   npx tsx tools/bench/cpu.ts [--threads 2] [--quick] [--out path.json] [--rounds N]
 *                              [--sections sgemm,conv,resnet] [--no-torch] [--profile]
 *
 * Each figure is the median of timed runs after warm-up runs (process.hrtime.bigint). Oar and
 * PyTorch (tools/bench/torch_cpu.py under /usr/bin/python3, same thread count) are measured part
 * by part (SGEMM, convolution, ResNet50 forward, ResNet50 training step), back to back,
 * alternating which goes first in each round, so both see the same machine load; the samples of
 * all rounds are pooled before the median. Ratio = Oar speed / PyTorch speed (> 1: Oar faster).
 * --profile adds a per-operator breakdown of one ResNet50 forward and training step.
 */
import './thread-env'; // first: sets OAR_NUM_THREADS before @oar/core loads OpenBLAS
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as OarCore from '@oar/core';
import { ResNet50, countParams } from './models/resnet50';
import { runMain } from './run-main';

type Oar = typeof OarCore;
type Section = 'sgemm' | 'conv' | 'resnet';
const ALL_SECTIONS: Section[] = ['sgemm', 'conv', 'resnet'];
/** What runs back to back (Oar, then PyTorch, or the reverse): ResNet50 in two parts. */
type Part = 'sgemm' | 'conv' | 'resnet_fwd' | 'resnet_train';
const PARTS: Record<Section, Part[]> = { sgemm: ['sgemm'], conv: ['conv'], resnet: ['resnet_fwd', 'resnet_train'] };

interface Args {
  threads: number;
  quick: boolean;
  out: string;
  rounds: number;
  sections: Section[];
  torch: boolean;
  profile: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    threads: 2,
    quick: false,
    out: path.resolve(__dirname, '../../output/bench/cpu.json'),
    rounds: 0,
    sections: ALL_SECTIONS,
    torch: true,
    profile: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${k} needs a value`);
      return v;
    };
    if (k === '--threads') a.threads = Number(val());
    else if (k === '--quick') a.quick = true;
    else if (k === '--out') a.out = path.resolve(val());
    else if (k === '--rounds') a.rounds = Number(val());
    else if (k === '--no-torch') a.torch = false;
    else if (k === '--profile') a.profile = true;
    else if (k === '--sections') {
      const s = val().split(',').filter(Boolean);
      for (const x of s) if (!ALL_SECTIONS.includes(x as Section)) throw new Error(`unknown section ${x}; sections are ${ALL_SECTIONS.join(', ')}`);
      a.sections = s as Section[];
    } else if (k === '--help' || k === '-h') {
      process.stdout.write(readFileSync(__filename, 'utf8').split('\n').slice(0, 14).join('\n') + '\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${k}`);
  }
  if (!(Number.isInteger(a.threads) && a.threads >= 1)) throw new Error('--threads must be an integer >= 1');
  if (a.rounds === 0) a.rounds = a.quick ? 1 : 2;
  return a;
}

const args = parseArgs(process.argv.slice(2));

if (process.env.OAR_NUM_THREADS !== String(args.threads)) throw new Error('thread-env.ts did not set OAR_NUM_THREADS');

/** Repetitions per round. */
const REPS = args.quick
  ? { warmup: 1, gemm: 3, conv: 2, model: 1 }
  : { warmup: 1, gemm: 10, conv: 5, model: 3 };
/** ResNet50 batch-1 forward runs per model run (cheap, and the noisiest figure). */
const B1_FACTOR = 3;

// ---- timing ----------------------------------------------------------------------------------

function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Times `reps` runs of fn after `warmup` runs; `afterWarmup` runs between the two. */
function timeRuns(fn: () => void, warmup: number, reps: number, afterWarmup?: () => void): number[] {
  for (let i = 0; i < warmup; i++) fn();
  afterWarmup?.();
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Samples (ms) per measurement key; a key gathers the samples of every round. */
type Samples = Record<string, number[]>;

function merge(into: Samples, from: Samples): void {
  for (const [k, v] of Object.entries(from)) (into[k] ??= []).push(...v);
}

// ---- the measurements ------------------------------------------------------------------------

const GEMM_SHAPES: [number, number, number][] = [
  [1024, 1024, 1024],
  [3136, 576, 64],
  [784, 1152, 128],
];
const gemmKey = ([m, k, n]: [number, number, number]): string => `${m}x${k}x${n}`;

/** 3x3 convolution N=8, 64→64, 56x56, stride 1, pad 1. */
const CONV = { n: 8, c: 64, m: 64, h: 56, w: 56, k: 3 };
const CONV_FLOP = 2 * CONV.n * CONV.m * CONV.c * CONV.k * CONV.k * CONV.h * CONV.w;

interface OarContext {
  oar: Oar;
  model?: ResNet50;
  opt?: OarCore.optim.Momentum;
  params?: number;
  /** Live tensors before and after the timed runs (after the warm-up runs for ResNet50). */
  memory: Record<string, { before: number; after: number }>;
  checks: Record<string, number>;
}

function oarSgemm(ctx: OarContext): Samples {
  const { oar } = ctx;
  const s: Samples = {};
  for (const shape of GEMM_SHAPES) {
    const [m, k, n] = shape;
    const a = oar.randn([m, k]);
    const b = oar.randn([k, n]);
    s[`sgemm.${gemmKey(shape)}`] = timeRuns(
      () => oar.tidy(() => void oar.matmul(a, b)),
      REPS.warmup + 2,
      REPS.gemm * 2,
    );
    a.dispose();
    b.dispose();
  }
  return s;
}

function oarConv(ctx: OarContext): Samples {
  const { oar } = ctx;
  const before = oar.memory().numTensors;
  const x = oar.randn([CONV.n, CONV.c, CONV.h, CONV.w]);
  const w = oar.tidy(() => oar.scale(oar.randn([CONV.m, CONV.c, CONV.k, CONV.k]), 0.05));
  const dy = oar.randn([CONV.n, CONV.m, CONV.h, CONV.w]);
  const attrs = { strides: [1, 1], paddings: [1, 1], dilations: [1, 1], groups: 1, data_format: 'NCHW' };
  const grad = (): OarCore.SlotMap<OarCore.Tensor> => oar.engine.runOp('conv2d_grad', { Input: x, Filter: w, 'Output@GRAD': dy }, attrs);
  // conv2d_grad computes both gradients in one call; conv2d_transpose's forward is the same
  // data-gradient routine (specs/conv.ts: a transposed convolution is the data gradient of the
  // convolution from its Output to its Input). Check once that they agree.
  if (ctx.checks['conv.backward_data_vs_grad'] === undefined) {
    oar.noGrad(() =>
      oar.tidy(() => {
        const viaT = oar.conv2dTranspose(dy, w, null, { padding: 1 }).dataSync();
        const viaG = (grad()['Input@GRAD'] as OarCore.Tensor).dataSync();
        let maxErr = 0;
        let maxRef = 0;
        for (let i = 0; i < viaG.length; i++) {
          maxErr = Math.max(maxErr, Math.abs(Number(viaT[i]) - Number(viaG[i])));
          maxRef = Math.max(maxRef, Math.abs(Number(viaG[i])));
        }
        ctx.checks['conv.backward_data_vs_grad'] = maxErr / (maxRef || 1);
      }),
    );
  }
  // Data gradient alone and both gradients, timed in alternation; the filter gradient is the
  // difference within each pair, so that load drifting over the run cancels out.
  const s: Samples = oar.noGrad(() => {
    const fwd = timeRuns(() => oar.tidy(() => void oar.conv2d(x, w, null, { padding: 1 })), REPS.warmup, REPS.conv);
    const data: number[] = [];
    const both: number[] = [];
    const runData = (): void => oar.tidy(() => void oar.conv2dTranspose(dy, w, null, { padding: 1 }));
    const runBoth = (): void => oar.tidy(() => void grad());
    for (let i = 0; i < REPS.conv + REPS.warmup; i++) {
      const d = timeRuns(runData, 0, 1)[0]!;
      const b = timeRuns(runBoth, 0, 1)[0]!;
      if (i < REPS.warmup) continue;
      data.push(d);
      both.push(b);
    }
    return {
      'conv.forward': fwd,
      'conv.backward_data': data,
      'conv.backward_filter': both.map((b, i) => b - data[i]!),
      'conv.backward_both': both,
    };
  });
  x.dispose();
  w.dispose();
  dy.dispose();
  ctx.memory['conv'] = { before, after: oar.memory().numTensors };
  return s;
}

/** ResNet50 forward at batch 1 and 8 (eval, noGrad), or one training step at batch 8. */
function oarResnet(ctx: OarContext, part: 'fwd' | 'train'): Samples {
  const { oar } = ctx;
  if (!ctx.model) {
    oar.seed(0);
    ctx.model = new ResNet50();
    ctx.params = countParams(ctx.model);
  }
  const model = ctx.model;
  const s: Samples = {};
  // Live tensors after the warm-up runs and after the timed runs: equal when memory stays flat.
  const flat = (key: string, fn: () => void, reps: number): number[] => {
    let after = 0;
    const r = timeRuns(fn, REPS.warmup, reps, () => (after = oar.memory().numTensors));
    ctx.memory[key] = { before: after, after: oar.memory().numTensors };
    return r;
  };
  const x8 = oar.randn([8, 3, 224, 224]);
  const forward8 = (): void => oar.tidy(() => void model.call(x8));
  if (part === 'fwd') {
    const x1 = oar.randn([1, 3, 224, 224]);
    model.eval();
    oar.noGrad(() => {
      s['resnet.forward_b1'] = flat('resnet.forward_b1', () => oar.tidy(() => void model.call(x1)), REPS.model * B1_FACTOR);
      s['resnet.forward_b8'] = flat('resnet.forward_b8', forward8, REPS.model);
      if (args.profile && !profiles.forward_b8) profiles.forward_b8 = profileOps(oar, forward8);
    });
    x1.dispose();
  } else {
    const labels = oar.randint(0, 1000, [8], { dtype: 'int64' });
    model.train();
    // The first step creates the gradients and the optimizer's velocity accumulators.
    const opt = (ctx.opt ??= new oar.optim.Momentum({
      learningRate: 0.01,
      momentum: 0.9,
      parameters: model.parameters().filter((p) => p.trainable),
    }));
    const step = (): void =>
      oar.tidy(() => {
        const loss = oar.crossEntropy(model.call(x8), labels);
        loss.backward();
        opt.step();
        opt.clearGrad();
      });
    s['resnet.train_b8'] = flat('resnet.train_b8', step, REPS.model);
    if (args.profile && !profiles.train_b8) profiles.train_b8 = profileOps(oar, step);
    labels.dispose();
  }
  x8.dispose();
  return s;
}

// ---- op profile (--profile) ------------------------------------------------------------------

interface OpProfile {
  totalMs: number;
  /** Time outside any operator (layer code, autograd bookkeeping, tidy). */
  outsideOpsMs: number;
  /** Per operator type: calls, inclusive ms, elements of the first output, ns per such element. */
  ops: { type: string; calls: number; ms: number; share: number; outElems: number; nsPerElem: number }[];
}
const profiles: Record<string, OpProfile> = {};

/**
 * Times one run of `fn` per operator type by wrapping `engine.runOp` (every operator call, the
 * backward pass's included, goes through it): the time of each outermost call, from attribute
 * resolution to autograd recording, is charged to its type.
 */
function profileOps(oar: Oar, fn: () => void): OpProfile {
  const eng = oar.engine;
  const acc = new Map<string, { calls: number; ms: number; outElems: number }>();
  const orig = eng.runOp;
  let depth = 0;
  eng.runOp = function (this: typeof eng, ...a: Parameters<typeof orig>): ReturnType<typeof orig> {
    if (depth > 0) return orig.apply(this, a);
    depth++;
    const t0 = nowMs();
    try {
      const out = orig.apply(this, a);
      const e = acc.get(a[0]) ?? { calls: 0, ms: 0, outElems: 0 };
      e.calls++;
      e.ms += nowMs() - t0;
      const first = Object.values(out)[0];
      e.outElems += first === undefined ? 0 : Array.isArray(first) ? first.reduce((n, t) => n + t.size, 0) : first.size;
      acc.set(a[0], e);
      return out;
    } finally {
      depth--;
    }
  };
  const t0 = nowMs();
  try {
    fn();
  } finally {
    eng.runOp = orig;
  }
  const total = nowMs() - t0;
  const ops = [...acc]
    .map(([type, e]) => ({ type, calls: e.calls, ms: e.ms, share: e.ms / total, outElems: e.outElems, nsPerElem: e.outElems ? (e.ms * 1e6) / e.outElems : 0 }))
    .sort((a, b) => b.ms - a.ms);
  return { totalMs: total, outsideOpsMs: total - ops.reduce((x, o) => x + o.ms, 0), ops };
}

// ---- PyTorch anchor --------------------------------------------------------------------------

/** Debian's python3 with python3-torch; OAR_BENCH_PYTHON points elsewhere. */
const PYTHON = process.env.OAR_BENCH_PYTHON ?? '/usr/bin/python3';
let torchInfo: { available: boolean; version?: string; mkldnn?: boolean; error?: string } | null = null;

function runTorch(section: Part): Samples {
  if (torchInfo && !torchInfo.available) return {};
  const r = spawnSync(
    PYTHON,
    [
      path.join(__dirname, 'torch_cpu.py'),
      '--threads', String(args.threads),
      '--sections', section,
      '--warmup', String(REPS.warmup),
      '--reps', String(section === 'sgemm' ? REPS.gemm : REPS.conv),
      '--model-reps', String(REPS.model),
    ],
    {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      env: {
        ...process.env,
        OMP_NUM_THREADS: String(args.threads),
        MKL_NUM_THREADS: String(args.threads),
        OPENBLAS_NUM_THREADS: String(args.threads),
      },
    },
  );
  let parsed: Record<string, unknown> | null = null;
  try {
    const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
    parsed = JSON.parse(line) as Record<string, unknown>;
  } catch {
    parsed = null;
  }
  if (!parsed || parsed.available !== true) {
    const why = r.error ? String(r.error.message) : parsed ? String(parsed.error) : (r.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
    torchInfo = { available: false, error: why || `exit status ${r.status}` };
    process.stdout.write(`PyTorch anchor unavailable (${PYTHON}: ${torchInfo.error}); reporting Oar's numbers alone.\n`);
    return {};
  }
  torchInfo = { available: true, version: String(parsed.torch_version), mkldnn: Boolean(parsed.mkldnn) };
  const s: Samples = {};
  const group = section.startsWith('resnet') ? 'resnet' : section;
  const sec = parsed[group] as Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(sec ?? {})) {
    if (Array.isArray(v)) s[`${group}.${k}`] = v as number[];
    else if (k === 'params') torchParams = Number(v);
  }
  return s;
}
let torchParams: number | undefined;

// ---- report ----------------------------------------------------------------------------------

interface Metric {
  key: string;
  label: string;
  unit: string;
  /** Speed-like value from a median time in ms; bigger is faster when `higherIsBetter`. */
  value: (ms: number) => number;
  higherIsBetter: boolean;
  /** Oar's best-run time when it is not its smallest sample (a difference of paired runs). */
  oarBest?: (s: Samples) => number;
}

const gflops = (flop: number) => (ms: number) => flop / (ms * 1e6);

const METRICS: Metric[] = [
  ...GEMM_SHAPES.map(([m, k, n]): Metric => ({
    key: `sgemm.${m}x${k}x${n}`,
    label: `SGEMM ${m}x${k}x${n}`,
    unit: 'GFLOP/s',
    value: gflops(2 * m * k * n),
    higherIsBetter: true,
  })),
  { key: 'conv.forward', label: 'conv3x3 fwd', unit: 'ms', value: (ms) => ms, higherIsBetter: false },
  { key: 'conv.backward_data', label: 'conv3x3 bwd-data', unit: 'ms', value: (ms) => ms, higherIsBetter: false },
  {
    key: 'conv.backward_filter',
    label: 'conv3x3 bwd-filter',
    unit: 'ms',
    value: (ms) => ms,
    higherIsBetter: false,
    // Oar's samples are differences of pairs (one can even be negative): best = best both − best data.
    oarBest: (s) => Math.min(...(s['conv.backward_both'] ?? [])) - Math.min(...(s['conv.backward_data'] ?? [])),
  },
  { key: 'conv.backward_both', label: 'conv3x3 bwd (both)', unit: 'ms', value: (ms) => ms, higherIsBetter: false },
  { key: 'resnet.forward_b1', label: 'ResNet50 fwd b1', unit: 'ms', value: (ms) => ms, higherIsBetter: false },
  { key: 'resnet.forward_b8', label: 'ResNet50 fwd b8', unit: 'img/s', value: (ms) => 8000 / ms, higherIsBetter: true },
  { key: 'resnet.train_b8', label: 'ResNet50 train b8', unit: 'img/s', value: (ms) => 8000 / ms, higherIsBetter: true },
];

function fmt(v: number | undefined, unit: string): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  if (unit === 'ms') return v >= 100 ? v.toFixed(0) : v.toFixed(1);
  return v >= 100 ? v.toFixed(0) : v.toFixed(v >= 10 ? 1 : 2);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => '| ' + r.map((x, c) => (c === 0 ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join(' | ') + ' |';
  const sep = '|' + widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|';
  return [line(rows[0]!), sep, ...rows.slice(1).map(line)].join('\n');
}

// ---- main ------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const oar: Oar = OarCore;
  const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  const flags = /flags\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  const simd = ['avx512f', 'avx2', 'fma', 'neon', 'asimd'].filter((f) => flags.split(' ').includes(f));
  const blas = oar.blasInfo();
  const dnnl = oar.dnnlInfo();
  const started = new Date();
  process.stdout.write(
    `Oar CPU benchmark: ${cpuModel} (${os.cpus().length} cores${simd.length ? ', ' + simd.join('+') : ''}), ` +
      `${args.threads} thread(s), node ${process.version}, BLAS ${blas ?? 'none (TypeScript GEMM)'}, ` +
      `oneDNN ${dnnl ? `${dnnl.version} (${dnnl.path})` : 'none'}; ` +
      `${args.quick ? 'quick, ' : ''}${args.rounds} round(s); load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}\n`,
  );

  const ctx: OarContext = { oar, memory: {}, checks: {} };
  const oarS: Samples = {};
  const torchS: Samples = {};
  const load: Record<string, number[]> = {};
  const runOar = (part: Part): Samples =>
    part === 'sgemm' ? oarSgemm(ctx) : part === 'conv' ? oarConv(ctx) : oarResnet(ctx, part === 'resnet_fwd' ? 'fwd' : 'train');

  for (const section of args.sections.flatMap((x) => PARTS[x])) {
    for (let round = 0; round < args.rounds; round++) {
      const order: ('oar' | 'torch')[] = round % 2 === 0 ? ['oar', 'torch'] : ['torch', 'oar'];
      for (const who of order) {
        if (who === 'torch' && (!args.torch || torchInfo?.available === false)) continue;
        const t0 = nowMs();
        (load[section] ??= []).push(os.loadavg()[0]!);
        if (who === 'oar') merge(oarS, runOar(section));
        else {
          merge(torchS, runTorch(section));
          if (!torchInfo?.available) continue;
        }
        process.stdout.write(`  ${section} round ${round + 1}: ${who === 'oar' ? 'Oar' : 'PyTorch'} ${((nowMs() - t0) / 1000).toFixed(1)} s\n`);
      }
    }
  }
  if (!args.torch) process.stdout.write('PyTorch anchor skipped (--no-torch); reporting Oar\'s numbers alone.\n');

  // Medians (the figures) and minimums (the best runs: on a shared machine, the least disturbed).
  const results: Record<string, unknown> = {};
  const rows: string[][] = [['metric', 'unit', 'Oar', 'PyTorch', 'ratio', 'ratio of best runs']];
  for (const m of METRICS) {
    const side = (s: Samples, oarSide: boolean) => {
      const xs = s[m.key] ?? [];
      if (xs.length === 0) return null;
      const ms = median(xs);
      const best = oarSide && m.oarBest ? m.oarBest(s) : Math.min(...xs);
      return { medianMs: ms, value: m.value(ms), bestMs: best, bestValue: m.value(best), samplesMs: xs };
    };
    const o = side(oarS, true);
    const t = side(torchS, false);
    if (!o && !t) continue;
    const speedRatio = (a: number, b: number): number => (m.higherIsBetter ? a / b : b / a);
    const ratio = o && t ? speedRatio(o.value, t.value) : undefined;
    const ratioBest = o && t ? speedRatio(o.bestValue, t.bestValue) : undefined;
    results[m.key] = {
      label: m.label,
      unit: m.unit,
      higherIsBetter: m.higherIsBetter,
      oar: o,
      torch: t,
      ratio: ratio ?? null,
      ratioBest: ratioBest ?? null,
    };
    const extra = (x: { medianMs: number } | null) =>
      m.key.startsWith('conv.') && x ? ` (${(CONV_FLOP / (x.medianMs * 1e6)).toFixed(0)} GFLOP/s)` : '';
    const r = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(2) + 'x');
    rows.push([m.label, m.unit, fmt(o?.value, m.unit) + extra(o), fmt(t?.value, m.unit) + extra(t), r(ratio), r(ratioBest)]);
  }
  const tbl = table(rows);
  process.stdout.write(
    `\n${tbl}\n\nFigures are medians. ratio = Oar speed / PyTorch speed (> 1: Oar faster); ratio of best runs compares the fastest ` +
      `run of each (the least disturbed on a shared machine).\nOar's bwd-filter = bwd (both) − bwd-data, run by run (conv2d_grad computes both).\n`,
  );
  const maxLoad = Math.max(...Object.values(load).flat());
  if (args.threads > 1 && maxLoad > os.cpus().length * 0.75) {
    process.stdout.write(
      `WARNING: the machine was busy (load average up to ${maxLoad.toFixed(1)} on ${os.cpus().length} cores). With more runnable ` +
        `threads than cores, PyTorch's OpenMP thread teams wait at every barrier for descheduled threads, so it slows down far more ` +
        `than Oar (mostly single-threaded JavaScript): the ratios above favour Oar. --threads 1 is fairer on a busy machine.\n`,
    );
  }
  if (ctx.params !== undefined) {
    process.stdout.write(`ResNet50 parameters: Oar ${ctx.params}${torchParams !== undefined ? `, PyTorch ${torchParams}` : ''}\n`);
  }
  for (const [k, v] of Object.entries(ctx.memory)) {
    process.stdout.write(`live tensors, ${k}: ${v.before} → ${v.after}${v.before === v.after ? ' (flat)' : ' (GROWING)'}\n`);
  }
  for (const [name, p] of Object.entries(profiles)) {
    process.stdout.write(`\nOp profile, one ResNet50 ${name} (${p.totalMs.toFixed(0)} ms; outside operators ${p.outsideOpsMs.toFixed(0)} ms):\n`);
    process.stdout.write(
      table([
        ['op', 'calls', 'ms', 'share', 'output elements', 'ns/element'],
        ...p.ops
          .slice(0, 15)
          .map((o) => [o.type, String(o.calls), o.ms.toFixed(1), (o.share * 100).toFixed(1) + '%', (o.outElems / 1e6).toFixed(1) + 'M', o.nsPerElem.toFixed(1)]),
      ]) + '\n',
    );
  }

  const json = {
    benchmark: 'oar-cpu',
    date: started.toISOString(),
    durationS: +((Date.now() - started.getTime()) / 1000).toFixed(1),
    machine: {
      cpuModel,
      cores: os.cpus().length,
      simd,
      memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
      threads: args.threads,
      node: process.version,
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      blas,
      dnnl,
      torch: torchInfo?.available ? { version: torchInfo.version, mkldnn: torchInfo.mkldnn, python: PYTHON } : null,
      torchUnavailable: torchInfo && !torchInfo.available ? torchInfo.error : args.torch ? undefined : 'skipped (--no-torch)',
      loadAverageAtSectionStarts: load,
    },
    config: { quick: args.quick, rounds: args.rounds, sections: args.sections, reps: REPS },
    results,
    table: tbl,
    params: { oar: ctx.params ?? null, torch: torchParams ?? null },
    liveTensors: ctx.memory,
    checks: ctx.checks,
    profiles,
  };
  mkdirSync(path.dirname(args.out), { recursive: true });
  writeFileSync(args.out, JSON.stringify(json, null, 2) + '\n');
  process.stdout.write(`\nwrote ${args.out}\n`);
}

runMain(main);
