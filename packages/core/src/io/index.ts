/** Paddle checkpoint files: `paddle.save` / `paddle.load` for `.pdparams` and `.pdopt`. */
export {
  save,
  load,
  dumps,
  loads,
  saveStateDict,
  loadStateDict,
  splitLargeArrays,
  NAME_TABLE_KEY,
  UNPACK_INFO_KEY,
  type SavableValue,
  type LoadedValue,
  type SaveOptions,
  type LoadOptions,
} from './checkpoint';
export { NdArray, dtypeOfNumpy, numpyTypeOf } from './ndarray';
export { PickleError, PyFloat, PyTupleValue, pickle, unpickle, type PicklableValue, type PyObj } from './pickle';
