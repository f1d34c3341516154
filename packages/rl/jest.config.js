module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'rl',
  rootDir: __dirname,
  roots: ['<rootDir>/src', '<rootDir>/test'],
};
