export * as functional from './functional';
export * from './transforms';
