// Lint: TypeScript rules plus the package boundaries of the design (ARCHITECTURE.md):
// core imports nothing of ours; the backend imports core; suites import core (and the backend
// only from their CLI layer); det and seg may import clas backbones; tools import anything.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.nx/**', '.device/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    plugins: { '@nx': nx },
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          depConstraints: [
            { sourceTag: 'scope:core', onlyDependOnLibsWithTags: ['scope:core'] },
            { sourceTag: 'scope:backend', onlyDependOnLibsWithTags: ['scope:core', 'scope:backend'] },
            { sourceTag: 'suite:clas', onlyDependOnLibsWithTags: ['scope:core', 'scope:backend', 'suite:clas'] },
            { sourceTag: 'suite:nlp', onlyDependOnLibsWithTags: ['scope:core', 'scope:backend', 'suite:nlp'] },
            { sourceTag: 'suite:rl', onlyDependOnLibsWithTags: ['scope:core', 'scope:backend', 'suite:rl'] },
            { sourceTag: 'suite:det', onlyDependOnLibsWithTags: ['scope:core', 'scope:backend', 'suite:clas', 'suite:det'] },
            { sourceTag: 'suite:seg', onlyDependOnLibsWithTags: ['scope:core', 'scope:backend', 'suite:clas', 'suite:seg'] },
            { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['*'] },
          ],
        },
      ],
    },
  },
  {
    // Examples import the package by its public name, as a user's code does.
    files: ['packages/*/examples/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  {
    // The accelerator backend is optional: suites reach it only from their CLI layer.
    files: ['packages/{clas,det,seg,nlp,rl}/src/**/*.ts'],
    ignores: ['packages/{clas,det,seg,nlp,rl}/src/cli/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: '@oar/xpu-backend', message: 'Import the accelerator backend only from src/cli/.' }] }],
    },
  },
];
