module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'nlp',
  rootDir: __dirname,
  roots: ['<rootDir>/src', '<rootDir>/test'],
  // Several tests train a small model for a few seconds; on a loaded two-core machine that can
  // take many times longer, which is not a failure.
  testTimeout: 60_000,
};
