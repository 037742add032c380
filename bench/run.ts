/**
 * `npm run bench -- <name> [<name> …]`: runs the named benchmarks (`bench/<name>.ts`, each exporting
 * `main(): Promise<void>`), or all of them when no name is given. Exits non-zero when one fails.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.test.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();

const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = asked.filter((n) => !available.includes(n));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}

let failed = 0;
for (const name of asked.length > 0 ? asked : available) {
  const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as { main?: () => Promise<void> };
  if (typeof mod.main !== 'function') {
    console.warn(`bench/${name}.ts exports no main(): skipped`);
    continue;
  }
  console.log(`\n== bench ${name} ==`);
  try {
    await mod.main();
  } catch (e) {
    failed += 1;
    console.error(`bench ${name} failed:`, e);
  }
}
process.exit(failed > 0 ? 1 : 0);
