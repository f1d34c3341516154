/**
 * The device check, run on the GPU machine (CI has no GPU):
 *
 *   ../shared/device/pack.sh packages/xpu-backend/test/device/check.ts
 *   bash .device/boot.sh node .device/bundle/check.js        (writes $OUT/xpu-check.json)
 *
 * 1. every operator case of cases.ts on `cpu` and on `xpu:0`, compared (max |xpu − cpu| / max |cpu|);
 * 2. the complete Paddle models of core's fixtures through the Predictor on `xpu:0`, IR
 *    optimization on and off, against their reference outputs (max relative error < 1e-3);
 * 3. errors found on the device: an embedding id out of range is reported, with its position, by
 *    the next read, and the device works on afterwards;
 * 4. what the run compiled and allocated.
 * Each part catches its own failures, and the report is rewritten after each, so one failure
 * (or a timeout) still brings back everything before it.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as oar from '@oar/core';
import { prng } from '@oar/core/testing';
import { isAvailable, registerXpuBackend } from '../../src';
import { CASES, type InputSpec, type OpCase } from './cases';

const OUT = process.env.OUT ?? path.resolve('output/device');
const MODELS = path.resolve(process.env.OAR_MODELS ?? 'packages/core/test/fixtures/paddle-models');
const OP_TOLERANCE = 1e-5;
const MODEL_TOLERANCE = 1e-3;

interface Report {
  started: string;
  availability?: unknown;
  ops: { name: string; ok: boolean; maxRel?: number; error?: string }[];
  models: { model: string; ir: boolean; case: string; ok: boolean; maxRel?: number; error?: string }[];
  deviceErrors: { name: string; ok: boolean; detail: string }[];
  errors: { part: string; error: string }[];
  summary?: Record<string, unknown>;
}

const report: Report = { started: new Date().toISOString(), ops: [], models: [], deviceErrors: [], errors: [] };
function flush(): void {
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(path.join(OUT, 'xpu-check.json'), JSON.stringify(report, null, 1));
}
function part(name: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    report.errors.push({ part: name, error: (e as Error).stack ?? String(e) });
    process.stdout.write(`${name} FAILED: ${(e as Error).message}\n`);
  }
  flush();
}

/** Floats in the spec's range; integers are ten times that, rounded; `below` gives integers in [0, below) of any dtype. */
function data(spec: InputSpec, rand: () => number): oar.TypedArray {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.dtype ?? 'float32';
  const a = oar.allocArray(dtype, n);
  const int = dtype !== 'float32' && dtype !== 'float64';
  for (let i = 0; i < n; i++) {
    const v = spec.below !== undefined ? Math.floor(rand() * spec.below) : spec.range === 'pos' ? 0.1 + 2 * rand() : 4 * rand() - 2;
    const x = int && spec.below === undefined ? Math.round(v * 10) : v;
    if (dtype === 'int64') (a as BigInt64Array)[i] = BigInt(x);
    else (a as Float32Array)[i] = x;
  }
  return a;
}

function relErr(got: ArrayLike<number | bigint>, want: ArrayLike<number | bigint>): number {
  if (got.length !== want.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    const w = Number(want[i]);
    scale = Math.max(scale, Math.abs(w));
    const d = Math.abs(Number(got[i]) - w);
    if (!(d <= diff)) diff = d; // NaN propagates
  }
  return scale === 0 ? diff : diff / scale;
}

type Outputs = Record<string, oar.Tensor | oar.Tensor[]>;

function runCase(c: OpCase, device: string, rand: () => number): Outputs {
  const make = (spec: InputSpec): oar.Tensor => oar.engine.fromArray(data(spec, rand), spec.shape, spec.dtype ?? 'float32', device);
  const inputs: Record<string, oar.Tensor | oar.Tensor[]> = {};
  for (const [slot, spec] of Object.entries(c.inputs)) inputs[slot] = Array.isArray(spec) ? spec.map(make) : make(spec);
  const prev = oar.engine.getDevice();
  oar.engine.setDevice(device);
  try {
    return oar.engine.runOp(c.op, inputs, c.attrs ?? {}) as Outputs;
  } finally {
    oar.engine.setDevice(prev);
  }
}

function opCases(): void {
  for (const [i, c] of CASES.entries()) {
    try {
      const want = runCase(c, 'cpu', prng(1000 + i));
      const got = runCase(c, 'xpu:0', prng(1000 + i));
      const slots = c.compare ?? [Object.keys(want)[0]!];
      let worst = 0;
      for (const s of slots) {
        const gs = [got[s]!].flat();
        const ws = [want[s]!].flat();
        if (gs.length !== ws.length) throw new Error(`output ${s}: ${gs.length} tensors, the CPU gives ${ws.length}`);
        gs.forEach((g, k) => {
          const w = ws[k]!;
          if (g.device !== 'xpu:0') throw new Error(`output ${s} is on ${g.device}`);
          if (JSON.stringify(g.shape) !== JSON.stringify(w.shape)) throw new Error(`output ${s} shape ${JSON.stringify(g.shape)} != ${JSON.stringify(w.shape)}`);
          if (g.dtype !== w.dtype) throw new Error(`output ${s} dtype ${g.dtype} != ${w.dtype}`);
          worst = Math.max(worst, relErr(g.dataSync() as ArrayLike<number>, w.dataSync() as ArrayLike<number>));
        });
      }
      report.ops.push({ name: c.name, ok: worst < OP_TOLERANCE, maxRel: worst });
    } catch (e) {
      report.ops.push({ name: c.name, ok: false, error: (e as Error).stack ?? String(e) });
    }
  }
}

