import { existsSync, rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { serveStatic } from '../../scripts/serve.mjs';
import { startDevnet, type DevnetChainJson } from '../../scripts/chain/devnet.ts';

/**
 * The stack `npm start` runs, for every e2e file: the local chain (anvil on a free port, contracts
 * deployed, dev accounts funded; epoch roots posted by hand from the Ledger page, as `npm start` does by
 * default) with its addresses in dist/chain.json, and dist/ (built by `npm run test:e2e` before vitest
 * starts) served on a free port. Both are stopped at the end.
 */
export default async function setup(project: TestProject) {
  if (!existsSync('dist/index.html')) throw new Error('dist/ is missing: run `npm run build` first (npm run test:e2e does).');
  const devnet = await startDevnet({ port: 0, outFile: 'dist/chain.json', autoPostRoots: false });
  let server: Awaited<ReturnType<typeof serveStatic>>['server'] | undefined;
  try {
    const served = await serveStatic({ root: 'dist', port: 0 });
    server = served.server;
    project.provide('appUrl', served.url);
    project.provide('chain', devnet.chainJson);
  } catch (e) {
    await devnet.stop();
    throw e;
  }
  return async () => {
    await new Promise((ok) => server!.close(() => ok(undefined)));
    await devnet.stop();
    rmSync('dist/chain.json', { force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    appUrl: string;
    /** The local chain of this run (what dist/chain.json holds). */
    chain: DevnetChainJson;
  }
}
