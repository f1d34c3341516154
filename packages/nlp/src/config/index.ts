export { ConfigError, parseConfig, suggest } from './errors';
export { TrainSchema, PretrainSchema, TRAIN_DEFAULTS, PRETRAIN_DEFAULTS, type TrainArgs, type PretrainArgs } from './schema';
export { loadTrainArgs, loadPretrainArgs, pretrainSection, readYaml } from './load';
