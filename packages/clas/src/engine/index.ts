export * from './checkpoint';
export * from './engine';
export * from './images';
export * from './logger';
export * from './model';
