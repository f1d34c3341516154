/**
 * ONNX Runtime for the benchmarks, kept out of the repository's dependencies (onnxruntime-node is
 * about 290 MB): installed on first use into `$OAR_BENCH_DEPS` (default ~/.cache/oar-bench) with
 * its CUDA download skipped, then loaded from there. Also the agreement measure the benchmarks
 * check before timing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';

export const ORT_VERSION = '1.30.0';

export interface OrtTensor {
  data: Float32Array;
  dims: readonly number[];
}

export interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release?(): Promise<void>;
}

export interface Ort {
  Tensor: {
    new (type: 'float32', data: Float32Array, dims: number[]): OrtTensor;
    new (type: 'int64', data: BigInt64Array, dims: number[]): OrtTensor;
  };
  InferenceSession: { create(file: string, opts: Record<string, unknown>): Promise<OrtSession> };
}

export function loadOrt(): Ort {
  const dir = process.env.OAR_BENCH_DEPS ?? path.join(os.homedir(), '.cache', 'oar-bench');
  if (!existsSync(path.join(dir, 'node_modules', 'onnxruntime-node', 'package.json'))) {
    process.stdout.write(`installing onnxruntime-node@${ORT_VERSION} into ${dir} (once) ...\n`);
    mkdirSync(dir, { recursive: true });
    const r = spawnSync('npm', ['install', '--prefix', dir, '--no-save', '--no-package-lock', `onnxruntime-node@${ORT_VERSION}`], {
      stdio: 'inherit',
      env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
    });
    if (r.status !== 0) throw new Error(`npm install onnxruntime-node failed (status ${r.status}); run again with --no-ort for Oar alone`);
  }
  return createRequire(path.join(dir, 'node_modules', 'x.js'))('onnxruntime-node') as Ort;
}

/** max |a − b| / max |b| (NaN when any difference is NaN). */
export function relError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`outputs of ${a.length} and ${b.length} values`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    diff = d > diff || Number.isNaN(d) ? d : diff;
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}
