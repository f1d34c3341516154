export * from './model';
export * from './mlp-model';
