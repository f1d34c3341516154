/**
 * `jit.save(layer, path, inputSpec)`: Paddle 2.0's `paddle.jit.save` for inference. The layer's
 * forward pass is traced in eval mode into a program of Paddle operators, written as
 * `<path>.pdmodel` with its persistable variables as `<path>.pdiparams` (spec §1-§5), which
 * `inference.createPredictor(new inference.Config(path))` and Paddle Inference load.
 */
import * as fs from 'fs';
import * as nodePath from 'path';
import type { Layer } from '../nn/layer';
import { fromNumbers } from '../backends/cpu/backend';
import { engine } from '../engine/engine';
import { allocArray, isFloatDType, type DType, type TypedArray } from '../tensor/dtype';
import { fmtShape } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { writeCombinedParams } from '../static/params';
import { encodeProgram } from '../static/proto';
import { JitError } from './errors';
import { InputSpec } from './input-spec';
import { buildProgram } from './program-builder';
import { traceForward, type Trace } from './trace';

export interface SaveOptions {
  /** Write `<path>.pdmodel` only, without the parameter file (Paddle 1.x's `program_only`). */
  programOnly?: boolean;
  /**
   * Per input, the sizes to trace with, -1 where the InputSpec's own extent applies. Free extents
   * without one are traced at 1 (the first extent, usually the batch) or 8 (others).
   */
  exampleShapes?: readonly (readonly number[])[];
}

export interface SaveResult {
  /** `<path>.pdmodel`. */
  modelFile: string;
  /** `<path>.pdiparams`, unless `programOnly`. */
  paramsFile?: string;
  /** Feed and fetch variable names, in `col` order. */
  inputNames: string[];
  outputNames: string[];
  /** Operators of the program, feed/fetch/scale included. */
  numOps: number;
  /** Persistable variables written. */
  numParams: number;
}

/** Deterministic example values: floats in [-1, 1), integers 0/1 (valid ids for any table). */
function exampleData(dtype: DType, n: number, salt: number): TypedArray {
  if (isFloatDType(dtype) && dtype !== 'float16' && dtype !== 'bfloat16') {
    const vals = new Float64Array(n);
    let s = (0x2545f491 ^ (salt * 0x9e3779b1)) >>> 0;
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      vals[i] = (s >>> 0) / 2 ** 31 - 1;
    }
    return fromNumbers(dtype, vals);
  }
  if (dtype === 'int64') {
    const out = allocArray('int64', n) as BigInt64Array;
    for (let i = 0; i < n; i++) out[i] = BigInt(i % 2);
    return out;
  }
  if (dtype === 'float16' || dtype === 'bfloat16') return allocArray(dtype, n);
  return fromNumbers(dtype, Array.from({ length: n }, (_, i) => i % 2));
}

function concreteShape(spec: InputSpec, example: readonly number[] | undefined, index: number, grow: number): number[] {
  if (example && example.length !== spec.shape.length) {
    throw new JitError(`exampleShapes[${index}] ${fmtShape(example)} has rank ${example.length}, the InputSpec ${fmtShape(spec.shape)} has rank ${spec.shape.length}`);
  }
  return spec.shape.map((d, i) => {
    if (d >= 0) return d;
    const e = example?.[i];
    const base = e !== undefined && e >= 0 ? e : i === 0 ? 1 : 8;
    return base + grow;
  });
}

