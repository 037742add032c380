import { beforeAll, describe, expect, it } from 'vitest';
import { isTributaryError } from '../core/errors.ts';
import { sha256Text } from '../core/hash.ts';
import { makeContents, NOW } from '../core/pack/packFixture.testkit.ts';
import { readPackArchive } from '../core/pack/readPack.ts';
import type { PackContents, VerifiedPack } from '../core/pack/types.ts';
import { writePack } from '../core/pack/writePack.ts';
import type { PassageEncoder } from './encoder.ts';
import { EMBEDDINGS_FILE, SPANS_FILE } from './indexFiles.ts';
import { buildIndexFiles, loadPackIndex, sourceFromPack, verifyPackIndexes } from './packIndexes.ts';

/** A deterministic bag-of-characters encoder (a real encoder for the index plumbing; no model needed). */
function charEncoder(id = 'chars'): PassageEncoder {
  const dims = 32;
  return {
    ref: { id, hash: sha256Text(id), dims },
    async embed(texts) {
      return texts.map((t) => {
        const v = new Float32Array(dims);
        for (const ch of t.toLowerCase()) v[ch.charCodeAt(0) % dims]! += 1;
        return v;
      });
    },
  };
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (isTributaryError(e)) return e.code;
    throw e;
  }
  return undefined;
}

let contents: PackContents;
let files: Map<string, Uint8Array>;
let pack: VerifiedPack;

beforeAll(async () => {
  contents = await makeContents({ contributions: 3, chunksEach: 2 });
  files = await buildIndexFiles(sourceFromPack(contents), { encoder: charEncoder() });
  pack = await readPackArchive(writePack(contents, NOW, { indexes: files }).bytes);
});

describe('pack indexes', () => {
  it('travel in the pack, listed in the manifest, and load without rebuilding', async () => {
    expect([...pack.indexes!.keys()].sort()).toEqual([EMBEDDINGS_FILE, SPANS_FILE]);
    expect(pack.manifest.files.map((f) => f.path)).toContain(SPANS_FILE);
    verifyPackIndexes(pack);
    const loaded = await loadPackIndex(pack, { encoder: charEncoder() });
    expect(loaded.spans).toBe('pack');
    expect(loaded.embeddings).toBe('pack');
    expect(loaded.index.corpus.passages).toHaveLength(6);
  });

  it('a pack without indexes gets them built locally, with progress', async () => {
    const bare = await readPackArchive(writePack(contents, NOW).bytes);
    const phases = new Set<string>();
    const loaded = await loadPackIndex(bare, { encoder: charEncoder(), onProgress: (p) => phases.add(p) });
    expect(loaded.spans).toBe('local');
    expect(loaded.embeddings).toBe('local');
    expect([...phases]).toEqual(expect.arrayContaining(['text', 'suffix-array', 'bm25', 'embedding']));
  });

  it('embeddings of another encoder are never queried: they are rebuilt with the loaded one', async () => {
    const loaded = await loadPackIndex(pack, { encoder: charEncoder('other') });
    expect(loaded.embeddings).toBe('local');
    expect(loaded.index.embeddings!.encoder.id).toBe('other');
  });

  it('a corrupt suffix array (bytes flipped, cut short) is refused with attribution/index-corrupt', () => {
    const sa = files.get(SPANS_FILE)!;
    const swapped = sa.slice();
    // swap the last two positions of the suffix array: still a permutation, no longer sorted
    const n = swapped.length;
    const tail = swapped.slice(n - 8);
    swapped.set(tail.subarray(4, 8), n - 8);
    swapped.set(tail.subarray(0, 4), n - 4);
    for (const bad of [swapped, sa.subarray(0, sa.length - 4), Uint8Array.from(sa).fill(0, 0, 4)]) {
      const p = { ...pack, indexes: new Map([[SPANS_FILE, bad]]) };
      expect(codeOf(() => verifyPackIndexes(p))).toBe('attribution/index-corrupt');
    }
  });

  it('an index made for another version or other passages is refused with attribution/index-mismatch', async () => {
    const other = await makeContents({ contributions: 2, chunksEach: 2 });
    const otherFiles = await buildIndexFiles(sourceFromPack(other), { encoder: charEncoder() });
    for (const path of [SPANS_FILE, EMBEDDINGS_FILE]) {
      const p = { ...pack, indexes: new Map([[path, otherFiles.get(path)!]]) };
      expect(codeOf(() => verifyPackIndexes(p))).toBe('attribution/index-mismatch');
    }
    // and the reader refuses an index file that no longer matches the manifest's hash, before anything else
    const w = writePack(contents, NOW, { indexes: files });
    const tampered = new Map(w.files);
    tampered.set(SPANS_FILE, otherFiles.get(SPANS_FILE)!);
    const { zipPack } = await import('../core/pack/writePack.ts');
    await expect(readPackArchive(zipPack(tampered, NOW))).rejects.toMatchObject({ code: 'pack/hash-mismatch' });
  });
});
