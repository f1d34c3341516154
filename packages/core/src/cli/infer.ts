#!/usr/bin/env node
/**
 * oar-infer: runs a Paddle inference model on raw tensors from `.npy` files and prints the
 * outputs and timings.
 *
 *   oar-infer --model resnet50.tar.gz --input image=cat.npy --repeat 20
 *   oar-infer --model ./mnist --fill 1 --shape image=1,1,28,28 --output out/
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { engine } from '../index';
import { Config, createPredictor, type Predictor } from '../inference';
import { readNpy, writeNpy, type NpyArray } from '../io/npy';
import { dtypeOfArray, type TypedArray } from '../tensor/dtype';
import { fmtShape, numel } from '../tensor/shape';

const USAGE = `Usage: oar-infer --model <folder | program file | prefix | archive.tar.gz> [options]

Runs a Paddle inference model (__model__ or *.pdmodel with its parameters) on tensors from .npy files.

Options:
  --model <path>          model folder, program file, jit.save prefix, or .tar.gz/.tgz/.tar archive
  --params <file>         combined parameter file, when it is not found by its usual names
  --input [name=]<file>   an input as .npy (repeatable); without a name, inputs are taken in feed order
  --fill <value>          fill every input not given with this value
  --shape name=d0,d1,...  the shape of a filled input whose declared shape has free (-1) extents
  --device <dev>          cpu (default), xpu or xpu:N
  --threads <n>           threads of the CPU math library
  --repeat <n>            timed runs after the first one (default 0)
  --output <dir>          write each output to <dir>/<name>.npy
  --print <n>             values shown per output (default 8)
  --profile               time each operator type (over the repeated runs, else the first) and print the table
  --json                  print a JSON summary instead of text
  -h, --help              this help
`;

export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

class UsageError extends Error {}

interface OutputSummary {
  name: string;
  dtype: string;
  shape: number[];
  first: number[];
  min: number;
  max: number;
  mean: number;
  argmaxLastAxis?: number[];
  file?: string;
}

function stats(data: TypedArray, shape: number[], count: number): Omit<OutputSummary, 'name' | 'dtype' | 'shape' | 'file'> {
  const n = data.length;
  const num = (i: number): number => Number(data[i]);
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = num(i);
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const first = Array.from({ length: Math.min(count, n) }, (_, i) => num(i));
  const out: Omit<OutputSummary, 'name' | 'dtype' | 'shape' | 'file'> = { first, min, max, mean: n ? sum / n : NaN };
  const last = shape[shape.length - 1];
  if (shape.length >= 1 && last && last > 1 && n > 0) {
    const rows = n / last;
    if (rows <= 64) {
      out.argmaxLastAxis = [];
      for (let r = 0; r < rows; r++) {
        let best = 0;
        for (let j = 1; j < last; j++) if (num(r * last + j) > num(r * last + best)) best = j;
        out.argmaxLastAxis.push(best);
      }
    }
  }
  return out;
}

function fmtNum(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? v.toPrecision(6).replace(/\.?0+$/, '') : v.toExponential(4);
}

function ms(t: bigint): number {
  return Number(t) / 1e6;
}

/** Makes the accelerator backend available when asked for (an optional dependency, loaded on demand). */
function ensureDevice(device: string): void {
  try {
    engine.backend(device);
    return;
  } catch (e) {
    if (!device.startsWith('xpu')) throw e;
  }
  const name = '@oar/xpu-backend';
  let mod: Record<string, unknown>;
  try {
    mod = require(name) as Record<string, unknown>;
  } catch {
    throw new Error(`device ${device}: the accelerator backend ${name} is not installed (npm install ${name})`);
  }
  const register = (mod.registerXpuBackend ?? mod.register) as (() => void) | undefined;
  if (typeof register !== 'function') throw new Error(`device ${device}: ${name} exports no registerXpuBackend()`);
  register();
  engine.backend(device);
}

