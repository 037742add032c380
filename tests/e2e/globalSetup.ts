import { existsSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { serveStatic } from '../../scripts/serve.mjs';

/** Serves dist/ (built by `npm run test:e2e` before vitest starts) for every e2e file. */
export default async function setup(project: TestProject) {
  if (!existsSync('dist/index.html')) throw new Error('dist/ is missing: run `npm run build` first (npm run test:e2e does).');
  const { server, url } = await serveStatic({ root: 'dist', port: 0 });
  project.provide('appUrl', url);
  return async () => {
    await new Promise((ok) => server.close(() => ok(undefined)));
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    appUrl: string;
  }
}
