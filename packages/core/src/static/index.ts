/**
 * Paddle programs (`__model__`, `*.pdmodel`) and parameter files, read as Paddle writes them,
 * and the executor that runs them with Oar's operators. `inference` builds the Predictor on it.
 */
import { registerCompatOps } from './compat-ops';

registerCompatOps();

export { FRAMEWORK_PROTO } from './framework.proto';
export {
  AttrType,
  ATTR_TYPE_NAMES,
  VarKind,
  VAR_KIND_NAMES,
  decodeProgram,
  encodeProgram,
  decodeTensorDesc,
  encodeTensorDesc,
  programDescType,
  type AttrDesc,
  type OpDesc,
  type VarDesc,
  type BlockDesc,
  type ProgramDesc,
} from './proto';
export {
  readTensorRecord,
  writeTensorRecord,
  readCombinedParams,
  readSeparateParam,
  persistableVars,
  compareNames,
  checkRecord,
  writeCombinedParams,
  type TensorRecord,
  type ParamValue,
} from './params';
export { coerceAttr, convertAttrs } from './attrs';
export {
  openModel,
  readArchive,
  isArchivePath,
  ModelPathError,
  PROGRAM_NAMES,
  COMBINED_PARAM_NAMES,
  type ModelSource,
  type ParamSource,
} from './model-files';
export { loadInferenceModel, readParams, paramsToTensors, type LoadedModel, type LoadOptions } from './loader';
export {
  ProgramExecutor,
  type ExecutorOptions,
  type FeedTarget,
  type FetchTarget,
  type RunOptions,
  type RunResult,
  type OpProfile,
} from './executor';
export { ModelFormatError, ProgramError, UnsupportedOpsError, ExecutionError, type MissingOp } from './errors';
export { registerCompatOps, COMPAT_OPS } from './compat-ops';
export { optimizeProgram, INFERENCE_PASSES, INFERENCE_PASS_NAMES, Graph, type Pass, type OptimizedProgram, type AppliedPass } from './passes';