function parseShape(s: string, flag: string): number[] {
  const dims = s.split(',').map((x) => Number(x.trim()));
  if (dims.length === 0 || dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new UsageError(`${flag}: "${s}" is not a comma-separated list of non-negative integers`);
  }
  return dims;
}

function positiveInt(v: string | undefined, flag: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag}: expected a non-negative integer, got "${v}"`);
  return n;
}

function feedInputs(predictor: Predictor, given: Map<string, NpyArray & { file: string }>, fill: number | undefined, shapes: Map<string, number[]>): string[] {
  const lines: string[] = [];
  for (const name of predictor.getInputNames()) {
    const h = predictor.getInputHandle(name);
    const a = given.get(name);
    if (a) {
      h.reshape(a.shape);
      h.copyFromCpu(a.data);
      lines.push(`${name} ${h.type()} ${fmtShape(a.shape)} <- ${a.file}`);
      continue;
    }
    if (fill === undefined) {
      throw new UsageError(`no input for "${name}" (declared ${h.type()} ${fmtShape(h.shape())}); pass --input ${name}=file.npy or --fill`);
    }
    const declared = h.shape();
    const shape = shapes.get(name) ?? declared;
    if (shape.length === 0 || shape.some((d) => d < 0)) {
      throw new UsageError(`input "${name}" has free extents ${fmtShape(declared)}; give them with --shape ${name}=...`);
    }
    h.reshape(shape);
    h.copyFromCpu(new Array<number>(numel(shape)).fill(fill));
    lines.push(`${name} ${h.type()} ${fmtShape(shape)} <- filled with ${fill}`);
  }
  return lines;
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export function main(argv: string[], io: CliIO = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) }): number {
  let values: ReturnType<typeof parse>['values'];
  const parse = (a: string[]) =>
    parseArgs({
      args: a,
      options: {
        model: { type: 'string' },
        params: { type: 'string' },
        input: { type: 'string', multiple: true },
        fill: { type: 'string' },
        shape: { type: 'string', multiple: true },
        device: { type: 'string' },
        threads: { type: 'string' },
        repeat: { type: 'string' },
        output: { type: 'string' },
        print: { type: 'string' },
        json: { type: 'boolean' },
        profile: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    });
  try {
    values = parse(argv).values;
  } catch (e) {
    io.stderr(`oar-infer: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  try {
    if (!values.model) throw new UsageError('--model is required');
    const device = values.device ?? 'cpu';
    const repeat = positiveInt(values.repeat, '--repeat', 0);
    const printN = positiveInt(values.print, '--print', 8);
    const fill = values.fill === undefined ? undefined : Number(values.fill);
    if (fill !== undefined && Number.isNaN(fill) && values.fill !== 'nan') throw new UsageError(`--fill: "${values.fill}" is not a number`);
    const shapes = new Map<string, number[]>();
    for (const s of values.shape ?? []) {
      const eq = s.indexOf('=');
      if (eq <= 0) throw new UsageError(`--shape: expected name=d0,d1,..., got "${s}"`);
      shapes.set(s.slice(0, eq), parseShape(s.slice(eq + 1), '--shape'));
    }

    const config = values.params !== undefined ? new Config(values.model, values.params) : new Config(values.model);
    config.setDevice(device);
    if (values.threads !== undefined) config.setCpuMathLibraryNumThreads(positiveInt(values.threads, '--threads', 0));
    ensureDevice(config.device());

    const t0 = process.hrtime.bigint();
    const predictor = createPredictor(config);
    const loadMs = ms(process.hrtime.bigint() - t0);
    try {
      const names = predictor.getInputNames();
      const given = new Map<string, NpyArray & { file: string }>();
      let positional = 0;
      for (const spec of values.input ?? []) {
        const eq = spec.indexOf('=');
        let name: string;
        let file: string;
        if (eq > 0 && !fs.existsSync(spec)) {
          name = spec.slice(0, eq);
          file = spec.slice(eq + 1);
          if (!names.includes(name)) throw new UsageError(`--input ${spec}: the model has no input "${name}"; inputs: ${names.join(', ')}`);
        } else {
          if (positional >= names.length) throw new UsageError(`--input ${spec}: the model has only ${names.length} input(s)`);
          name = names[positional++]!;
          file = spec;
        }
        given.set(name, { ...readNpy(file), file });
      }
      const inputLines = feedInputs(predictor, given, fill, shapes);

      // The first run builds kernels and caches: profiled only when it is the only run.
      if (values.profile && repeat === 0) predictor.executor.setProfiling(true);
      const t1 = process.hrtime.bigint();
      predictor.run();
      const firstMs = ms(process.hrtime.bigint() - t1);
      if (values.profile && repeat > 0) predictor.executor.setProfiling(true);
      const times: number[] = [];
      for (let i = 0; i < repeat; i++) {
        const t = process.hrtime.bigint();
        predictor.run();
        times.push(ms(process.hrtime.bigint() - t));
      }

      const outputs: OutputSummary[] = [];
      if (values.output) fs.mkdirSync(values.output, { recursive: true });
      for (const name of predictor.getOutputNames()) {
        const h = predictor.getOutputHandle(name);
        const data = h.copyToCpu();
        const shape = h.shape();
        const dtype = h.type() ?? dtypeOfArray(data);
        const o: OutputSummary = { name, dtype, shape, ...stats(data, shape, printN) };
        if (values.output) {
          o.file = path.join(values.output, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.npy`);
          writeNpy(o.file, { dtype, shape, data });
        }
        outputs.push(o);
      }

      const timing = {
        loadMs,
        firstRunMs: firstMs,
        runs: times.length,
        meanMs: times.length ? times.reduce((a, b) => a + b, 0) / times.length : undefined,
        minMs: times.length ? Math.min(...times) : undefined,
        maxMs: times.length ? Math.max(...times) : undefined,
      };
      if (values.json) {
        const profile = values.profile ? { profile: predictor.profile() } : {};
        io.stdout(JSON.stringify({ model: predictor.programFile, device: config.device(), inputs: inputLines, outputs, timing, ...profile }, null, 1) + '\n');
      } else {
        const steps = predictor.executor.numSteps;
        const ops = steps === predictor.loadedOps ? `${steps} ops` : `${predictor.loadedOps} ops, ${steps} after IR optimization`;
        const lines = [`model   ${predictor.programFile} (${ops}) on ${config.device()}`];
        for (const l of inputLines) lines.push(`input   ${l}`);
        lines.push(`load    ${loadMs.toFixed(1)} ms`);
        lines.push(`run     ${firstMs.toFixed(1)} ms (first)`);
        if (times.length) {
          lines.push(`        ${timing.meanMs!.toFixed(2)} ms mean, ${timing.minMs!.toFixed(2)} min, ${timing.maxMs!.toFixed(2)} max over ${times.length} runs`);
        }
        outputs.forEach((o, k) => {
          lines.push(`output ${k} ${o.name} ${o.dtype} ${fmtShape(o.shape)}${o.file ? ` -> ${o.file}` : ''}`);
          lines.push(`  first   [${o.first.map(fmtNum).join(', ')}${numel(o.shape) > o.first.length ? ', ...' : ''}]`);
          lines.push(`  min ${fmtNum(o.min)}  max ${fmtNum(o.max)}  mean ${fmtNum(o.mean)}`);
          if (o.argmaxLastAxis) lines.push(`  argmax (last axis) [${o.argmaxLastAxis.join(', ')}]`);
        });
        if (values.profile) lines.push(`profile (${repeat > 0 ? `${repeat} runs after the first` : 'the first run'})`, predictor.profileReport());
        io.stdout(lines.join('\n') + '\n');
      }
      return 0;
    } finally {
      predictor.dispose();
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`oar-infer: ${e.message}\n(see oar-infer --help)\n`);
      return 2;
    }
    io.stderr(`oar-infer: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
