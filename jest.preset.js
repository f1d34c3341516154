// Shared jest settings: TypeScript through SWC (no TypeScript API needed), workspace
// packages resolved to their sources so tests never depend on a prior build.
const path = require('path');
const root = __dirname;
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      path.join(root, 'jest.transformer.js'),
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
};
