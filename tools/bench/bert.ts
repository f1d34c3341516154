/**
 * BERT-base inference on the CPU: Oar eager, Oar's Predictor (a program saved with jit.save), ONNX
 * Runtime and PyTorch eager, on the same weights.
 *
 *   npx tsx tools/bench/bert.ts [--threads 2] [--rounds 3] [--out path.json] [--no-ort] [--no-torch]
 *                               [--profile] [--model bert-base-uncased]
 *
 * Oar: @oar/nlp's BertModel (createBackbone('bert', namedConfig(model).config)) with seeded random
 * weights (PaddleNLP's initialization, Normal(0, 0.02)), eval mode, (a) called under noGrad and
 * (b) saved with jit.save (inputs input_ids and token_type_ids, int64 [-1, -1]; outputs
 * sequence_output and pooled_output) and run by inference.createPredictor (IR optimization on).
 * The same state dict goes to tools/bench/bert_torch.py, which loads it into
 * tools/nlp/bert_reference.py's PyTorch network, exports that to ONNX (opset 14, batch and
 * sequence free) for onnxruntime-node, and then stays up as the PyTorch eager runner (a child
 * process answering on stdin/stdout, timing itself). Padding is masked where input_ids holds the
 * pad token (pad_token_id 0), as BertModel does without an attention mask.
 *
 * The four must agree on a padded batch (max |a - b| / max |b| below 1e-4 against Oar eager, both
 * outputs, batch 1 and 8) before any is timed. Rounds alternate the runtimes (the order reversed
 * every other round), each with a warm-up run per batch size; the table gives medians over all
 * rounds: ms per batch, sequences/s, and the speed against ONNX Runtime and against PyTorch (their
 * time / this runtime's time: above 1, this runtime is faster).
 *
 * onnxruntime-node (about 290 MB) is not a dependency of the repository: it is installed on first
 * use into `$OAR_BENCH_DEPS` (default ~/.cache/oar-bench) with its CUDA download skipped
 * (ONNXRUNTIME_NODE_INSTALL=skip), from the npm registry.
 */
import './thread-env'; // first: thread counts before @oar/core loads its libraries
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import * as oar from '@oar/core';
import { createBackbone, namedConfig, type EncoderConfig } from '@oar/nlp';
import { loadOrt, ORT_VERSION, relError, type OrtSession } from './ort';
import { runMain } from './run-main';

const argv = process.argv.slice(2);
const opt = (k: string, d: string): string => (argv.includes(k) ? argv[argv.indexOf(k) + 1]! : d);
const threads = Number(opt('--threads', '2'));
const rounds = Number(opt('--rounds', '3'));
const modelName = opt('--model', 'bert-base-uncased');
const withOrt = !argv.includes('--no-ort');
const withTorch = !argv.includes('--no-torch');
const withProfile = argv.includes('--profile');
const out = path.resolve(opt('--out', path.join(__dirname, '../../output/bench/bert.json')));
const PYTHON = process.env.OAR_BENCH_PYTHON ?? '/usr/bin/python3';
const SEQ = 128;
const BATCHES = [1, 8];
/** Timed runs per round, per batch size (after one warm-up run). */
const REPS: Record<number, number> = { 1: 8, 8: 3 };
/** Real tokens per row; the rest of the 128 positions is padding. */
const LENGTHS: Record<number, number[]> = { 1: [100], 8: [128, 112, 96, 80, 64, 48, 32, 16] };

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const now = (): number => performance.now();
const log = (s: string): void => void process.stdout.write(`${s}\n`);

// ---- the PyTorch child (bert_torch.py) ---------------------------------------------------------

/** bert_torch.py, answering one JSON line per request. */
class TorchChild {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly waiting: { ok: (v: Record<string, unknown>) => void; fail: (e: Error) => void }[] = [];
  private readonly early: string[] = [];
  private stderrTail = '';
  private exited: Error | null = null;

