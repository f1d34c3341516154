/** @oar/core/testing: conformance cases, the runner any backend calls, gradient checks, leak checks, seeded inputs. */
export * from './cases';
export * from './conformance';
export * from './gradcheck';
export * from './leaks';
export * from './random';
