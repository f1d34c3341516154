/**
 * Loading a Paddle inference model: the program decoded, the persistable variables read from the
 * parameter file(s) in the order of spec §4 and checked against their VarDescs, then placed on a
 * device. All records are read and checked on the host before the first tensor is created, so a
 * damaged file leaves nothing allocated.
 */
import { engine } from '../engine/engine';
import type { Tensor } from '../tensor/tensor';
import { ProgramError } from './errors';
import { ModelPathError, openModel, type ModelSource, type ParamSource } from './model-files';
import { persistableVars, readCombinedParams, readSeparateParam, type TensorRecord } from './params';
import { decodeProgram, type ProgramDesc } from './proto';

export interface LoadedModel {
  program: ProgramDesc;
  /** The program file, as messages name it. */
  programFile: string;
  /** Where the parameters came from: the combined file, or the folder of per-variable files. */
  paramsFrom: string;
  /** Persistable variable values by name, on `device`. */
  params: Map<string, Tensor>;
  device: string;
}

export interface LoadOptions {
  /** A combined parameter file, when it cannot be found by the usual names. */
  params?: string;
  /** Where the parameters go (default: the engine's default device). */
  device?: string;
}

/** Reads the parameter records of block 0's persistable variables. */
export function readParams(program: ProgramDesc, source: ParamSource, programFile: string): Map<string, TensorRecord> {
  const block = program.blocks[0];
  if (!block) throw new ProgramError(programFile, 'the program has no blocks');
  const vars = persistableVars(block);
  if (source.kind === 'combined') return readCombinedParams(source.bytes, source.file, vars);
  const out = new Map<string, TensorRecord>();
  const missing: string[] = [];
  for (const v of vars) {
    const bytes = source.read(v.name);
    if (!bytes) {
      missing.push(v.name);
      continue;
    }
    out.set(v.name, readSeparateParam(bytes, source.fileName(v.name), v));
  }
  if (missing.length) {
    const shown = missing.slice(0, 8).join(', ');
    throw new ModelPathError(
      `${source.dir}: ${missing.length} of the ${vars.length} persistable variables of ${programFile} have no parameter file ` +
        `(${shown}${missing.length > 8 ? ', ...' : ''}), and no combined parameter file was found`,
    );
  }
  return out;
}

/** Places host records on a device as tensors. */
export function paramsToTensors(records: ReadonlyMap<string, TensorRecord>, device?: string): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  try {
    for (const [name, r] of records) {
      const t = engine.fromArray(r.data, r.dims, r.dtype, device);
      t.name = name;
      engine.keep(t);
      out.set(name, t);
    }
  } catch (e) {
    for (const t of out.values()) t.dispose();
    throw e;
  }
  return out;
}

/** Opens, decodes and reads a model: a folder, a program file, a prefix, or a .tar.gz archive. */
export function loadInferenceModel(model: string | ModelSource, opts: LoadOptions = {}): LoadedModel {
  const src = typeof model === 'string' ? openModel(model, opts.params) : model;
  const program = decodeProgram(src.programBytes, src.programFile);
  const records = readParams(program, src.params, src.programFile);
  const device = engine.backend(opts.device).device;
  return {
    program,
    programFile: src.programFile,
    paramsFrom: src.params.kind === 'combined' ? src.params.file : src.params.dir,
    params: paramsToTensors(records, device),
    device,
  };
}