/** Writes all files or none: each goes to a temporary name first, then all are renamed into place. */
function writeAtomically(files: [string, Uint8Array][]): void {
  const temps: [string, string][] = [];
  try {
    for (const [file, bytes] of files) {
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`;
      temps.push([tmp, file]);
      fs.writeFileSync(tmp, bytes);
    }
    for (const [tmp, file] of temps) fs.renameSync(tmp, file);
  } catch (e) {
    for (const [tmp] of temps) fs.rmSync(tmp, { force: true });
    throw new JitError(`cannot write ${files.map(([f]) => f).join(' and ')}: ${(e as Error).message}`);
  }
}

function runPass(layer: Layer, specs: InputSpec[], shapes: number[][], pass: number, persistables: Tensor[]): Trace {
  const inputs = specs.map((s, i) => engine.fromArray(exampleData(s.dtype, shapes[i]!.reduce((a, b) => a * b, 1), pass * 31 + i), shapes[i]!, s.dtype));
  try {
    return traceForward((xs) => (layer.call as (...a: unknown[]) => unknown).apply(layer, xs), inputs, persistables);
  } catch (e) {
    if (e instanceof JitError) throw e;
    const given = shapes.map((s) => fmtShape(s)).join(', ');
    throw new JitError(
      `${layer.constructor.name}.forward failed on example inputs of shape ${given} (from ${specs.map(String).join(', ')}): ${(e as Error).message}. ` +
        'Check that the InputSpec fits the layer (rank, channels, sizes), or give sizes for free extents with exampleShapes',
    );
  } finally {
    for (const t of inputs) t.dispose();
  }
}

/**
 * Saves `layer` for inference as `<path>.pdmodel` + `<path>.pdiparams`. `inputSpec` gives one
 * InputSpec (or example Tensor, for a fixed shape) per forward argument; extents of -1 or null
 * stay free in the program. The layer runs in eval mode while traced (twice when extents are free)
 * and gets its own train/eval modes back afterwards.
 */
export function save(layer: Layer, path: string, inputSpec: readonly (InputSpec | Tensor)[], options: SaveOptions = {}): SaveResult {
  if (typeof path !== 'string' || path === '') throw new JitError('jit.save: path must be a non-empty path prefix, e.g. "output/inference"');
  if (!Array.isArray(inputSpec) || inputSpec.length === 0) {
    throw new JitError('jit.save: inputSpec must list one InputSpec per input of forward, e.g. [new InputSpec([null, 3, 224, 224], "float32", "x")]');
  }
  const specs = inputSpec.map((s, i) => {
    if (s instanceof InputSpec) return s;
    if (s instanceof Tensor) return InputSpec.fromTensor(s);
    throw new JitError(`jit.save: inputSpec[${i}] is neither an InputSpec nor a Tensor`);
  });
  try {
    if (fs.statSync(path).isDirectory()) throw new JitError(`jit.save: ${path} is a folder; give a path prefix such as ${nodePath.join(path, 'inference')}`);
  } catch (e) {
    if (e instanceof JitError) throw e;
  }
  try {
    fs.mkdirSync(nodePath.dirname(path), { recursive: true });
  } catch (e) {
    throw new JitError(`jit.save: cannot create the folder of ${path}: ${(e as Error).message}`);
  }

  const modes = layer.sublayers({ includeSelf: true }).map((l) => [l, l.training] as const);
  layer.eval();
  let built: ReturnType<typeof buildProgram>;
  try {
    const persistables = [...layer.parameters(), ...layer.stateDict({ includeNonPersistableBuffer: true }).values()];
    const free = specs.some((s) => s.shape.some((d) => d < 0));
    const shapesA = specs.map((s, i) => concreteShape(s, options.exampleShapes?.[i], i, 0));
    const a = runPass(layer, specs, shapesA, 0, persistables);
    const b = free ? runPass(layer, specs, specs.map((s, i) => concreteShape(s, options.exampleShapes?.[i], i, 1)), 1, persistables) : undefined;
    const names = specs.map((s, i) => s.name ?? (i === 0 ? 'x' : `x_${i}`));
    built = buildProgram(a, b, names, !options.programOnly);
  } finally {
    for (const [l, training] of modes) l.training = training;
  }

  const modelFile = `${path}.pdmodel`;
  const paramsFile = `${path}.pdiparams`;
  const files: [string, Uint8Array][] = [[modelFile, encodeProgram(built.program)]];
  if (!options.programOnly) files.push([paramsFile, writeCombinedParams(built.params)]);
  writeAtomically(files);
  return {
    modelFile,
    paramsFile: options.programOnly ? undefined : paramsFile,
    inputNames: built.feedNames,
    outputNames: built.fetchNames,
    numOps: built.program.blocks[0]!.ops.length,
    numParams: built.params.length,
  };
}
