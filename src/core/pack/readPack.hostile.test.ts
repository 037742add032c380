/** Hostile pack archives: zip bombs whose directory lies about sizes (issue 10). */
import { beforeAll, describe, expect, it } from 'vitest';
import { zipSync } from 'fflate';
import { isTributaryError } from '../errors.ts';
import { readPackArchive } from './readPack.ts';
import { writePack, type WrittenPack } from './writePack.ts';
import { KEYS, NOW, addressOf, makeContents } from './packFixture.testkit.ts';
import type { Hex } from '../types.ts';
import type { PackContents } from './types.ts';
import { lieAboutSize, zipBomb } from '../zip/zipBombs.testkit.ts';

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

describe('publishing: only the owner may add a version', () => {
  async function attackerVersion2(versionSignature: (c: PackContents) => Promise<Hex | undefined>) {
    const { signContribution, signValidation } = await import('../signing.ts');
    const { versionMerkleRoot } = await import('../merkle.ts');
    const { hashPassageList, sha256Text } = await import('../hash.ts');
    const { normalizeForHash } = await import('../normalize.ts');
    const base = await makeContents({ contributions: 1, chunksEach: 1 });
    const mallory = addressOf(KEYS.mallory);
    const text = 'Attacker text that would be paid for.';
    const chunk = { hash: sha256Text(text), dedupeHash: sha256Text(normalizeForHash(text)), datanetId: base.datanet.id, index: 0, text, start: 0, end: text.length };
    const payload = {
      datanetId: base.datanet.id, contributor: mallory, title: 'mine.txt', mediaType: 'text/plain',
      textHash: sha256Text(normalizeForHash(text)), chunksHash: hashPassageList([chunk.hash]), chunkCount: 1, createdAt: NOW,
    };
    const { id, signature } = await signContribution(payload, KEYS.mallory);
    const contribution = { ...payload, id, signature, sourceBytes: text.length, status: 'accepted' as const, acceptedInVersion: 2, minhash: [1] };
    const vote = { contributionId: id, validator: mallory, verdict: 'approve' as const, reason: '', createdAt: NOW };
    const signedVote = await signValidation(vote, KEYS.mallory);
    const contributions = [...base.contributions, contribution];
    const ids = contributions.map((c) => c.id);
    const version = {
      datanetId: base.datanet.id, version: 2, contributionIds: ids, addedIds: [id], createdAt: NOW,
      merkleRoot: versionMerkleRoot(contributions.map((c) => ({ contributionId: c.id, contributor: c.contributor }))),
    };
    const contents = {
      ...base, version, contributions, chunks: [...base.chunks, { ...chunk, contributionId: id }],
      validations: [...base.validations, { ...vote, id: signedVote.id, signature: signedVote.signature, datanetId: base.datanet.id, weight: 1, role: 'validator' as const }],
      versionSignature: '0x' as Hex,
    };
    const sig = await versionSignature(contents);
    const written = writePack({ ...contents, versionSignature: sig ?? base.versionSignature }, NOW);
    if (sig !== undefined) return written.bytes;
    // no publication signature at all: drop the field from datanet.json and re-hash the manifest
    const { rebuild, editJson } = await import('./packFixture.testkit.ts');
    const files = new Map(written.files);
    files.set('datanet.json', editJson(files.get('datanet.json')!, (f: { versionSignature?: string }) => ({ ...f, versionSignature: undefined })));
    return rebuild(files, { rehash: true }).bytes;
  }

  it('a version 2 whose publication signature is version 1’s (replayed) is refused', async () => {
    const base = await makeContents({ contributions: 1, chunksEach: 1 });
    const r = await refusal(await attackerVersion2(async () => base.versionSignature));
    expect(r.code).toBe('pack/signature');
    expect(r.message).toMatch(/not published by the Datanet's owner/);
  });

  it('a version 2 the attacker signed themself is refused', async () => {
    const { signVersion } = await import('../signing.ts');
    const r = await refusal(await attackerVersion2(async (c) => signVersion({ ...c.datanet, owner: addressOf(KEYS.mallory) }, c.version, KEYS.mallory)));
    expect(r.code).toBe('pack/signature');
  });

  it('a version without any publication signature is refused', async () => {
    const r = await refusal(await attackerVersion2(async () => undefined));
    expect(r.code).toBe('pack/signature');
    expect(r.message).toMatch(/does not carry the owner's signature publishing version 2/);
  });

  it('the owner’s publication of another Datanet (same owner) does not transfer', async () => {
    const { signVersion } = await import('../signing.ts');
    const r = await refusal(await attackerVersion2(async (c) => signVersion({ ...c.datanet, id: 'dn-ffffffffffffffff' }, c.version, KEYS.owner)));
    expect(r.code).toBe('pack/signature');
  });

  it('the same version signed by the owner is accepted (control)', async () => {
    const { signVersion } = await import('../signing.ts');
    const bytes = await attackerVersion2(async (c) => signVersion(c.datanet, c.version, KEYS.owner));
    const pack = await readPackArchive(bytes);
    expect(pack.version.version).toBe(2);
  });
});
