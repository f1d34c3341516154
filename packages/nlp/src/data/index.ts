export { Rng } from './random';
export { readClassificationFile, holdOut, DataError, type DataFormat, type Example, type ReadOptions, type ReadResult } from './text-classification';
export { TASKS, UCI_SENTIMENT_DIR, loadTaskData, taskDefaults, type DataSpec, type LoadedData, type TaskDefaults } from './tasks';
export { featurize, makeBatch, padRows, batchIndices, bucketedBatches, type Feature, type Batch } from './batching';
export {
  readDocuments,
  documentsFromSentences,
  createInstances,
  maskSequence,
  makePretrainBatch,
  DEFAULT_INSTANCE_OPTIONS,
  type Document,
  type PretrainInstance,
  type InstanceOptions,
  type PretrainBatch,
  type SpecialIdsForMasking,
} from './pretraining';
