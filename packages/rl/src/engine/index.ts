export * from './build';
export * from './checkpoint';
export * from './evaluate';
export * from './logger';
export * from './trainer';
export * from './weights';
