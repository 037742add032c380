import { describe, expect, it } from 'vitest';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { hashTypedData } from 'viem';
import {
  DATANET_TYPES,
  EIP712_DOMAIN,
  datanetDescriptionHash,
  hashContribution,
  hashDatanet,
  hashValidation,
  signContribution,
  signDatanet,
  signValidation,
  verifyContribution,
  verifyDatanet,
  verifyValidation,
  type DatanetSigned,
} from './signing.ts';
import { sha256Text } from './hash.ts';
import { isTributaryError } from './errors.ts';
import type { ContributionPayload, Hex, ValidationPayload } from './types.ts';

const key = generatePrivateKey();
const me = privateKeyToAccount(key).address;
const otherKey = generatePrivateKey();
const other = privateKeyToAccount(otherKey).address;

const contribution: ContributionPayload = {
  datanetId: 'dn-0123456789abcdef',
  contributor: me,
  title: 'notes.md',
  mediaType: 'text/markdown',
  textHash: sha256Text('text'),
  chunksHash: sha256Text('chunks'),
  chunkCount: 3,
  createdAt: 1_700_000_000_000,
};

const validation: ValidationPayload = {
  contributionId: sha256Text('c'),
  validator: me,
  verdict: 'approve',
  reason: 'Accurate and on topic.',
  createdAt: 1_700_000_000_001,
};

const datanet: DatanetSigned = {
  id: 'dn-0123456789abcdef',
  name: 'Rust errors',
  summary: 'rustc errors explained',
  descriptionMd: '# Hi',
  tags: ['rust'],
  licence: 'CC-BY-4.0',
  owner: me,
  rewardPolicy: { contributorsBps: 8000, ownerBps: 2000 },
  moderation: 'quorum',
  chunking: { unit: 'chars', size: 800, overlap: 100 },
  createdAt: 1_700_000_000_000,
};

const MALFORMED: Hex[] = ['0x', '0x1234', `0x${'zz'.repeat(65)}`, `0x${'00'.repeat(65)}`, `0x${'ff'.repeat(65)}`, 'nothex' as Hex];

async function errorCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return isTributaryError(e) ? e.code : String(e);
  }
  return undefined;
}

describe('contributions', () => {
  it('round-trips; the id is the EIP-712 hash', async () => {
    const { id, signature } = await signContribution(contribution, key);
    expect(id).toBe(hashContribution(contribution));
    expect(id).toMatch(/^0x[0-9a-f]{64}$/);
    expect(signature).toMatch(/^0x[0-9a-f]{130}$/);
    expect(await verifyContribution(contribution, signature)).toBe(true);
    expect(await verifyContribution({ ...contribution, contributor: me.toLowerCase() as Hex }, signature)).toBe(true);
  });

  it.each<[string, Partial<ContributionPayload>]>([
    ['datanetId', { datanetId: 'dn-0000000000000000' }],
    ['title', { title: 'other.md' }],
    ['mediaType', { mediaType: 'text/plain' }],
    ['textHash', { textHash: sha256Text('x') }],
    ['chunksHash', { chunksHash: sha256Text('y') }],
    ['chunkCount', { chunkCount: 4 }],
    ['createdAt', { createdAt: 1_700_000_000_001 }],
  ])('fails when %s is tampered with', async (_f, over) => {
    const { id, signature } = await signContribution(contribution, key);
    expect(hashContribution({ ...contribution, ...over })).not.toBe(id);
    expect(await verifyContribution({ ...contribution, ...over }, signature)).toBe(false);
  });

  it('fails for a forged signature (another key) and a claimed other contributor', async () => {
    const forged = await signContribution({ ...contribution, contributor: other }, otherKey);
    expect(await verifyContribution(contribution, forged.signature)).toBe(false);
    const mine = await signContribution(contribution, key);
    expect(await verifyContribution({ ...contribution, contributor: other }, mine.signature)).toBe(false);
  });

  it('returns false for malformed signatures', async () => {
    for (const s of MALFORMED) expect(await verifyContribution(contribution, s)).toBe(false);
    expect(await verifyContribution({ ...contribution, contributor: '0x12' }, `0x${'11'.repeat(65)}`)).toBe(false);
  });

  it("refuses to sign with a key that is not the contributor's", async () => {
    expect(await errorCode(signContribution(contribution, otherKey))).toBe('signature/invalid');
  });
});

