/**
 * Build step: checks the committed demo model (`public/models/tributary-demo/`, made by `npm run train:demo`) instead
 * of generating one: every file `demo.json` lists must exist with its size and SHA-256, so the app's download cache
 * and the service worker see exactly the trained files. Deterministic: it reads, it writes nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../src/core/hash.ts';
import { parseDemoManifest } from '../src/services/engine/demoModel.ts';

const DIR = join('public', 'models', 'tributary-demo');
const manifestPath = join(DIR, 'demo.json');
if (!existsSync(manifestPath)) {
  console.error(`${manifestPath} is missing: the demo model is committed in the repository; restore it (git checkout -- ${DIR}) or retrain it with npm run train:demo.`);
  process.exit(1);
}
const manifest = parseDemoManifest(readFileSync(manifestPath, 'utf8'));
const bad: string[] = [];
for (const f of manifest.files) {
  const p = join(DIR, f.path);
  if (!existsSync(p)) {
    bad.push(`${f.path}: missing`);
    continue;
  }
  const bytes = new Uint8Array(readFileSync(p));
  if (bytes.length !== f.size || sha256Hex(bytes).slice(2) !== f.sha256) bad.push(`${f.path}: size or SHA-256 differs from demo.json`);
}
if (bad.length) {
  console.error(`the demo model in ${DIR} does not match its demo.json:\n  ${bad.join('\n  ')}\nRestore it with git checkout -- ${DIR} or retrain it with npm run train:demo.`);
  process.exit(1);
}
console.log(`demo model: ${manifest.name}, ${manifest.files.length} files checked, ${manifest.adapters.length} adapters`);
