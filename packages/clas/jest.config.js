module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'clas',
  rootDir: __dirname,
  roots: ['<rootDir>/src', '<rootDir>/test'],
};
