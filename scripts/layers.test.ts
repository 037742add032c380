/**
 * The layer rules in eslint.config.js (LAYERS) really fail lint: each case lints a one-line snippet as if it were a
 * file in a layer, through ESLint's Node API with the project's own config, and checks the rule fires (or not).
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('..', import.meta.url).pathname });

async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport const x = [y];\n`, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
}

describe('layer rules in eslint.config.js', () => {
  it.each([
    ['src/core/x.ts', "import { y } from '../store/db.ts';", 'the core layer may import only nothing of ours'],
    ['src/core/x.ts', "import { y } from 'dexie';", 'the core layer'],
    ['src/engine/model/x.ts', "import { y } from '../../store/models.ts';", 'the engine layer may import only core'],
    ['src/engine/train/x.ts', "import { y } from '../../attribution/influence.ts';", 'the engine layer may import only core'],
    ['src/attribution/x.ts', "import { y } from '../store/db.ts';", 'the attribution layer may import only engine, core'],
    ['src/chain/x.ts', "import { y } from '../engine/backend.ts';", 'the chain layer may import only core'],
    ['src/store/x.ts', "import { y } from '../services/DataService.ts';", 'the store layer may import only core'],
    ['src/ui/pages/X.tsx', "import { y } from '../../engine/backend.ts';", 'the ui layer'],
    ['src/ui/pages/X.tsx', "import { y } from '../../services/DataService.ts';", 'the ui layer'],
    ['src/client/x.ts', "import { y } from '../services/DataService.ts';", 'the client layer may import only workerApi, core'],
    ['src/services/x.ts', "import { y } from '../client/dataClient.ts';", 'the services layer'],
    ['workers/x.worker.ts', "import { y } from '../src/client/dataClient.ts';", 'the workers layer'],
    ['src/engine/x.ts', "import { y } from '../node/engine/reference/ortReference.ts';", 'Node-only code'],
    ['src/chain/x.ts', "import { y } from 'node:fs';", 'Node-only code'],
  ])('%s: %s is an error', async (file, code, message) => {
    const errors = await layerErrors(file, code);
    expect(errors.length).toBe(1);
    expect(errors[0]).toContain(message);
  });

  it.each([
    ['src/attribution/x.ts', "import { y } from '../engine/backend.ts';"],
    ['src/engine/train/x.ts', "import { y } from '../../core/errors.ts';"],
    ['src/services/x.ts', "import { y } from '../workerApi/dataApi.ts';"],
    ['src/client/x.ts', "import { y } from '../workerApi/dataApi.ts';"],
    ['src/chain/x.test.ts', "import { y } from '../node/chain/localStack.ts';"],
    ['src/engine/x.testkit.ts', "import { y } from 'node:fs';"],
    ['src/engine/webgpu/x.ts', "import type { y } from 'node:fs';"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await layerErrors(file, code)).toEqual([]);
  });
});
