/**
 * `paddle.jit` for inference export: `save(layer, path, inputSpec)` writes a layer as a Paddle
 * inference model (`path.pdmodel` + `path.pdiparams`), which `inference.createPredictor` loads.
 */
import '../static';

export { save, type SaveOptions, type SaveResult } from './save';
export { InputSpec } from './input-spec';
export { JitError } from './errors';
export { traceForward, flattenOutputs, type Trace, type TracedOp, type TracedValue, type ValueOrigin } from './trace';
export { buildProgram, PADDLE_VERSION, PADDLE_2_0_OP_VERSIONS, type BuiltModel } from './program-builder';
export { attrTypeOf } from './attr-types';