describe('validations', () => {
  it('round-trips, detects tampering and forgery, tolerates garbage', async () => {
    const { id, signature } = await signValidation(validation, key);
    expect(id).toBe(hashValidation(validation));
    expect(await verifyValidation(validation, signature)).toBe(true);
    expect(await verifyValidation({ ...validation, verdict: 'reject' }, signature)).toBe(false);
    expect(await verifyValidation({ ...validation, reason: 'x' }, signature)).toBe(false);
    expect(await verifyValidation({ ...validation, contributionId: sha256Text('d') }, signature)).toBe(false);
    expect(await verifyValidation({ ...validation, createdAt: 2 }, signature)).toBe(false);
    const forged = await signValidation({ ...validation, validator: other }, otherKey);
    expect(await verifyValidation(validation, forged.signature)).toBe(false);
    for (const s of MALFORMED) expect(await verifyValidation(validation, s)).toBe(false);
    expect(await errorCode(signValidation(validation, otherKey))).toBe('signature/invalid');
  });
});

describe('datanets', () => {
  it('hashes the description fields in a fixed JSON form', () => {
    expect(datanetDescriptionHash(datanet)).toBe(
      sha256Text('{"summary":"rustc errors explained","descriptionMd":"# Hi","tags":["rust"],"chunking":{"unit":"chars","size":800,"overlap":100}}'),
    );
    expect(hashDatanet(datanet)).toBe(
      hashTypedData({
        domain: EIP712_DOMAIN,
        types: DATANET_TYPES,
        primaryType: 'Datanet',
        message: {
          id: datanet.id,
          name: datanet.name,
          owner: datanet.owner,
          licence: datanet.licence,
          contributorsBps: 8000,
          ownerBps: 2000,
          moderation: 'quorum',
          descriptionHash: datanetDescriptionHash(datanet),
          createdAt: BigInt(datanet.createdAt),
        },
      }),
    );
  });

  it('round-trips over a full Datanet record (unsigned fields ignored)', async () => {
    const { signature } = await signDatanet(datanet, key);
    const full = { ...datanet, dataType: 'text' as const, currentVersion: 3, origin: { kind: 'local' as const } };
    expect(await verifyDatanet(full, signature)).toBe(true);
  });

  it.each<[string, Partial<DatanetSigned>]>([
    ['name', { name: 'Other' }],
    ['summary', { summary: 'other' }],
    ['descriptionMd', { descriptionMd: '# Ho' }],
    ['tags', { tags: ['rust', 'c'] }],
    ['licence', { licence: 'MIT' }],
    ['rewardPolicy', { rewardPolicy: { contributorsBps: 9000, ownerBps: 1000 } }],
    ['moderation', { moderation: 'owner' }],
    ['chunking', { chunking: { unit: 'chars', size: 800, overlap: 0 } }],
    ['createdAt', { createdAt: 1 }],
    ['id', { id: 'dn-ffffffffffffffff' }],
  ])('fails when %s is tampered with', async (_f, over) => {
    const { signature } = await signDatanet(datanet, key);
    expect(await verifyDatanet({ ...datanet, ...over }, signature)).toBe(false);
  });

  it('fails for another owner key and garbage', async () => {
    const forged = await signDatanet({ ...datanet, owner: other }, otherKey);
    expect(await verifyDatanet(datanet, forged.signature)).toBe(false);
    for (const s of MALFORMED) expect(await verifyDatanet(datanet, s)).toBe(false);
    expect(await errorCode(signDatanet(datanet, otherKey))).toBe('signature/invalid');
  });
});
