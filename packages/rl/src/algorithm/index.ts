export * from './algorithm';
export * from './dqn';
