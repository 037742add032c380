/** Signature malleability (issue 10): only the canonical form (low-s, v ∈ {27, 28}) verifies. */
import { describe, expect, it } from 'vitest';
import { privateKeyToAccount } from 'viem/accounts';
import { canonicalSignature, isCanonicalSignature, signContribution, signDatanet, signValidation, verifyContribution, verifyDatanet, verifyValidation } from './signing.ts';
import type { ContributionPayload, Datanet, Hex, ValidationPayload } from './types.ts';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b693690' as Hex;
const who = privateKeyToAccount(KEY).address;

/** The same signature with s → n − s and v flipped: mathematically valid, not canonical. */
function highS(sig: Hex): Hex {
  const s = BigInt(`0x${sig.slice(66, 130)}`);
  const v = Number.parseInt(sig.slice(130), 16);
  return `${sig.slice(0, 66)}${(N - s).toString(16).padStart(64, '0')}${(v === 27 ? 28 : 27).toString(16)}` as Hex;
}
/** v as 0/1 instead of 27/28. */
const zeroOneV = (sig: Hex): Hex => `${sig.slice(0, 130)}0${Number.parseInt(sig.slice(130), 16) - 27}` as Hex;

const contribution: ContributionPayload = {
  datanetId: 'dn-00112233445566aa', contributor: who, title: 't', mediaType: 'text/plain',
  textHash: `0x${'11'.repeat(32)}`, chunksHash: `0x${'22'.repeat(32)}`, chunkCount: 1, createdAt: 1,
};
const validation: ValidationPayload = { contributionId: `0x${'33'.repeat(32)}`, validator: who, verdict: 'approve', reason: '', createdAt: 2 };
const datanet: Datanet = {
  id: 'dn-00112233445566aa', name: 'n', summary: 's', descriptionMd: '', tags: [], dataType: 'text', licence: 'CC0-1.0', owner: who,
  rewardPolicy: { contributorsBps: 8000, ownerBps: 2000 }, moderation: 'quorum', chunking: { unit: 'chars', size: 800, overlap: 100 },
  createdAt: 1, currentVersion: 0, origin: { kind: 'local' },
};

describe('canonical signatures only', () => {
  it.each([
    ['contribution', () => signContribution(contribution, KEY), (s: Hex) => verifyContribution(contribution, s)],
    ['validation', () => signValidation(validation, KEY), (s: Hex) => verifyValidation(validation, s)],
    ['datanet', () => signDatanet(datanet, KEY), (s: Hex) => verifyDatanet(datanet, s)],
  ] as const)('%s: the canonical signature verifies; its high-s and v∈{0,1} twins do not', async (_, sign, verify) => {
    const { signature } = await sign();
    expect(isCanonicalSignature(signature)).toBe(true);
    expect(await verify(signature)).toBe(true);
    expect(await verify(highS(signature))).toBe(false);
    expect(await verify(zeroOneV(signature))).toBe(false);
    expect(await verify(zeroOneV(highS(signature)))).toBe(false);
  });

  it('canonicalSignature turns a wallet’s other forms into the one canonical form', async () => {
    const { signature } = await signContribution(contribution, KEY);
    for (const form of [signature, highS(signature), zeroOneV(signature), zeroOneV(highS(signature)), signature.toUpperCase().replace('0X', '0x') as Hex]) {
      expect(canonicalSignature(form)).toBe(signature);
    }
    expect(() => canonicalSignature('0x1234')).toThrow(expect.objectContaining({ code: 'signature/invalid' }));
    expect(() => canonicalSignature(`${signature.slice(0, 130)}1d`)).toThrow(expect.objectContaining({ code: 'signature/invalid' }));
  });

  it('zero r or s, and r ≥ n, are not canonical', () => {
    expect(isCanonicalSignature(`0x${'00'.repeat(32)}${'01'.repeat(32)}1b`)).toBe(false);
    expect(isCanonicalSignature(`0x${'01'.repeat(32)}${'00'.repeat(32)}1b`)).toBe(false);
    expect(isCanonicalSignature(`0x${N.toString(16)}${'01'.repeat(32)}1b`)).toBe(false);
  });
});
