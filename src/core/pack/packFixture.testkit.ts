/**
 * Test helpers for packs: a small, really signed Datanet version, and ways to rebuild an archive after
 * changing its files. Test-only (imported by *.test.ts).
 */
import { privateKeyToAccount } from 'viem/accounts';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { hashPassageList, sha256Text } from '../hash.ts';
import { versionMerkleRoot } from '../merkle.ts';
import { normalizeForHash } from '../normalize.ts';
import { signContribution, signDatanet, signValidation, signVersion } from '../signing.ts';
import type { Passage, Contribution, ContributionPayload, Datanet, Hex, Validation, ValidationPayload } from '../types.ts';
import type { PackContents, PackManifest } from './types.ts';
import { encodeManifest, manifestEntries, zipPack } from './writePack.ts';

// Fixed keys (well-known test keys): deterministic fixtures, no secrets.
export const KEYS = {
  owner: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  alice: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b693690',
  bob: '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  carol: '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  mallory: '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
} as const satisfies Record<string, Hex>;

export const addressOf = (key: Hex) => privateKeyToAccount(key).address;

export const NOW = 1_700_000_100_000;

export async function makeContents(opts: { contributions?: number; chunksEach?: number; moderation?: 'quorum' | 'owner' } = {}): Promise<PackContents> {
  const nContributions = opts.contributions ?? 2;
  const chunksEach = opts.chunksEach ?? 2;
  const moderation = opts.moderation ?? 'quorum';
  const owner = addressOf(KEYS.owner);
  const datanet: Datanet = {
    id: 'dn-00112233445566aa',
    name: 'Rust compiler errors',
    summary: 'Plain explanations of rustc errors.',
    descriptionMd: '# About\n\nOne passage per error.',
    tags: ['rust', 'compilers'],
    dataType: 'text',
    licence: 'CC-BY-4.0',
    owner,
    rewardPolicy: { contributorsBps: 8000, ownerBps: 2000 },
    moderation,
    chunking: { unit: 'chars', size: 800, overlap: 100 },
    createdAt: 1_700_000_000_000,
    currentVersion: 1,
    origin: { kind: 'local' },
  };
  const { signature: datanetSignature } = await signDatanet(datanet, KEYS.owner);

  const contributors = [KEYS.alice, KEYS.bob];
  const contributions: Contribution[] = [];
  const chunks: Passage[] = [];
  const validations: Validation[] = [];
  for (let i = 0; i < nContributions; i++) {
    const key = contributors[i % contributors.length]!;
    const texts = Array.from({ length: chunksEach }, (_, j) => `Error E0${i}${j}: a borrow of moved value, explained (${i}/${j}).`);
    const full = texts.join('\n\n');
    const id0 = { contributionId: '0x' as Hex };
    let offset = 0;
    const myChunks: Passage[] = texts.map((text, index) => {
      const start = offset;
      offset += text.length + 2;
      return {
        hash: sha256Text(text),
        dedupeHash: sha256Text(normalizeForHash(text)),
        contributionId: id0.contributionId,
        datanetId: datanet.id,
        index,
        text,
        start,
        end: start + text.length,
      };
    });
    const payload: ContributionPayload = {
      datanetId: datanet.id,
      contributor: addressOf(key),
      title: `errors-${i}.md`,
      mediaType: 'text/markdown',
      textHash: sha256Text(normalizeForHash(full)),
      chunksHash: hashPassageList(myChunks.map((c) => c.hash)),
      chunkCount: myChunks.length,
      createdAt: 1_700_000_010_000 + i,
    };
    const { id, signature } = await signContribution(payload, key);
    contributions.push({
      ...payload,
      id,
      signature,
      sourceBytes: utf8ToBytes(full).length,
      status: 'accepted',
      decidedAt: 1_700_000_050_000,
      acceptedInVersion: 1,
      minhash: [1, 2, 3, 0xffff_ffff],
    });
    for (const c of myChunks) chunks.push({ ...c, contributionId: id });

    const voters: { key: Hex; role: 'validator' | 'owner' }[] =
      moderation === 'owner' ? [{ key: KEYS.owner, role: 'owner' }] : [{ key: KEYS.carol, role: 'validator' }, { key: key === KEYS.alice ? KEYS.bob : KEYS.alice, role: 'validator' }];
    for (const [k, voter] of voters.entries()) {
      const vp: ValidationPayload = { contributionId: id, validator: addressOf(voter.key), verdict: 'approve', reason: k === 0 ? 'Accurate.' : '', createdAt: 1_700_000_020_000 + k };
      const signed = await signValidation(vp, voter.key);
      validations.push({ ...vp, id: signed.id, signature: signed.signature, datanetId: datanet.id, weight: 0.5, role: voter.role });
    }
  }
  const contributionIds = contributions.map((c) => c.id);
  const version = {
    datanetId: datanet.id,
    version: 1,
    merkleRoot: versionMerkleRoot(contributions.map((c) => ({ contributionId: c.id, contributor: c.contributor }))),
    contributionIds,
    addedIds: contributionIds,
    createdAt: 1_700_000_050_000,
  };
  return {
    datanet,
    datanetSignature,
    version,
    versionSignature: await signVersion(datanet, version, KEYS.owner),
    contributions,
    chunks,
    validations,
  };
}

export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
export const bytesOf = (s: string): Uint8Array => utf8ToBytes(s);

/** Edits a JSON file; returns the new bytes in the writer's format. */
export function editJson(bytes: Uint8Array, edit: (value: never) => unknown): Uint8Array {
  return bytesOf(`${JSON.stringify(edit(JSON.parse(text(bytes)) as never), null, 2)}\n`);
}

/** Edits the records of a JSONL file. */
export function editJsonl(bytes: Uint8Array, edit: (records: never[]) => unknown[]): Uint8Array {
  const records = text(bytes).split('\n').filter(Boolean).map((l) => JSON.parse(l) as never);
  return bytesOf(edit(records).map((r) => `${JSON.stringify(r)}\n`).join(''));
}

/**
 * Rebuilds an archive from pack files. With `rehash`, the manifest's file list is recomputed from the
 * files (so only deeper checks can catch a change); `manifest` edits the manifest object first.
 */
export function rebuild(
  files: ReadonlyMap<string, Uint8Array>,
  opts: { rehash?: boolean; manifest?: (m: PackManifest) => PackManifest } = {},
): { files: Map<string, Uint8Array>; bytes: Uint8Array } {
  const out = new Map(files);
  if (opts.rehash || opts.manifest) {
    let m = JSON.parse(text(out.get('manifest.json')!)) as PackManifest;
    if (opts.rehash) m = { ...m, files: manifestEntries(out) };
    if (opts.manifest) m = opts.manifest(m);
    out.set('manifest.json', encodeManifest(m));
  }
  return { files: out, bytes: zipPack(out, NOW) };
}
