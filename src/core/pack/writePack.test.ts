import { beforeAll, describe, expect, it } from 'vitest';
import { unzipSync } from 'fflate';
import { sha256Hex, sha256Text } from '../hash.ts';
import { normalizeForHash } from '../normalize.ts';
import { isTributaryError } from '../errors.ts';
import { datanetSlug, writePack } from './writePack.ts';
import { NOW, makeContents, text } from './packFixture.testkit.ts';
import type { PackContents, PackManifest } from './types.ts';

let contents: PackContents;
beforeAll(async () => {
  contents = await makeContents();
});

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isTributaryError(e) ? e.code : String(e);
  }
  return undefined;
}

describe('writePack', () => {
  it('writes the six files, the manifest listing the other five sorted with sizes and hashes', () => {
    const pack = writePack(contents, NOW);
    const unzipped = unzipSync(pack.bytes);
    expect(Object.keys(unzipped)).toEqual(['manifest.json', 'chunks.jsonl', 'contributions.jsonl', 'datanet.json', 'validations.jsonl', 'version.json']);
    const manifest = JSON.parse(text(unzipped['manifest.json']!)) as PackManifest;
    expect(manifest).toMatchObject({
      format: 'tributary-datanet-pack',
      formatVersion: 1,
      datanetId: contents.datanet.id,
      name: contents.datanet.name,
      version: 1,
      merkleRoot: contents.version.merkleRoot,
      licence: 'CC-BY-4.0',
      createdAt: NOW,
      tokenizer: null,
      embeddingModel: null,
    });
    expect(manifest.files.map((f) => f.path)).toEqual(['chunks.jsonl', 'contributions.jsonl', 'datanet.json', 'validations.jsonl', 'version.json']);
    for (const f of manifest.files) {
      expect(f.bytes).toBe(unzipped[f.path]!.length);
      expect(f.sha256).toBe(sha256Hex(unzipped[f.path]!));
      expect(pack.files.get(f.path)).toEqual(unzipped[f.path]);
    }
    expect(pack.manifestHash).toBe(sha256Hex(unzipped['manifest.json']!));
    expect(pack.files.get('manifest.json')).toEqual(unzipped['manifest.json']);
  });

  it('names the file <slug>-v<version>-<8 hex of manifestHash>.tributary.zip', () => {
    const pack = writePack(contents, NOW);
    expect(pack.fileName).toBe(`rust-compiler-errors-v1-${pack.manifestHash.slice(2, 10)}.tributary.zip`);
    expect(datanetSlug('  Ça va?  Über—Daten!! ')).toBe('ca-va-uber-daten');
    expect(datanetSlug('日本語')).toBe('datanet');
  });

  it('leaves out local-only Datanet fields', () => {
    const pack = writePack(contents, NOW);
    const d = JSON.parse(text(pack.files.get('datanet.json')!)) as { datanet: Record<string, unknown>; signature: string };
    expect(d.signature).toBe(contents.datanetSignature);
    expect(d.datanet).not.toHaveProperty('origin');
    expect(d.datanet).not.toHaveProperty('currentVersion');
  });

  it('is deterministic: same input and time give the same bytes, whatever the record order or key order', () => {
    const a = writePack(contents, NOW);
    const shuffled: PackContents = {
      ...contents,
      datanet: Object.fromEntries(Object.entries(contents.datanet).reverse()) as never,
      contributions: [...contents.contributions].reverse().map((c) => Object.fromEntries(Object.entries(c).reverse()) as never),
      chunks: [...contents.chunks].reverse(),
      validations: [...contents.validations].reverse(),
    };
    const b = writePack(shuffled, NOW);
    expect(b.bytes).toEqual(a.bytes);
    expect(b.manifestHash).toBe(a.manifestHash);
    expect(writePack(contents, NOW + 1).manifestHash).not.toBe(a.manifestHash);
  });

  it('does not depend on the time zone', () => {
    const before = process.env.TZ;
    const a = writePack(contents, NOW).bytes;
    try {
      process.env.TZ = 'Pacific/Kiritimati';
      expect(writePack(contents, NOW).bytes).toEqual(a);
      process.env.TZ = 'America/Los_Angeles';
      expect(writePack(contents, NOW).bytes).toEqual(a);
    } finally {
      process.env.TZ = before;
    }
  });

  it('refuses inconsistent contents', () => {
    const [first, second] = contents.contributions;
    expect(code(() => writePack({ ...contents, contributions: [{ ...first!, status: 'pending' }, second!] }, NOW))).toBe('pack/corrupt');
    expect(code(() => writePack({ ...contents, contributions: [first!] }, NOW))).toBe('pack/corrupt');
    expect(code(() => writePack({ ...contents, contributions: [first!, { ...second!, datanetId: 'dn-ffffffffffffffff' }] }, NOW))).toBe('pack/corrupt');
    expect(code(() => writePack({ ...contents, chunks: [...contents.chunks, { ...contents.chunks[0]!, contributionId: `0x${'ab'.repeat(32)}` }] }, NOW))).toBe(
      'pack/corrupt',
    );
    expect(code(() => writePack({ ...contents, version: { ...contents.version, datanetId: 'dn-ffffffffffffffff' } }, NOW))).toBe('pack/corrupt');
    expect(() => writePack(contents, -1)).toThrow(RangeError);
  });

  it('refuses a passage whose hash or dedupeHash does not match its text', () => {
    const [first, ...rest] = contents.chunks;
    const withFirst = (c: typeof first) => ({ ...contents, chunks: [c!, ...rest] });
    // Case only: the dedupe hash would still match, the exact-text hash does not.
    expect(code(() => writePack(withFirst({ ...first!, text: first!.text.toUpperCase() }), NOW))).toBe('pack/corrupt');
    expect(code(() => writePack(withFirst({ ...first!, hash: first!.dedupeHash }), NOW))).toBe('pack/corrupt');
    expect(code(() => writePack(withFirst({ ...first!, dedupeHash: first!.hash }), NOW))).toBe('pack/corrupt');
  });

  it('writes each passage with its exact-text hash and its dedupeHash', () => {
    const lines = new TextDecoder().decode(writePack(contents, NOW).files.get('chunks.jsonl')!).trim().split('\n');
    for (const line of lines) {
      const c = JSON.parse(line) as Record<string, unknown>;
      expect(Object.keys(c)).toEqual(['hash', 'dedupeHash', 'contributionId', 'datanetId', 'index', 'text', 'start', 'end']);
      expect(c.hash).toBe(sha256Text(c.text as string));
      expect(c.dedupeHash).toBe(sha256Text(normalizeForHash(c.text as string)));
    }
  });
});
