import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import solid from 'eslint-plugin-solid/configs/typescript';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'dev-dist/**', '.tmp/**', 'public/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node, ...globals.worker } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  { files: ['src/ui/**/*.tsx', 'src/ui/**/*.ts', 'src/main.tsx'], ...solid },
  {
    // core stays pure: no DOM, no storage, no workers
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['**/store/**', '**/ui/**', '**/client/**', 'dexie', 'solid-js', 'comlink'] }],
      'no-restricted-globals': ['error', 'document', 'window', 'indexedDB', 'localStorage', 'navigator'],
    },
  },
);
