module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'xpu-backend',
  rootDir: __dirname,
  roots: ['<rootDir>/src', '<rootDir>/test'],
};
