/** Shared by the static/inference tests: the real Paddle models under fixtures/paddle-models. */
import * as fs from 'fs';
import * as path from 'path';
import { engine, type Tensor } from '../../src';
import { decodeProgram, persistableVars, readArchive, type ProgramDesc } from '../../src/static';
import { allocArray, dtypeFromPaddle, type DType, type TypedArray } from '../../src/tensor/dtype';
import { prng } from '../../src/testing/random';

/** Seeded test inputs (the generator lives in @oar/core/testing, which the device checks share). */
export { prng };

export const MODELS = path.join(__dirname, '..', 'fixtures', 'paddle-models');

export const CIFAR = path.join(MODELS, 'PaddlePaddle-Paddle-Lite__resnet_cifar10');
export const MNIST = path.join(MODELS, 'scl1323-hand-writing__mnist_mlp_relu');
export const SIMPLE = path.join(MODELS, 'PaddlePaddle-Paddle-Lite__simple_model_pdmodel');
export const FILL = path.join(MODELS, 'PaddlePaddle-Paddle-Lite__unittest_fill_constant_combined');

/** The models with parameters and reference outputs. */
export const COMPLETE = [CIFAR, MNIST, SIMPLE, FILL];

/** Program-only models, packed as archives of their folders. */
export const PROGRAM_ONLY = {
  resnet50: 'PaddlePaddle-Paddle-Lite__resnet50_fp32_224_program',
  mobilenetV1: 'PaddlePaddle-Paddle-Lite__mobilenet_v1_fp32_224_program',
  resnet50Int8: 'PaddlePaddle-Paddle-Lite__resnet50_int8_per_layer_program',
  x2paddleMobilenetV2: 'PaddlePaddle-Paddle-Lite__x2paddle_tf_mobilenetv2_program',
  mobilenetV2: 'BUG1989-tengine_test_data__mobilenetv2_program',
  ppocrV3: 'Dong-keun-custom_ocr__ppocrv3_rec_program',
} as const;

export function archiveOf(folder: string): string {
  return path.join(MODELS, `${folder}.tar.gz`);
}

/** The program file of a program-only model, read from its archive. */
export function programOnly(folder: string): { file: string; bytes: Uint8Array; program: ProgramDesc } {
  const files = readArchive(archiveOf(folder));
  const name = [...files.keys()].find((f) => /\/(__model__|inference\.pdmodel)$/.test(f))!;
  const bytes = files.get(name)!;
  return { file: name, bytes, program: decodeProgram(bytes, name) };
}

export function readBytes(file: string): Uint8Array {
  const b = fs.readFileSync(file);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Stand-in parameters for a program whose weights are not available: weights (rank >= 2) uniform
 * with the variance of a fan-in initializer, vectors (norm statistics, biases, quantization
 * scales) in [0.5, 1.5] so variances and scales stay positive.
 */
export function syntheticParams(program: ProgramDesc, seed = 7): Map<string, Tensor> {
  const rand = prng(seed);
  const out = new Map<string, Tensor>();
  for (const v of persistableVars(program.blocks[0]!)) {
    const dims = v.dims ?? [];
    const n = dims.reduce((a, b) => a * b, 1);
    const dtype = dtypeFromPaddle(v.dataType ?? 5)!;
    if (dtype !== 'float32') {
      out.set(v.name, engine.keep(engine.fromArray(allocArray(dtype, n), dims, dtype)));
      continue;
    }
    const a = new Float32Array(n);
    const fan = dims.length >= 2 ? n / dims[0]! : 0;
    for (let i = 0; i < n; i++) a[i] = fan ? (rand() * 2 - 1) * Math.sqrt(3 / fan) : 0.5 + rand();
    out.set(v.name, engine.keep(engine.fromArray(a, dims, 'float32')));
  }
  return out;
}

export interface RefTensor {
  col?: number;
  var?: string;
  file: string;
  dtype: DType;
  shape: number[];
}

export interface RefCase {
  name: string;
  inputs: RefTensor[];
  outputs: RefTensor[];
  intermediates?: RefTensor[];
}

export function manifest(model: string): RefCase[] {
  return JSON.parse(fs.readFileSync(path.join(model, 'reference', 'manifest.json'), 'utf8')).cases as RefCase[];
}

/** A reference .bin (raw little-endian, C order) as a typed array of its dtype. */
export function refData(model: string, t: RefTensor): TypedArray {
  const b = fs.readFileSync(path.join(model, 'reference', t.file));
  const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  switch (t.dtype) {
    case 'float32':
      return new Float32Array(ab);
    case 'int32':
      return new Int32Array(ab);
    case 'int64':
      return new BigInt64Array(ab);
    default:
      throw new Error(`reference dtype ${t.dtype} not handled`);
  }
}

export interface Agreement {
  /** max |got − want| / max |want|: the error relative to the tensor's scale. */
  maxRelError: number;
  /** Elements outside |got − want| <= 1e-4·|want| + 1e-6·max|want|. */
  outliers: number;
}

/** How closely `got` matches a reference tensor. */
export function agreement(got: ArrayLike<number | bigint>, want: ArrayLike<number | bigint>): Agreement {
  if (got.length !== want.length) throw new Error(`length ${got.length} != reference length ${want.length}`);
  let maxAbs = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(Number(want[i])));
  let outliers = 0;
  for (let i = 0; i < want.length; i++) {
    const w = Number(want[i]);
    const e = Math.abs(Number(got[i]) - w);
    if (!(e <= maxAbs)) maxAbs = e;
    if (!(e <= 1e-4 * Math.abs(w) + 1e-6 * scale)) outliers++;
  }
  return { maxRelError: scale === 0 ? maxAbs : maxAbs / scale, outliers };
}
