import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isTributaryError } from '../errors.ts';
import { readPackArchive, readPackFolder } from './readPack.ts';
import { writePack, type WrittenPack } from './writePack.ts';
import { NOW, makeContents, rebuild } from './packFixture.testkit.ts';
import type { PackContents, VerifiedPack } from './types.ts';

let contents: PackContents;
let pack: WrittenPack;
let original: VerifiedPack;
let listed: string[];

beforeAll(async () => {
  contents = await makeContents({ contributions: 2, chunksEach: 1 });
  pack = writePack(contents, NOW);
  original = await readPackArchive(pack.bytes);
  listed = [...pack.files.keys()].filter((p) => p !== 'manifest.json');
});

type Outcome = { ok: true; pack: VerifiedPack } | { ok: false; code: string };

/** Runs a read; any error other than a TributaryError fails the property. */
async function attempt(read: () => Promise<VerifiedPack>): Promise<Outcome> {
  try {
    return { ok: true, pack: await read() };
  } catch (e) {
    if (!isTributaryError(e)) throw new Error(`not a TributaryError: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    expect(e.code).toMatch(/^pack\//);
    return { ok: false, code: e.code };
  }
}

/** Everything that is signed or hashed is unchanged. */
function expectSameSignedContent(p: VerifiedPack): void {
  const { origin: _o, ...datanet } = p.datanet;
  const { origin: _o2, ...originalDatanet } = original.datanet;
  expect(datanet).toEqual(originalDatanet);
  expect(p.datanetSignature).toBe(original.datanetSignature);
  expect(p.version.merkleRoot).toBe(original.version.merkleRoot);
  expect(p.version.contributionIds).toEqual(original.version.contributionIds);
  const payload = (c: (typeof p.contributions)[number]) => [c.id, c.datanetId, c.contributor.toLowerCase(), c.title, c.mediaType, c.textHash, c.chunksHash, c.chunkCount, c.createdAt];
  expect(p.contributions.map(payload)).toEqual(original.contributions.map(payload));
  // A chunk's hash covers its exact text, and chunksHash (signed) covers the hashes: passages compare exactly.
  const passage = (c: (typeof p.chunks)[number]) => [c.contributionId, c.index, c.hash, c.dedupeHash, c.text];
  expect(p.chunks.map(passage)).toEqual(original.chunks.map(passage));
  const vote = (v: (typeof p.validations)[number]) => [v.id, v.contributionId, v.validator.toLowerCase(), v.verdict, v.reason, v.createdAt];
  expect(p.validations.map(vote)).toEqual(original.validations.map(vote));
}

/** Runs per property; raise PACK_PROPERTY_RUNS locally for a longer search. */
const RUNS = { numRuns: Number(process.env.PACK_PROPERTY_RUNS ?? 150) };

describe('readPack under random damage (property)', () => {
  it('rejects random bytes with a TributaryError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => {
        const r = await attempt(() => readPackArchive(bytes));
        expect(r.ok).toBe(false);
      }),
      RUNS,
    );
  });

  it('rejects random bytes behind a real zip end-of-central-directory with a TributaryError', async () => {
    const tail = pack.bytes.slice(pack.bytes.length - 22);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => {
        const r = await attempt(() => readPackArchive(new Uint8Array([...bytes, ...tail])));
        expect(r.ok).toBe(false);
      }),
      RUNS,
    );
  });

  it('single-byte mutations of the archive throw only TributaryErrors, and what passes has the same content', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 1_000_000 }), fc.integer({ min: 1, max: 255 }), async (at, xor) => {
        const bytes = pack.bytes.slice();
        const i = at % bytes.length;
        bytes[i] = bytes[i]! ^ xor;
        const r = await attempt(() => readPackArchive(bytes));
        if (r.ok) expectSameSignedContent(r.pack);
      }),
      { numRuns: 2 * RUNS.numRuns },
    );
  });

  it('truncations of the archive are always rejected with a TributaryError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 1_000_000 }), async (at) => {
        const r = await attempt(() => readPackArchive(pack.bytes.slice(0, at % pack.bytes.length)));
        expect(r.ok).toBe(false);
      }),
      RUNS,
    );
  });

  it('any change to a byte of a listed file is rejected (pack/hash-mismatch)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.nat({ max: 1_000_000 }), fc.integer({ min: 1, max: 255 }), async (which, at, xor) => {
        const path = listed[which % listed.length]!;
        const data = pack.files.get(path)!.slice();
        const i = at % data.length;
        data[i] = data[i]! ^ xor;
        const files = new Map(pack.files).set(path, data);
        const folder = await attempt(() => readPackFolder(async (p) => files.get(p) ?? Promise.reject(new Error('404'))));
        expect(folder).toEqual({ ok: false, code: 'pack/hash-mismatch' });
        const archive = await attempt(() => readPackArchive(rebuild(files).bytes));
        expect(archive).toEqual({ ok: false, code: 'pack/hash-mismatch' });
      }),
      RUNS,
    );
  });

  it('a changed byte with the manifest re-hashed to match never alters signed content unnoticed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.nat({ max: 1_000_000 }), fc.integer({ min: 1, max: 255 }), async (which, at, xor) => {
        const path = listed[which % listed.length]!;
        const data = pack.files.get(path)!.slice();
        const i = at % data.length;
        data[i] = data[i]! ^ xor;
        const { files } = rebuild(new Map(pack.files).set(path, data), { rehash: true });
        const r = await attempt(() => readPackFolder(async (p) => files.get(p) ?? Promise.reject(new Error('404'))));
        if (r.ok) expectSameSignedContent(r.pack);
      }),
      RUNS,
    );
  });

  it('truncated listed files with the manifest re-hashed are rejected', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.nat({ max: 1_000_000 }), async (which, at) => {
        const path = listed[which % listed.length]!;
        const full = pack.files.get(path)!;
        const length = at % full.length;
        const { files } = rebuild(new Map(pack.files).set(path, full.slice(0, length)), { rehash: true });
        const r = await attempt(() => readPackFolder(async (p) => files.get(p) ?? Promise.reject(new Error('404'))));
        if (r.ok) {
          if (path === 'validations.jsonl') {
            // whole lines lost: fewer validations is still a valid pack
            expect(r.pack.validations.length).toBeLessThan(original.validations.length);
          } else {
            // only a JSON file's final line break was cut: same content
            expect(path.endsWith('.json') && length === full.length - 1).toBe(true);
            expectSameSignedContent(r.pack);
          }
        }
      }),
      RUNS,
    );
  });
});
