export * from './build';
export * from './datasets';
export * from './file-list';
export * from './idx';
export * from './preprocess';