  constructor(stateFile: string, config: EncoderConfig, onnxFile: string | null, serve: boolean) {
    const a = [path.join(__dirname, 'bert_torch.py'), stateFile, JSON.stringify(config), '--threads', String(threads)];
    if (onnxFile) a.push('--onnx', onnxFile);
    if (serve) a.push('--serve');
    const n = String(threads);
    this.proc = spawn(PYTHON, a, { env: { ...process.env, OMP_NUM_THREADS: n, MKL_NUM_THREADS: n, OPENBLAS_NUM_THREADS: n }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (d: string) => (this.stderrTail = (this.stderrTail + d).slice(-4000)));
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      const w = this.waiting.shift();
      if (w) w.ok(JSON.parse(line) as Record<string, unknown>);
      else this.early.push(line);
    });
    this.proc.on('error', (e) => this.fail(new Error(`${PYTHON} bert_torch.py: ${e.message}`)));
    this.proc.on('close', (code, signal) => this.fail(new Error(`bert_torch.py exited (${signal ?? code}; --no-ort --no-torch runs Oar alone): ${this.stderrTail.trim() || 'no message'}`)));
  }

  private fail(e: Error): void {
    this.exited ??= e;
    for (const w of this.waiting.splice(0)) w.fail(e);
  }

  /** The next line from the child. */
  next(): Promise<Record<string, unknown>> {
    const line = this.early.shift();
    if (line !== undefined) return Promise.resolve(JSON.parse(line) as Record<string, unknown>);
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((ok, fail) => this.waiting.push({ ok, fail }));
  }

  async ask(msg: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.exited) throw this.exited;
    this.proc.stdin.write(JSON.stringify(msg) + '\n');
    const r = await this.next();
    if (r.error) throw new Error(`bert_torch.py: ${String(r.error)}`);
    return r;
  }

  /** Ends the child and waits for it. */
  close(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((done) => {
      this.proc.once('close', () => done());
      this.proc.stdin.end();
    });
  }
}

// ---- inputs, runners, checks ----------------------------------------------------------------------

interface Batch {
  batch: number;
  ids: BigInt64Array;
  types: BigInt64Array;
}

/** Token ids in [1, vocab) (never the pad id 0) for the real tokens, the pad id after them; the second half of each row's tokens is segment B. */
function makeBatch(batch: number, vocab: number): Batch {
  const ids = new BigInt64Array(batch * SEQ);
  const types = new BigInt64Array(batch * SEQ);
  let s = 12345 + batch;
  for (let r = 0; r < batch; r++) {
    const n = LENGTHS[batch]![r]!;
    for (let j = 0; j < n; j++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      ids[r * SEQ + j] = BigInt(1 + (s % (vocab - 1)));
      if (j >= n >> 1) types[r * SEQ + j] = 1n;
    }
  }
  return { batch, ids, types };
}

const rows2 = (a: BigInt64Array, batch: number): number[][] => Array.from({ length: batch }, (_, r) => Array.from(a.subarray(r * SEQ, (r + 1) * SEQ), Number));

interface Outputs {
  seq: Float32Array;
  pooled: Float32Array;
}

interface Runner {
  name: string;
  /** Both outputs of one run, copied to the host. */
  outputs(b: Batch): Promise<Outputs>;
  /** ms of `reps` runs after `warmup`. */
  time(b: Batch, warmup: number, reps: number): Promise<number[]>;
}

async function timeLocal(run: () => Promise<unknown> | unknown, warmup: number, reps: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await run();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = now();
    await run();
    ms.push(now() - t0);
  }
  return ms;
}

// ---- op profile (--profile) ---------------------------------------------------------------------

interface OpProfile {
  totalMs: number;
  /** Time outside any operator (executor or layer code, tidy). */
  outsideOpsMs: number;
  ops: { type: string; calls: number; ms: number; share: number }[];
}

/**
 * Times one run of `fn` per operator type, as cpu.ts's profileOps does, wrapping both
 * `engine.runOp` (eager calls) and `engine.runPrepared` (the executor's planned calls): each
 * outermost call is charged to its type.
 */
function profileOps(fn: () => void): OpProfile {
  const eng = oar.engine;
  const acc = new Map<string, { calls: number; ms: number }>();
  const origRun = eng.runOp;
  const origPrepared = eng.runPrepared;
  let depth = 0;
  const charge = <T>(type: string, f: () => T): T => {
    if (depth > 0) return f();
    depth++;
    const t0 = now();
    try {
      return f();
    } finally {
      const e = acc.get(type) ?? { calls: 0, ms: 0 };
      e.calls++;
      e.ms += now() - t0;
      acc.set(type, e);
      depth--;
    }
  };
  eng.runOp = function (this: typeof eng, ...a: Parameters<typeof origRun>) {
    return charge(a[0], () => origRun.apply(this, a));
  };
  eng.runPrepared = function (this: typeof eng, ...a: Parameters<typeof origPrepared>) {
    return charge(a[0].spec.type, () => origPrepared.apply(this, a));
  };
  const t0 = now();
  try {
    fn();
  } finally {
    eng.runOp = origRun;
    eng.runPrepared = origPrepared;
  }
  const total = now() - t0;
  const ops = [...acc].map(([type, e]) => ({ type, calls: e.calls, ms: e.ms, share: e.ms / total })).sort((a, b) => b.ms - a.ms);
  return { totalMs: total, outsideOpsMs: total - ops.reduce((x, o) => x + o.ms, 0), ops };
}

