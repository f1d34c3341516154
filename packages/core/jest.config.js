module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'core',
  rootDir: __dirname,
  roots: ['<rootDir>/src', '<rootDir>/test'],
};
