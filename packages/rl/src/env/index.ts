export * from './spaces';
export * from './env';
export * from './cartpole';
export * from './time-limit';
export * from './registry';
