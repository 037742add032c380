import { beforeAll, describe, expect, it } from 'vitest';
import { zipSync } from 'fflate';
import { TributaryError, isTributaryError } from '../errors.ts';
import { hashPassageList, sha256Text } from '../hash.ts';
import { normalizeForHash } from '../normalize.ts';
import { signContribution, signDatanet } from '../signing.ts';
import type { Passage, Contribution, Hex, Validation } from '../types.ts';
import { readPackArchive, readPackFolder } from './readPack.ts';
import { writePack, type WrittenPack } from './writePack.ts';
import { KEYS, NOW, addressOf, bytesOf, editJson, editJsonl, makeContents, rebuild, text } from './packFixture.testkit.ts';
import type { PackContents, PackManifest, PackProgress } from './types.ts';

let contents: PackContents;
let pack: WrittenPack;
beforeAll(async () => {
  contents = await makeContents({ contributions: 3, chunksEach: 2 });
  pack = writePack(contents, NOW);
});

async function failure(p: Promise<unknown>): Promise<TributaryError> {
  try {
    await p;
  } catch (e) {
    if (isTributaryError(e)) return e;
    throw new Error(`expected a TributaryError, got ${String(e)}`);
  }
  throw new Error('expected the pack to be rejected');
}

function withFile(path: string, bytes: Uint8Array | undefined): Map<string, Uint8Array> {
  const files = new Map(pack.files);
  if (bytes) files.set(path, bytes);
  else files.delete(path);
  return files;
}

const sorted = <T extends { id: string }>(xs: T[]) => [...xs].sort((a, b) => (a.id < b.id ? -1 : 1));
const chunkOrder = (xs: Passage[]) => [...xs].sort((a, b) => (a.contributionId < b.contributionId ? -1 : a.contributionId > b.contributionId ? 1 : a.index - b.index));

describe('round trip', () => {
  it('reads back what was written, verified', async () => {
    const progress: PackProgress[] = [];
    const read = await readPackArchive(pack.bytes, (p) => progress.push(p));
    const { origin: _o, currentVersion: _v, ...datanet } = contents.datanet;
    expect(read.datanet).toEqual({ ...datanet, currentVersion: 1, origin: { kind: 'pack', manifestHash: pack.manifestHash, source: '' } });
    expect(read.datanetSignature).toBe(contents.datanetSignature);
    expect(read.version).toEqual(contents.version);
    expect(read.contributions).toEqual(sorted(contents.contributions));
    expect(read.chunks).toEqual(chunkOrder(contents.chunks));
    expect(read.validations).toHaveLength(contents.validations.length);
    expect(new Set(read.validations.map((v) => v.id))).toEqual(new Set(contents.validations.map((v) => v.id)));
    expect(read.validations).toEqual(expect.arrayContaining(contents.validations));
    expect(read.manifestHash).toBe(pack.manifestHash);
    expect(read.manifest.files).toHaveLength(5);
    expect(progress.at(-1)).toMatchObject({ stage: 'verifying', done: 1 + 3 + 6, total: 1 + 3 + 6 });
  });

  it('reads the same pack served as a folder', async () => {
    const asked: string[] = [];
    const read = await readPackFolder(async (path) => {
      asked.push(path);
      const f = pack.files.get(path);
      if (!f) throw new Error('404');
      return f;
    });
    expect(asked[0]).toBe('manifest.json');
    expect(read).toEqual(await readPackArchive(pack.bytes));
  });

  it('reads an owner-moderated pack with owner votes', async () => {
    const c = await makeContents({ contributions: 1, moderation: 'owner' });
    const read = await readPackArchive(writePack(c, NOW).bytes);
    expect(read.validations[0]?.role).toBe('owner');
  });

  it('accepts a pack with an index file listed in the manifest', async () => {
    const files = withFile('indexes/bm25.bin', new Uint8Array([1, 2, 3]));
    const read = await readPackArchive(rebuild(files, { rehash: true }).bytes);
    expect(read.manifest.files.map((f) => f.path)).toContain('indexes/bm25.bin');
  });
});

