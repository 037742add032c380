/** Hostile pack archives: zip bombs whose directory lies about sizes (issue 10). */
import { beforeAll, describe, expect, it } from 'vitest';
import { zipSync } from 'fflate';
import { isTributaryError } from '../errors.ts';
import { readPackArchive } from './readPack.ts';
import { writePack, type WrittenPack } from './writePack.ts';
import { NOW, makeContents } from './fixture.testutil.ts';
import { lieAboutSize, zipBomb } from '../zip/bombs.testutil.ts';

let pack: WrittenPack;
beforeAll(async () => {
  pack = writePack(await makeContents({ contributions: 2, chunksEach: 2 }), NOW);
});

async function refusal(bytes: Uint8Array): Promise<{ code: string; message: string; ms: number }> {
  const t0 = performance.now();
  try {
    await readPackArchive(bytes);
  } catch (e) {
    if (!isTributaryError(e)) throw e;
    return { code: e.code, message: e.message, ms: performance.now() - t0 };
  }
  throw new Error('expected the pack to be refused');
}

describe('zip bombs in packs', () => {
  it('a 4 MB entry claiming ~1 KB is stopped at the first byte past 1 KB (pack/corrupt, well under a second)', async () => {
    const files = Object.fromEntries(pack.files);
    delete files['chunks.jsonl'];
    const bomb = zipBomb(files, 'chunks.jsonl', 4 * 1024 * 1024, 1000);
    const r = await refusal(bomb);
    expect(r.code).toBe('pack/corrupt');
    expect(r.message).toMatch(/inflates past its limit/);
    expect(r.ms).toBeLessThan(1000);
  });

  it('a listed file whose real size is 40× its claim (64 MiB-class bomb) is stopped early', async () => {
    const files = Object.fromEntries(pack.files);
    const bomb = zipBomb(files, 'indexes/x', 48 * 1024 * 1024, 1_200_000);
    const r = await refusal(bomb);
    expect(r.code).toBe('pack/corrupt');
    expect(r.ms).toBeLessThan(1500);
  });

  it('the manifest itself lying about its size is refused', async () => {
    const zip = zipSync(Object.fromEntries(pack.files));
    const lying = lieAboutSize(zip, 'manifest.json', 10);
    expect((await refusal(lying)).code).toBe('pack/corrupt');
  });

  it('an entry claiming more than it holds (a short stream) is refused, not padded with zeros', async () => {
    const zip = zipSync(Object.fromEntries(pack.files));
    const lying = lieAboutSize(zip, 'version.json', 60_000);
    expect((await refusal(lying)).code).toBe('pack/corrupt');
  });
});