function profileTable(title: string, p: OpProfile): string[] {
  return [
    `${title}: ${p.totalMs.toFixed(1)} ms, ${p.ops.reduce((n, o) => n + o.calls, 0)} operator calls`,
    '',
    '| op | calls | ms | share |',
    '|---|--:|--:|--:|',
    ...p.ops.map((o) => `| ${o.type} | ${o.calls} | ${o.ms.toFixed(1)} | ${(o.share * 100).toFixed(1)}% |`),
    `| outside operators | | ${p.outsideOpsMs.toFixed(1)} | ${((p.outsideOpsMs / p.totalMs) * 100).toFixed(1)}% |`,
    '',
  ];
}

// ---- main ---------------------------------------------------------------------------------------

/** forward(input_ids, token_type_ids) → [sequence_output, pooled_output], the signature jit.save traces. */
class BertForInference extends oar.nn.Layer {
  constructor(readonly bert: oar.nn.Layer) {
    super();
  }

  override forward(inputIds: oar.Tensor, tokenTypeIds: oar.Tensor): [oar.Tensor, oar.Tensor] {
    return this.bert.call(inputIds, tokenTypeIds) as [oar.Tensor, oar.Tensor];
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'oar-bench-bert-'));
  const config = namedConfig(modelName).config;
  let child: TorchChild | null = null;
  try {
    let t = now();
    oar.seed(0);
    const model = createBackbone('bert', config);
    model.eval();
    const numParams = model.parameters().reduce((n, p) => n + p.size, 0);
    log(`${modelName}: ${numParams.toLocaleString('en-US')} parameters, built in ${((now() - t) / 1000).toFixed(1)} s`);

    // The PyTorch side loads (and exports) the weights while Oar saves and plans its program.
    const stateFile = path.join(dir, 'model_state.pdparams');
    const onnxFile = path.join(dir, 'bert.onnx');
    if (withOrt || withTorch) {
      oar.io.saveStateDict(model.stateDict(), stateFile);
      child = new TorchChild(stateFile, config, withOrt ? onnxFile : null, withTorch);
    }
    t = now();
    const prefix = path.join(dir, 'bert');
    const saved = oar.jit.save(new BertForInference(model), prefix, ['input_ids', 'token_type_ids'].map((n) => new oar.InputSpec([-1, -1], 'int64', n)));
    const pc = new oar.inference.Config(prefix);
    pc.setCpuMathLibraryNumThreads(threads);
    const predictor = oar.inference.createPredictor(pc);
    log(`jit.save: ${saved.numOps} ops, ${saved.numParams} parameters, outputs ${saved.outputNames.join(', ')}; Predictor ready in ${((now() - t) / 1000).toFixed(1)} s (fusions: ${predictor.passes.map((p) => `${p.pass} ${p.fused}`).join(', ') || 'none'})`);
    rmSync(`${prefix}.pdiparams`, { force: true });

    let torchInfo: Record<string, unknown> | null = null;
    if (child) {
      torchInfo = await child.next();
      log(`bert_torch.py: ${JSON.stringify(torchInfo)}`);
      rmSync(stateFile, { force: true });
      if (!withTorch) {
        await child.close();
        child = null;
      }
    }

    const batches = new Map(BATCHES.map((b) => [b, makeBatch(b, config.vocab_size)]));
    const runners: Runner[] = [];

    // (a) eager, under noGrad
    const eagerIn = new Map([...batches].map(([b, x]) => [b, [oar.tensor(x.ids, { dtype: 'int64', shape: [b, SEQ] }), oar.tensor(x.types, { dtype: 'int64', shape: [b, SEQ] })] as const]));
    const eager = (b: Batch, copy: boolean): Outputs =>
      oar.tidy(() =>
        oar.engine.noGrad(() => {
          const [ids, types] = eagerIn.get(b.batch)!;
          const [seq, pooled] = model.call(ids, types);
          const s = seq.dataSync() as Float32Array;
          const p = pooled.dataSync() as Float32Array;
          return copy ? { seq: s.slice(), pooled: p.slice() } : { seq: s, pooled: p };
        }),
      );
    runners.push({ name: 'Oar eager (noGrad)', outputs: async (b) => eager(b, true), time: (b, w, n) => timeLocal(() => eager(b, false), w, n) });

    // (b) the Predictor
    const [outSeq, outPooled] = predictor.getOutputNames();
    const predict = (b: Batch): Outputs => {
      for (const [name, data] of [
        ['input_ids', b.ids],
        ['token_type_ids', b.types],
      ] as const) {
        const h = predictor.getInputHandle(name);
        h.reshape([b.batch, SEQ]);
        h.copyFromCpu(data);
      }
      predictor.run();
      return { seq: predictor.getOutputHandle(outSeq!).copyToCpu() as Float32Array, pooled: predictor.getOutputHandle(outPooled!).copyToCpu() as Float32Array };
    };
    runners.push({ name: 'Oar Predictor', outputs: async (b) => predict(b), time: (b, w, n) => timeLocal(() => predict(b), w, n) });

    let session: OrtSession | null = null;
    if (withOrt) {
      const ort = loadOrt();
      t = now();
      const s = await ort.InferenceSession.create(onnxFile, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      session = s;
      log(`ONNX Runtime ${ORT_VERSION} session ready in ${((now() - t) / 1000).toFixed(1)} s`);
      rmSync(onnxFile, { force: true });
      const feeds = new Map([...batches].map(([b, x]) => [b, { input_ids: new ort.Tensor('int64', x.ids, [b, SEQ]), token_type_ids: new ort.Tensor('int64', x.types, [b, SEQ]) }]));
      const ortRun = async (b: Batch): Promise<Outputs> => {
        const o = await s.run(feeds.get(b.batch)!);
        return { seq: o.sequence_output!.data, pooled: o.pooled_output!.data };
      };
      runners.push({ name: `ONNX Runtime ${ORT_VERSION}`, outputs: ortRun, time: (b, w, n) => timeLocal(() => ortRun(b), w, n) });
    }

    if (child) {
      const c = child;
      for (const x of batches.values()) await c.ask({ cmd: 'inputs', batch: x.batch, ids: rows2(x.ids, x.batch), types: rows2(x.types, x.batch) });
      const file = path.join(dir, 'torch-out.bin');
      runners.push({
        name: `PyTorch ${String(torchInfo?.torch ?? '')} eager`.replace('  ', ' '),
        outputs: async (b) => {
          await c.ask({ cmd: 'outputs', batch: b.batch, file });
          const bytes = readFileSync(file);
          const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
          const n = b.batch * SEQ * config.hidden_size;
          return { seq: all.slice(0, n), pooled: all.slice(n) };
        },
        time: async (b, w, n) => (await c.ask({ cmd: 'time', batch: b.batch, warmup: w, reps: n })).ms as number[],
      });
    }

    // Agreement first: every runtime against Oar eager, on the padded batches.
    const agreement: Record<string, { sequence_output: number; pooled_output: number }> = {};
    for (const b of batches.values()) {
      const ref = await runners[0]!.outputs(b);
      for (const r of runners.slice(1)) {
        const o = await r.outputs(b);
        agreement[`${r.name} b${b.batch}`] = { sequence_output: relError(o.seq, ref.seq), pooled_output: relError(o.pooled, ref.pooled) };
      }
    }
    const worst = Math.max(...Object.values(agreement).flatMap((e) => [e.sequence_output, e.pooled_output]));
    for (const [k, e] of Object.entries(agreement)) log(`agreement vs Oar eager, ${k}: sequence_output ${e.sequence_output.toExponential(2)}, pooled_output ${e.pooled_output.toExponential(2)}`);
    if (!(worst < 1e-4)) throw new Error(`the runtimes disagree: ${JSON.stringify(agreement)}`);

    const rssMb = (): number => Math.round(process.memoryUsage().rss / 2 ** 20);
    const rss0 = rssMb();
    log(`this process: ${rss0} MB resident (Oar model, Predictor${withOrt ? ', ONNX Runtime session' : ''})`);
    const live0 = oar.memory().numTensors;
    const times = new Map<string, number[]>();
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? runners : [...runners].reverse();
      for (const b of batches.values()) {
        for (const r of order) {
          const key = `${r.name}|${b.batch}`;
          times.set(key, [...(times.get(key) ?? []), ...(await r.time(b, 1, REPS[b.batch]!))]);
        }
      }
      log(`round ${round + 1}/${rounds} done`);
    }
    const live1 = oar.memory().numTensors;
    const rss1 = rssMb();

    const rows = runners.map((r) => {
      const row: Record<string, number | string | number[]> = { runtime: r.name };
      for (const b of BATCHES) {
        const v = times.get(`${r.name}|${b}`)!;
        row[`b${b}_ms`] = median(v);
        row[`b${b}_seq_s`] = (1000 * b) / median(v);
        row[`b${b}_samples_ms`] = v;
      }
      return row;
    });
    const ortRow = withOrt ? rows.find((r) => String(r.runtime).startsWith('ONNX')) : undefined;
    const torchRow = child ? rows.find((r) => String(r.runtime).startsWith('PyTorch')) : undefined;
    const fmt = (v: number, d = 1): string => v.toFixed(d);
    const ratio = (anchor: Record<string, unknown> | undefined, r: Record<string, unknown>, b: number): string =>
      anchor ? `${fmt((anchor[`b${b}_ms`] as number) / (r[`b${b}_ms`] as number), 2)}x` : '-';
    const dnnl = oar.dnnlInfo();
    const lines = [
      '',
      `${modelName} inference, seq ${SEQ}, ${threads} thread(s), ${rounds} rounds; ${dnnl ? `oneDNN ${dnnl.version}` : 'no oneDNN'}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`,
      '',
      '| runtime | b1 ms | b1 seq/s | b8 ms | b8 seq/s | b1 vs ORT | b8 vs ORT | b1 vs PyTorch | b8 vs PyTorch |',
      '|---|--:|--:|--:|--:|--:|--:|--:|--:|',
      ...rows.map(
        (r) =>
          `| ${r.runtime} | ${fmt(r.b1_ms as number)} | ${fmt(r.b1_seq_s as number, 2)} | ${fmt(r.b8_ms as number)} | ${fmt(r.b8_seq_s as number, 2)} | ` +
          `${ratio(ortRow, r, 1)} | ${ratio(ortRow, r, 8)} | ${ratio(torchRow, r, 1)} | ${ratio(torchRow, r, 8)} |`,
      ),
      '',
      `agreement (max |a - b| / max |b| against Oar eager, padded batches): worst ${worst.toExponential(2)}`,
      `live tensors before / after the timed rounds: ${live0} / ${live1}; resident memory ${rss0} / ${rss1} MB${torchInfo?.max_rss_mb ? ` (PyTorch child: peak ${String(torchInfo.max_rss_mb)} MB after loading${torchInfo.export_s !== undefined ? ' and exporting' : ''})` : ''}`,
      '',
    ];
    log(lines.join('\n'));

    const profiles: Record<string, OpProfile> = {};
    if (withProfile) {
      const b8 = batches.get(8)!;
      profiles.predictor_b8 = profileOps(() => predict(b8));
      profiles.eager_b8 = profileOps(() => eager(b8, false));
      log([...profileTable('Oar Predictor, one run at b8', profiles.predictor_b8), ...profileTable('Oar eager, one forward at b8', profiles.eager_b8)].join('\n'));
    }

    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(
      out,
      JSON.stringify(
        {
          bench: 'bert',
          date: new Date().toISOString(),
          host: { cpus: os.cpus().length, model: os.cpus()[0]?.model, threads, node: process.version, loadavg: os.loadavg() },
          model: { name: modelName, config, parameters: numParams },
          seq: SEQ,
          lengths: LENGTHS,
          dnnl,
          program: { ops: saved.numOps, params: saved.numParams, passes: predictor.passes },
          torch: torchInfo,
          ort: withOrt ? ORT_VERSION : null,
          rounds,
          reps: REPS,
          rows,
          agreement,
          liveTensors: { before: live0, after: live1 },
          residentMb: { before: rss0, after: rss1 },
          profiles,
        },
        null,
        2,
      ) + '\n',
    );
    log(`JSON: ${out}`);
    predictor.dispose();
    await session?.release?.();
    for (const [ids, types] of eagerIn.values()) {
      ids.dispose();
      types.dispose();
    }
    model.dispose();
  } finally {
    await child?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