describe('archive corruption', () => {
  it('corrupt zip bytes -> pack/corrupt', async () => {
    expect((await failure(readPackArchive(new Uint8Array([1, 2, 3, 4])))).code).toBe('pack/corrupt');
    expect((await failure(readPackArchive(new Uint8Array(0)))).code).toBe('pack/corrupt');
    const damaged = pack.bytes.slice();
    // the first entry (manifest.json) is deflated: garble its compressed data
    for (let i = 60; i < 120; i++) damaged[i] = (damaged[i]! + 77) & 0xff;
    expect((await failure(readPackArchive(damaged))).code).toMatch(/^pack\/(corrupt|manifest)$/);
  });

  it('truncated archive -> pack/corrupt', async () => {
    expect((await failure(readPackArchive(pack.bytes.slice(0, pack.bytes.length - 10)))).code).toBe('pack/corrupt');
    expect((await failure(readPackArchive(pack.bytes.slice(0, pack.bytes.length >> 1)))).code).toBe('pack/corrupt');
  });

  it('path traversal entry -> pack/corrupt, refused before reading', async () => {
    for (const name of ['../evil.txt', 'indexes/../../evil', '/etc/passwd', 'C:\\evil.txt', 'a\\..\\b', 'a//b', './manifest.json']) {
      const zip = zipSync({ ...Object.fromEntries(pack.files), [name]: new Uint8Array([1]) });
      const e = await failure(readPackArchive(zip));
      expect(e.code).toBe('pack/corrupt');
      expect(e.message).toMatch(/unsafe path/);
    }
  });

  it('an entry twice -> pack/corrupt', async () => {
    // fflate cannot write duplicate names; build them by renaming one entry in place
    const zip = zipSync({ 'manifest.json': pack.files.get('manifest.json')!, 'manifesx.json': pack.files.get('manifest.json')! }, { level: 0 });
    const bytes = zip.slice();
    const name = bytesOf('manifesx.json');
    for (let i = 0; i + name.length <= bytes.length; i++) {
      if (name.every((b, j) => bytes[i + j] === b)) bytes[i + 7] = 't'.charCodeAt(0);
    }
    const e = await failure(readPackArchive(bytes));
    expect(e.code).toBe('pack/corrupt');
    expect(e.message).toMatch(/twice/);
  });

  it('too many entries -> pack/corrupt', async () => {
    const many: Record<string, Uint8Array> = {};
    for (let i = 0; i < 2001; i++) many[`f${i}`] = new Uint8Array(0);
    expect((await failure(readPackArchive(zipSync(many, { level: 0 })))).message).toMatch(/more than 2000 entries/);
  });

  it('declared sizes over 64 MiB -> pack/corrupt before inflating', async () => {
    // 65 MiB of zeros deflates to ~65 KiB
    const zip = zipSync({ 'manifest.json': pack.files.get('manifest.json')!, 'indexes/big': new Uint8Array(65 * 1024 * 1024) }, { level: 1 });
    expect(zip.length).toBeLessThan(1024 * 1024);
    const e = await failure(readPackArchive(zip));
    expect(e.code).toBe('pack/corrupt');
    expect(e.message).toMatch(/more than 67108864 bytes/);
  });

  it('unsupported compression method -> pack/corrupt', async () => {
    const zip = zipSync({ 'manifest.json': pack.files.get('manifest.json')! }, { level: 0 });
    const bytes = zip.slice();
    // central directory header: method at offset 10 from its signature 0x02014b50
    for (let i = 0; i < bytes.length - 4; i++) {
      if (bytes[i] === 0x50 && bytes[i + 1] === 0x4b && bytes[i + 2] === 0x01 && bytes[i + 3] === 0x02) bytes[i + 10] = 12;
    }
    expect((await failure(readPackArchive(bytes))).message).toMatch(/compression method 12/);
  });
});

