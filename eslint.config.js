import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import solid from 'eslint-plugin-solid/configs/typescript';
import globals from 'globals';

/**
 * Which of our folders each layer may import (docs/ARCHITECTURE.md draws the same picture). A layer may import
 * itself and the layers listed; every other layer of ours is an error. Browser layers may not import the Node-only
 * tree (src/node) or Node built-ins outside their tests (*.test.ts) and test kits (*.testkit.ts).
 * scripts/layers.test.ts proves a violation fails lint.
 */
export const LAYERS = {
  // the page: Solid pages and components. It also reads the store (liveQuery) and talks to wallets (chain),
  // which are injected into the window (see ARCHITECTURE.md).
  ui: { dir: 'src/ui', mayImport: ['client', 'workerApi', 'core', 'store', 'chain'] },
  client: { dir: 'src/client', mayImport: ['workerApi', 'core'] },
  workerApi: { dir: 'src/workerApi', mayImport: ['core', 'engine', 'store'] },
  // workers stay thin: they host services and register the error transfer, nothing more
  workers: { dir: 'workers', mayImport: ['services', 'workerApi', 'store', 'engine', 'chain', 'core'] },
  services: { dir: 'src/services', mayImport: ['workerApi', 'engine', 'attribution', 'chain', 'store', 'ingest', 'core'] },
  attribution: { dir: 'src/attribution', mayImport: ['engine', 'core'] },
  engine: { dir: 'src/engine', mayImport: ['core'] },
  chain: { dir: 'src/chain', mayImport: ['core'] },
  ingest: { dir: 'src/ingest', mayImport: ['core'] },
  store: { dir: 'src/store', mayImport: ['core'] },
  core: { dir: 'src/core', mayImport: [] },
};

/** Node-only code (anvil, deploy, reference models, test kits' heavy helpers): never shipped to the browser. */
const NODE_TREE = 'node';
const TEST_FILES = ['**/*.test.ts', '**/*.testkit.ts'];

function layerRules() {
  const names = Object.keys(LAYERS);
  const extraBans = { core: ['dexie', 'solid-js', 'comlink'] };
  return names.flatMap((name) => {
    const { dir, mayImport } = LAYERS[name];
    const forbidden = names.filter((other) => other !== name && !mayImport.includes(other));
    // relative specifiers reach another layer through its folder name (src/x/… or workers/…)
    const layerGroup = {
      // a core sub-folder named like a layer (core/attribution: the attribution record) is still core, open to all
      group: [
        ...forbidden.map((other) => `**/${LAYERS[other].dir.split('/').pop()}/**`),
        ...(name === 'core' ? [] : forbidden.map((other) => `!**/core/${LAYERS[other].dir.split('/').pop()}/**`)),
        ...(extraBans[name] ?? []),
      ],
      message: `the ${name} layer may import only ${mayImport.length ? mayImport.join(', ') : 'nothing of ours'} (see eslint.config.js LAYERS and docs/ARCHITECTURE.md)`,
    };
    const nodeGroup = {
      group: [`**/${NODE_TREE}/**`, 'node:*'],
      allowTypeImports: true,
      message: 'Node-only code (src/node, Node built-ins) never ships to the browser; only tests and test kits may import it',
    };
    const files = [`${dir}/**/*.ts`, `${dir}/**/*.tsx`, ...(name === 'ui' ? ['src/main.tsx'] : [])];
    const rule = (patterns) => ({ 'no-restricted-imports': 'off', '@typescript-eslint/no-restricted-imports': ['error', { patterns }] });
    return [
      { files, ignores: TEST_FILES, rules: rule([layerGroup, nodeGroup]) },
      { files: TEST_FILES.flatMap((t) => [`${dir}/${t}`]), rules: rule([layerGroup]) },
    ];
  });
}

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
      'no-restricted-globals': ['error', 'document', 'window', 'indexedDB', 'localStorage', 'navigator'],
    },
  },
  ...layerRules(),
);
