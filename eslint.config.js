// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tap/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['.ci/**/*.mjs', 'eslint.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // the live page runs in a browser: nothing from Node or from the server's code (it talks to the API)
    files: ['dashboards/web/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['node:*', '**/app/**', '**/api/**', '**/stream/**', '**/engines/**', '**/ingest/**'] },
      ],
    },
  },
  {
    // engines are pure: nothing from the runtime, the API or the connectors (DESIGN.md, one-way dependencies)
    files: ['engines/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: ['**/stream/**', '**/api/**', '**/ingest/**', '**/app/**', 'node:*', 'fs', 'net', 'http'],
        },
      ],
    },
  },
  {
    files: ['stream/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/api/**', '**/ingest/**', '**/app/**'] }] },
  },
  {
    files: ['api/**/*.ts', 'ingest/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/app/**'] }] },
  },
);
