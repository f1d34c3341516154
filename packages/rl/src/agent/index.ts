export * from './agent';
export * from './dqn-agent';