describe('manifest', () => {
  it('missing manifest -> pack/missing-file', async () => {
    const e = await failure(readPackArchive(rebuild(withFile('manifest.json', undefined)).bytes));
    expect(e.code).toBe('pack/missing-file');
    expect(e.subject).toBe('manifest.json');
  });

  it('bad JSON -> pack/manifest', async () => {
    expect((await failure(readPackArchive(rebuild(withFile('manifest.json', bytesOf('{"format": '))).bytes))).code).toBe('pack/manifest');
  });

  it('wrong format version -> pack/unsupported-version', async () => {
    const e = await failure(readPackArchive(rebuild(pack.files, { manifest: (m) => ({ ...m, formatVersion: 2 as never }) }).bytes));
    expect(e.code).toBe('pack/unsupported-version');
    expect(e.message).toMatch(/format version 2/);
    const f = await failure(readPackArchive(rebuild(pack.files, { manifest: (m) => ({ ...m, format: 'something-else' as never }) }).bytes));
    expect(f.code).toBe('pack/unsupported-version');
  });

  it.each<[string, (m: PackManifest) => unknown]>([
    ['an unknown field', (m) => ({ ...m, extra: 1 })],
    ['a missing field', ({ licence: _l, ...m }) => m],
    ['a non-null tokenizer', (m) => ({ ...m, tokenizer: 'bpe' })],
    ['a bad merkle root', (m) => ({ ...m, merkleRoot: '0x1234' })],
    ['a fractional version', (m) => ({ ...m, version: 1.5 })],
    ['unsorted files', (m) => ({ ...m, files: [...m.files].reverse() })],
    ['a file that is not a pack file', (m) => ({ ...m, files: [...m.files, { path: 'zz.txt', bytes: 1, sha256: m.files[0]!.sha256 }] })],
    ['a required file left out', (m) => ({ ...m, files: m.files.slice(1) })],
    ['a negative size', (m) => ({ ...m, files: m.files.map((f, i) => (i === 0 ? { ...f, bytes: -1 } : f)) })],
  ])('%s -> pack/manifest', async (_label, edit) => {
    const files = withFile('manifest.json', editJson(pack.files.get('manifest.json')!, edit as never));
    expect((await failure(readPackArchive(rebuild(files).bytes))).code).toBe('pack/manifest');
  });

  it('a non-canonical encoding -> pack/manifest', async () => {
    const m = JSON.parse(text(pack.files.get('manifest.json')!)) as unknown;
    const files = withFile('manifest.json', bytesOf(JSON.stringify(m)));
    const e = await failure(readPackArchive(rebuild(files).bytes));
    expect(e.code).toBe('pack/manifest');
    expect(e.message).toMatch(/canonical/);
  });

  it('fields that disagree with the files -> pack/manifest', async () => {
    for (const edit of [(m: PackManifest) => ({ ...m, name: 'Another name' }), (m: PackManifest) => ({ ...m, licence: 'MIT' }), (m: PackManifest) => ({ ...m, version: 2 })]) {
      expect((await failure(readPackArchive(rebuild(pack.files, { manifest: edit }).bytes))).code).toBe('pack/manifest');
    }
  });
});

describe('files', () => {
  it('missing file -> pack/missing-file naming it', async () => {
    const e = await failure(readPackArchive(rebuild(withFile('chunks.jsonl', undefined)).bytes));
    expect(e.code).toBe('pack/missing-file');
    expect(e.subject).toBe('chunks.jsonl');
  });

  it('extra (unlisted) file -> pack/corrupt naming it', async () => {
    const e = await failure(readPackArchive(rebuild(withFile('notes.txt', bytesOf('hello'))).bytes));
    expect(e.code).toBe('pack/corrupt');
    expect(e.subject).toBe('notes.txt');
  });

  it('wrong hash (same size) -> pack/hash-mismatch naming the file', async () => {
    const v = pack.files.get('validations.jsonl')!.slice();
    v[10] = v[10] === 0x61 ? 0x62 : 0x61;
    const e = await failure(readPackArchive(rebuild(withFile('validations.jsonl', v)).bytes));
    expect(e.code).toBe('pack/hash-mismatch');
    expect(e.subject).toBe('validations.jsonl');
  });

  it('truncated file -> pack/hash-mismatch naming the file', async () => {
    const c = pack.files.get('contributions.jsonl')!;
    const e = await failure(readPackArchive(rebuild(withFile('contributions.jsonl', c.slice(0, c.length - 20))).bytes));
    expect(e.code).toBe('pack/hash-mismatch');
    expect(e.subject).toBe('contributions.jsonl');
    expect(e.message).toMatch(/cut short/);
  });

  it('truncated file with a re-hashed manifest -> pack/corrupt', async () => {
    const c = pack.files.get('contributions.jsonl')!;
    const e = await failure(readPackArchive(rebuild(withFile('contributions.jsonl', c.slice(0, c.length - 20)), { rehash: true }).bytes));
    expect(e.code).toBe('pack/corrupt');
  });

  it('folder: a file that cannot be fetched -> pack/missing-file; TributaryErrors pass through', async () => {
    const e = await failure(
      readPackFolder(async (path) => {
        if (path === 'version.json') throw new Error('404 Not Found');
        return pack.files.get(path)!;
      }),
    );
    expect(e.code).toBe('pack/missing-file');
    expect(e.subject).toBe('version.json');
    const f = await failure(
      readPackFolder(async () => {
        throw new TributaryError('pack/fetch', 'offline');
      }),
    );
    expect(f.code).toBe('pack/fetch');
  });
});

