export { RunLogger, timestamp, type LogSink, type MetricRecord, type RunLoggerOptions } from './logger';
export { buildOptimizer, linearWarmupDecay, decayParamNames, type OptimizerSettings } from './optimizer';
export {
  saveModelDir,
  loadWeights,
  loadOptimizer,
  loadTokenizer,
  readModelConfig,
  readTrainState,
  isModelDir,
  CheckpointError,
  PARAMS_FILE,
  OPT_FILE,
  CONFIG_FILE,
  VOCAB_FILE,
  TRAIN_STATE_FILE,
  type ModelConfigFile,
  type TrainState,
} from './checkpoint';
export { resolveModel, loadClassifier, type ModelSource, type LoadedClassifier } from './model-source';
export { evaluate, predictProbabilities, type EvalResult } from './evaluate';
export { finetune, schedule, type FinetuneResult } from './finetune';
export { pretrain, type PretrainResult } from './pretrain';
export { exportClassifier, copySideFiles, ClassifierForInference, INFERENCE_PREFIX, INFERENCE_INPUTS, EXPORT_SIDE_FILES } from './export';
export { openExportedClassifier, runExported, predictExported, type ExportedClassifier } from './exported-model';
