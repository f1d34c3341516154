/**
 * Conformance cases as data: inputs, attributes and expected outputs of one operator call, with
 * tolerances. The expected values come from an independent implementation (NumPy or PyTorch)
 * through tools/conformance/generate.py; the JSON files sit beside this module in cases/.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { AttrValue } from '../kernels/registry';
import type { DType } from '../tensor/dtype';

/** A number, or "nan" / "inf" / "-inf" (JSON has no literal for them). */
export type JsonNumber = number | 'nan' | 'inf' | '-inf';

export interface TensorCase {
  shape: number[];
  dtype: DType;
  data: JsonNumber[];
}

export interface ConformanceCase {
  /** Unique id, `<op>/<what>`. */
  id: string;
  op: string;
  inputs: Record<string, TensorCase | TensorCase[]>;
  attrs: Record<string, AttrValue>;
  /** Expected outputs by slot; slots absent here are not compared. */
  outputs: Record<string, TensorCase | TensorCase[]>;
  rtol?: number;
  atol?: number;
  /** Run a finite-difference gradient check from this case (default: when the op has a gradient). */
  grad?: boolean;
  /** Output slots whose gradient the check seeds (default: the op's first output). */
  grad_outputs?: string[];
  /** Input slots the gradient check perturbs (default: every differentiable float input). */
  grad_inputs?: string[];
  /** Why this case skips the gradient check, when `grad` is false. */
  grad_skip_reason?: string;
}

export interface CaseFile {
  /** What produced the expected values (e.g. "numpy 1.24.2", "torch 1.13.0"). */
  reference: string;
  cases: ConformanceCase[];
}

export const CASES_DIR = path.join(__dirname, 'cases');

export function decodeNumber(v: JsonNumber): number {
  if (v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  return v;
}

/** Every case in cases/*.json, with the file each came from. */
export function loadCases(dir = CASES_DIR): (ConformanceCase & { file: string; reference: string })[] {
  if (!fs.existsSync(dir)) return [];
  const out: (ConformanceCase & { file: string; reference: string })[] = [];
  for (const f of fs.readdirSync(dir).sort()) {
    if (!f.endsWith('.json')) continue;
    const file = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as CaseFile;
    for (const c of file.cases) out.push({ ...c, file: f, reference: file.reference });
  }
  return out;
}