/** Re-encodes a pack after editing its records (and re-hashing the manifest), as an attacker could. */
function tampered(edit: { contributions?: (cs: Contribution[]) => Contribution[]; chunks?: (cs: Passage[]) => Passage[]; validations?: (vs: Validation[]) => Validation[] }) {
  let files = new Map(pack.files);
  if (edit.contributions) files.set('contributions.jsonl', editJsonl(files.get('contributions.jsonl')!, edit.contributions as never));
  if (edit.chunks) files.set('chunks.jsonl', editJsonl(files.get('chunks.jsonl')!, edit.chunks as never));
  if (edit.validations) files.set('validations.jsonl', editJsonl(files.get('validations.jsonl')!, edit.validations as never));
  files = rebuild(files, { rehash: true }).files;
  return rebuild(files).bytes;
}

describe('records', () => {
  it('forged contribution signature (signed by another key) -> pack/signature naming it', async () => {
    const victim = sorted(contents.contributions)[1]!;
    const { contributor: _c, id: _i, signature: _s, sourceBytes: _b, status: _st, decidedAt: _d, acceptedInVersion: _a, minhash: _m, ...rest } = victim;
    const forged = await signContribution({ ...rest, contributor: addressOf(KEYS.mallory) }, KEYS.mallory);
    const bytes = tampered({ contributions: (cs) => cs.map((c) => (c.id === victim.id ? { ...c, signature: forged.signature } : c)) });
    const e = await failure(readPackArchive(bytes));
    expect(e.code).toBe('pack/signature');
    expect(e.subject).toBe(victim.id);
    expect(e.message).toContain(victim.title);
  });

  it('a contribution re-attributed to another contributor -> pack/signature or pack/merkle', async () => {
    const victim = sorted(contents.contributions)[0]!;
    const bytes = tampered({ contributions: (cs) => cs.map((c) => (c.id === victim.id ? { ...c, contributor: addressOf(KEYS.mallory) } : c)) });
    expect((await failure(readPackArchive(bytes))).code).toMatch(/^pack\/(signature|merkle)$/);
  });

  it('tampered chunk text -> pack/hash-mismatch', async () => {
    const bytes = tampered({ chunks: (cs) => cs.map((c, i) => (i === 1 ? { ...c, text: `${c.text} Buy now!` } : c)) });
    const e = await failure(readPackArchive(bytes));
    expect(e.code).toBe('pack/hash-mismatch');
    expect(e.subject).toBe('chunks.jsonl:2');
  });

  // Changes that normalizeForHash erases: the dedupe hash still matches, the exact-text hash does not.
  const invisibleToDedupe: [string, (t: string) => string][] = [
    ['only the capitalisation', (t) => t.replace('borrow', 'Borrow')],
    ['only the capitalisation (whole passage)', (t) => t.toUpperCase()],
    ['only the spacing (a doubled space)', (t) => t.replace(' a borrow', '  a borrow')],
    ['only the spacing (a line break for a space)', (t) => t.replace(' a borrow', '\na borrow')],
  ];

  it.each(invisibleToDedupe)('changing %s of one passage -> pack/hash-mismatch', async (_what, change) => {
    const original = chunkOrder(contents.chunks)[1]!;
    const changed = change(original.text);
    expect(changed).not.toBe(original.text);
    expect(normalizeForHash(changed)).toBe(normalizeForHash(original.text));
    const bytes = tampered({ chunks: (cs) => cs.map((c, i) => (i === 1 ? { ...c, text: changed } : c)) });
    const e = await failure(readPackArchive(bytes));
    expect(e.code).toBe('pack/hash-mismatch');
    expect(e.subject).toBe('chunks.jsonl:2');
    expect(e.message).toMatch(/does not match its hash/);
  });

  it.each(invisibleToDedupe)('changing %s of one passage with its hashes recomputed -> pack/hash-mismatch (chunksHash)', async (_what, change) => {
    const bytes = tampered({
      chunks: (cs) =>
        cs.map((c, i) => {
          if (i !== 1) return c;
          const t = change(c.text);
          return { ...c, text: t, hash: sha256Text(t), dedupeHash: sha256Text(normalizeForHash(t)) };
        }),
    });
    const e = await failure(readPackArchive(bytes));
    expect(e.code).toBe('pack/hash-mismatch');
    expect(e.message).toMatch(/chunksHash/);
  });

  it('a wrong dedupeHash -> pack/hash-mismatch', async () => {
    const bytes = tampered({ chunks: (cs) => cs.map((c, i) => (i === 2 ? { ...c, dedupeHash: sha256Text('something else') } : c)) });
    const e = await failure(readPackArchive(bytes));
    expect(e.code).toBe('pack/hash-mismatch');
    expect(e.subject).toBe('chunks.jsonl:3');
    expect(e.message).toMatch(/dedupeHash/);
  });

  it('a passage without dedupeHash, or with an unknown field -> pack/corrupt', async () => {
    const missing = tampered({ chunks: (cs) => cs.map((c, i) => (i === 0 ? (({ dedupeHash: _d, ...rest }) => rest)(c) : c) as Passage) });
    const m = await failure(readPackArchive(missing));
    expect(m.code).toBe('pack/corrupt');
    expect(m.message).toMatch(/lacks the field "dedupeHash"/);
    const extra = tampered({ chunks: (cs) => cs.map((c, i) => (i === 0 ? ({ ...c, normalizedHash: c.dedupeHash } as Passage) : c)) });
    const x = await failure(readPackArchive(extra));
    expect(x.code).toBe('pack/corrupt');
    expect(x.message).toMatch(/unknown field "normalizedHash"/);
  });

  it('tampered chunk text with its hash recomputed -> pack/hash-mismatch (chunksHash)', async () => {
    const bytes = tampered({
      chunks: (cs) => cs.map((c, i) => (i === 1 ? { ...c, text: 'Other text.', hash: sha256Text('Other text.'), dedupeHash: sha256Text(normalizeForHash('Other text.')) } : c)),
    });
    const e = await failure(readPackArchive(bytes));
    expect(e.code).toBe('pack/hash-mismatch');
    expect(e.message).toMatch(/chunksHash/);
  });

  it('tampered chunk text with every hash recomputed -> pack/signature', async () => {
    const target = sorted(contents.contributions)[0]!;
    const newChunks = chunkOrder(contents.chunks)
      .filter((c) => c.contributionId === target.id)
      .map((c, i) => (i === 0 ? { ...c, text: 'Other text.', hash: sha256Text('Other text.'), dedupeHash: sha256Text(normalizeForHash('Other text.')) } : c));
    const chunksHash = hashPassageList(newChunks.map((c) => c.hash));
    const bytes = tampered({
      chunks: (cs) => cs.map((c) => (c.contributionId === target.id && c.index === 0 ? newChunks[0]! : c)),
      contributions: (cs) => cs.map((c) => (c.id === target.id ? { ...c, chunksHash } : c)),
    });
    expect((await failure(readPackArchive(bytes))).code).toBe('pack/signature');
  });

  it('a missing passage -> pack/corrupt', async () => {
    const bytes = tampered({ chunks: (cs) => cs.filter((_, i) => i !== 0) });
    expect((await failure(readPackArchive(bytes))).code).toBe('pack/corrupt');
  });

  it('a renumbered passage -> pack/corrupt', async () => {
    const bytes = tampered({ chunks: (cs) => cs.map((c, i) => (i === 1 ? { ...c, index: 5 } : c)) });
    expect((await failure(readPackArchive(bytes))).code).toBe('pack/corrupt');
  });

  it('a passage of an unknown contribution -> pack/corrupt', async () => {
    const bytes = tampered({ chunks: (cs) => [...cs, { ...cs[0]!, contributionId: `0x${'ab'.repeat(32)}` as Hex }] });
    expect((await failure(readPackArchive(bytes))).code).toBe('pack/corrupt');
  });

  it('tampered merkle root -> pack/merkle', async () => {
    const other = `0x${'11'.repeat(32)}`;
    let files = withFile('version.json', editJson(pack.files.get('version.json')!, (v: { merkleRoot: string }) => ({ ...v, merkleRoot: other })));
    files = rebuild(files, { rehash: true, manifest: (m) => ({ ...m, merkleRoot: other as Hex }) }).files;
    const e = await failure(readPackArchive(rebuild(files).bytes));
    expect(e.code).toBe('pack/merkle');
    // only the manifest's root changed
    const f = await failure(readPackArchive(rebuild(pack.files, { manifest: (m) => ({ ...m, merkleRoot: other as Hex }) }).bytes));
    expect(f.code).toBe('pack/merkle');
  });

  it('version listing a contribution not in the pack -> pack/corrupt', async () => {
    const extra = `0x${'ab'.repeat(32)}`;
    const files = withFile('version.json', editJson(pack.files.get('version.json')!, (v: { contributionIds: string[] }) => ({ ...v, contributionIds: [...v.contributionIds, extra] })));
    expect((await failure(readPackArchive(rebuild(files, { rehash: true }).bytes))).code).toBe('pack/corrupt');
  });

  it('tampered datanet signature -> pack/signature', async () => {
    const { signature: foreign } = await signDatanet({ ...contents.datanet, owner: addressOf(KEYS.mallory) }, KEYS.mallory);
    const files = withFile('datanet.json', editJson(pack.files.get('datanet.json')!, (d: { signature: string }) => ({ ...d, signature: foreign })));
    const e = await failure(readPackArchive(rebuild(files, { rehash: true }).bytes));
    expect(e.code).toBe('pack/signature');
    expect(e.subject).toBe('datanet.json');
  });

  it('a tampered datanet field (description) -> pack/signature', async () => {
    const files = withFile(
      'datanet.json',
      editJson(pack.files.get('datanet.json')!, (d: { datanet: { descriptionMd: string } }) => ({ ...d, datanet: { ...d.datanet, descriptionMd: 'Send money here.' } })),
    );
    expect((await failure(readPackArchive(rebuild(files, { rehash: true }).bytes))).code).toBe('pack/signature');
  });

  it('a datanet not in normal form -> pack/corrupt', async () => {
    const files = withFile('datanet.json', editJson(pack.files.get('datanet.json')!, (d: { datanet: { tags: string[] } }) => ({ ...d, datanet: { ...d.datanet, tags: ['Rust'] } })));
    expect((await failure(readPackArchive(rebuild(files, { rehash: true }).bytes))).code).toBe('pack/corrupt');
  });

  it('duplicated contribution id -> pack/corrupt', async () => {
    const bytes = tampered({ contributions: (cs) => [...cs, cs[0]!] });
    const e = await failure(readPackArchive(bytes));
    expect(e.code).toBe('pack/corrupt');
    expect(e.message).toMatch(/twice/);
  });

  it('duplicated validation id -> pack/corrupt', async () => {
    const bytes = tampered({ validations: (vs) => [...vs, vs[0]!] });
    const e = await failure(readPackArchive(bytes));
    expect(e.code).toBe('pack/corrupt');
    expect(e.message).toMatch(/twice/);
  });

  it('a tampered validation -> pack/signature', async () => {
    const bytes = tampered({ validations: (vs) => vs.map((v, i) => (i === 0 ? { ...v, verdict: 'reject' as const } : v)) });
    expect((await failure(readPackArchive(bytes))).code).toBe('pack/signature');
  });

  it('an owner-role vote in a quorum Datanet -> pack/corrupt', async () => {
    const bytes = tampered({ validations: (vs) => vs.map((v, i) => (i === 0 ? { ...v, role: 'owner' as const } : v)) });
    expect((await failure(readPackArchive(bytes))).code).toBe('pack/corrupt');
  });

  it.each<[string, (c: Contribution) => unknown]>([
    ['a pending contribution', (c) => ({ ...c, status: 'pending' })],
    ['an unknown field', (c) => ({ ...c, origin: 'x' })],
    ['an upper-case hash', (c) => ({ ...c, textHash: c.textHash.toUpperCase().replace('0X', '0x') })],
    ['a short signature', (c) => ({ ...c, signature: c.signature.slice(0, 20) })],
    ['a bad address', (c) => ({ ...c, contributor: '0x1234' })],
    ['a string chunk count', (c) => ({ ...c, chunkCount: '2' })],
    ['a foreign datanet', (c) => ({ ...c, datanetId: 'dn-ffffffffffffffff' })],
    ['a bad minhash', (c) => ({ ...c, minhash: [-1] })],
    ['acceptance in a later version', (c) => ({ ...c, acceptedInVersion: 2 })],
  ])('%s -> pack/corrupt', async (_label, edit) => {
    const bytes = tampered({ contributions: (cs) => cs.map((c, i) => (i === 0 ? (edit(c) as Contribution) : c)) });
    expect((await failure(readPackArchive(bytes))).code).toBe('pack/corrupt');
  });

  it('a line without its final line break -> pack/corrupt', async () => {
    const c = pack.files.get('contributions.jsonl')!;
    const bytes = rebuild(withFile('contributions.jsonl', c.slice(0, c.length - 1)), { rehash: true }).bytes;
    const e = await failure(readPackArchive(bytes));
    expect(e.code).toBe('pack/corrupt');
    expect(e.message).toMatch(/line break/);
  });
});