interface RefTensor {
  col?: number;
  file: string;
  dtype: oar.DType;
  shape: number[];
}

function refData(dir: string, t: RefTensor): oar.TypedArray {
  const b = fs.readFileSync(path.join(dir, 'reference', t.file));
  const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  if (t.dtype === 'float32') return new Float32Array(ab);
  if (t.dtype === 'int64') return new BigInt64Array(ab);
  if (t.dtype === 'int32') return new Int32Array(ab);
  throw new Error(`reference dtype ${t.dtype}`);
}

function models(): void {
  const dirs = fs.readdirSync(MODELS).filter((d) => fs.existsSync(path.join(MODELS, d, 'reference', 'manifest.json')));
  for (const d of dirs) {
    const dir = path.join(MODELS, d);
    const cases = JSON.parse(fs.readFileSync(path.join(dir, 'reference', 'manifest.json'), 'utf8')).cases as { name: string; inputs: RefTensor[]; outputs: RefTensor[] }[];
    for (const ir of [true, false]) {
      let p: oar.inference.Predictor;
      try {
        const cfg = new oar.inference.Config(dir);
        cfg.enableXpu(0);
        cfg.switchIrOptim(ir);
        p = oar.inference.createPredictor(cfg);
      } catch (e) {
        report.models.push({ model: d, ir, case: '(create)', ok: false, error: (e as Error).stack ?? String(e) });
        continue;
      }
      for (const c of cases) {
        try {
          const names = p.getInputNames();
          for (const t of c.inputs) {
            const h = p.getInputHandle(names[t.col ?? 0]!);
            h.reshape(t.shape);
            h.copyFromCpu(refData(dir, t));
          }
          p.run();
          const outs = p.getOutputNames();
          let worst = 0;
          for (const t of c.outputs) worst = Math.max(worst, relErr(p.getOutputHandle(outs[t.col ?? 0]!).copyToCpu() as ArrayLike<number>, refData(dir, t) as ArrayLike<number>));
          report.models.push({ model: d, ir, case: c.name, ok: worst < MODEL_TOLERANCE, maxRel: worst });
        } catch (e) {
          report.models.push({ model: d, ir, case: c.name, ok: false, error: (e as Error).stack ?? String(e) });
        }
      }
      p.dispose();
    }
  }
}

function deviceErrors(): void {
  const w = oar.engine.fromArray(Float32Array.from({ length: 12 }, (_, i) => i), [4, 3], 'float32', 'xpu:0');
  const lookup = (ids: number[]): oar.Tensor => {
    const t = oar.engine.fromArray(BigInt64Array.from(ids.map(BigInt)), [1, ids.length], 'int64', 'xpu:0');
    const prev = oar.engine.getDevice();
    oar.engine.setDevice('xpu:0');
    try {
      return oar.engine.runOp('lookup_table_v2', { W: w, Ids: t }, { padding_idx: -1 }).Out as oar.Tensor;
    } finally {
      oar.engine.setDevice(prev);
    }
  };
  let message = '(no error)';
  try {
    lookup([0, 2, 7, 9]).dataSync();
  } catch (e) {
    message = (e as Error).message;
  }
  report.deviceErrors.push({ name: 'bad id reported at the read', ok: /Ids\[0, 2\] = 7 is out of range/.test(message), detail: message });
  const after = Array.from(lookup([3, 1]).dataSync() as Float32Array);
  report.deviceErrors.push({ name: 'the next lookup runs', ok: JSON.stringify(after) === JSON.stringify([9, 10, 11, 3, 4, 5]), detail: JSON.stringify(after) });
}

function main(): void {
  const a = isAvailable();
  report.availability = a;
  flush();
  if (!a.ok) throw new Error(`xpu is not available: ${a.reason}`);
  registerXpuBackend();
  part('ops', opCases);
  part('models', models);
  part('device errors', deviceErrors);
  const failedOps = report.ops.filter((o) => !o.ok);
  const failedModels = report.models.filter((m) => !m.ok);
  report.summary = {
    ops: `${report.ops.length - failedOps.length}/${report.ops.length} ok`,
    models: `${report.models.length - failedModels.length}/${report.models.length} ok`,
    deviceErrors: `${report.deviceErrors.filter((d) => d.ok).length}/${report.deviceErrors.length} ok`,
    worstOp: Math.max(...report.ops.map((o) => o.maxRel ?? 0)),
    worstModel: Math.max(...report.models.map((m) => m.maxRel ?? 0)),
    memory: oar.engine.memory(),
  };
  flush();
  const lines = [
    ...report.ops.map((o) => `${o.ok ? 'ok  ' : 'FAIL'} op ${o.name}${o.maxRel !== undefined ? ` ${o.maxRel.toExponential(2)}` : ''}${o.error ? `\n     ${o.error.split('\n').slice(0, 3).join('\n     ')}` : ''}`),
    ...report.deviceErrors.map((d) => `${d.ok ? 'ok  ' : 'FAIL'} device error: ${d.name}: ${d.detail}`),
    ...report.models.map((m) => `${m.ok ? 'ok  ' : 'FAIL'} model ${m.model} ir=${m.ir} ${m.case}${m.maxRel !== undefined ? ` ${m.maxRel.toExponential(2)}` : ''}${m.error ? `\n     ${m.error.split('\n').slice(0, 3).join('\n     ')}` : ''}`),
    JSON.stringify(report.summary),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

try {
  main();
} catch (e) {
  report.errors.push({ part: 'main', error: (e as Error).stack ?? String(e) });
  flush();
  process.stdout.write(`FAILED: ${(e as Error).stack}\n`);
  process.exitCode = 1;
}
