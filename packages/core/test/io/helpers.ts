/** Shared helpers of the io tests: fixtures written by tools/fixtures/make_pdparams.py. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Tensor } from '../../src';
import { NdArray } from '../../src/io';
import { littleEndianBytes } from '../../src/io/ndarray';

export const FIXTURES = path.join(__dirname, '..', 'fixtures', 'io');
export const REPO = path.join(__dirname, '..', '..', '..', '..');

export interface ArraySpec {
  dtype: string;
  shape: number[];
  b64: string;
}

export interface FixtureSpec {
  arrays: Record<string, ArraySpec>;
  other?: Record<string, unknown>;
  names?: Record<string, string>;
}

export function expectedFixtures(): Record<string, FixtureSpec> {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, FixtureSpec>;
}

/** dtype, shape and exact bytes of an array as the spec describes it. */
export function describeArray(a: Tensor | NdArray): ArraySpec {
  const data = a instanceof Tensor ? a.dataSync() : a.data;
  return { dtype: a.dtype, shape: [...a.shape], b64: Buffer.from(littleEndianBytes(data)).toString('base64') };
}

/** /usr/bin/python3 with NumPy, or the reason it cannot be used. */
export function pythonWithNumpy(): { python: string } | { skip: string } {
  const python = '/usr/bin/python3';
  if (!fs.existsSync(python)) return { skip: `${python} is not installed` };
  const r = spawnSync(python, ['-c', 'import numpy'], { encoding: 'utf8' });
  if (r.status !== 0) return { skip: `${python} has no numpy: ${r.stderr.trim().split('\n').pop()}` };
  return { python };
}

/** Deterministic PRNG (mulberry32) for reproducible fuzzing. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
