// Shared jest settings: TypeScript through SWC (no TypeScript API needed), workspace
// packages resolved to their sources so tests never depend on a prior build.
const path = require('path');
const root = __dirname;
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@oar/core$': path.join(root, 'packages/core/src/index.ts'),
    '^@oar/core/testing$': path.join(root, 'packages/core/src/testing/index.ts'),
    '^@oar/xpu-backend$': path.join(root, 'packages/xpu-backend/src/index.ts'),
  },
  testMatch: ['**/?(*.)+(spec|test).ts'],
  // Inside jest's vm sandbox each read of a global costs ~0.4 µs (20x a plain Node read);
  // kernels read Math.* and Number.* per element, which made tests up to 100x slower.
  // Injecting them into each module's scope makes those reads local.
  sandboxInjectedGlobals: ['Math', 'Number', 'BigInt'],
};
