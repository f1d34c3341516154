/** Data loading (Paddle's `paddle.io` and `paddle.vision.transforms`). */
export * from './host-array';
export * from './dataset';
export * from './sampler';
export * from './collate';
export * from './dataloader';
export * from './image';
export { type WorkerDatasetSpec, type WorkerCapable } from './worker-pool';
export * as transforms from './transforms';
