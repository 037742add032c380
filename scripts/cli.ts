/**
 * `npm run cli -- <command> [options]`: Tributary's headless tools over the same core, engine and
 * attribution code the app runs. Each command is `scripts/cli/<command>.ts`, exporting
 * `run(args: string[]): Promise<void>` and a one-line `summary`; this file only dispatches.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface CliCommand {
  run(args: string[]): Promise<void>;
  summary?: string;
}

const dir = join(dirname(fileURLToPath(import.meta.url)), 'cli');
const commands = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();

async function load(name: string): Promise<CliCommand> {
  return (await import(pathToFileURL(join(dir, `${name}.ts`)).href)) as CliCommand;
}

const [name, ...args] = process.argv.slice(2);
if (!name || name === '--help' || name === 'help') {
  console.log('usage: npm run cli -- <command> [options]\n\ncommands:');
  for (const c of commands) console.log(`  ${c.padEnd(18)} ${(await load(c)).summary ?? ''}`);
  process.exit(name ? 0 : 2);
}
if (!commands.includes(name)) {
  console.error(`unknown command "${name}"; available: ${commands.join(', ')}`);
  process.exit(2);
}
try {
  await (await load(name)).run(args);
} catch (e) {
  const err = e as { code?: string; message?: string };
  console.error(err.code ? `${err.code}: ${err.message}` : e);
  process.exit(1);
}
