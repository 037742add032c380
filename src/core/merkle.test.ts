import { describe, expect, it } from 'vitest';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { encodeAbiParameters, keccak256, concat } from 'viem';
import { verifyVersionProof, versionMerkleProof, versionMerkleRoot, type VersionLeaf } from './merkle.ts';
import { sha256Text } from './hash.ts';
import type { Address } from './types.ts';

const leaf = (i: number): VersionLeaf => ({
  contributionId: sha256Text(`c${i}`),
  contributor: `0x${(i + 1).toString(16).padStart(40, '0')}` as Address,
});
const leaves = Array.from({ length: 7 }, (_, i) => leaf(i));

describe('versionMerkleRoot', () => {
  it('is a lower-case 32-byte hex, independent of input order and address case', () => {
    const root = versionMerkleRoot(leaves);
    expect(root).toMatch(/^0x[0-9a-f]{64}$/);
    expect(versionMerkleRoot([...leaves].reverse())).toBe(root);
    expect(versionMerkleRoot(leaves.map((l) => ({ ...l, contributor: l.contributor.toUpperCase().replace('0X', '0x') as Address })))).toBe(root);
  });

  it('equals an OpenZeppelin StandardMerkleTree over [bytes32, address]', () => {
    const oz = StandardMerkleTree.of(leaves.map((l) => [l.contributionId, l.contributor]), ['bytes32', 'address']);
    expect(versionMerkleRoot(leaves)).toBe(oz.root);
  });

  it('uses the OpenZeppelin double-keccak leaf (single leaf: root = leaf hash)', () => {
    const l = leaf(0);
    const inner = keccak256(encodeAbiParameters([{ type: 'bytes32' }, { type: 'address' }], [l.contributionId, l.contributor]));
    expect(versionMerkleRoot([l])).toBe(keccak256(concat([inner])));
  });

  it('changes when a leaf changes', () => {
    const root = versionMerkleRoot(leaves);
    expect(versionMerkleRoot(leaves.slice(1))).not.toBe(root);
    expect(versionMerkleRoot([...leaves.slice(1), { ...leaves[0]!, contributor: leaf(99).contributor }])).not.toBe(root);
  });

  it('rejects empty, malformed and repeated leaves', () => {
    expect(() => versionMerkleRoot([])).toThrow(RangeError);
    expect(() => versionMerkleRoot([{ ...leaf(0), contributionId: '0x12' }])).toThrow(RangeError);
    expect(() => versionMerkleRoot([{ ...leaf(0), contributor: '0x12' }])).toThrow(RangeError);
    expect(() => versionMerkleRoot([leaf(0), leaf(0)])).toThrow(RangeError);
  });
});

describe('proofs', () => {
  it('round-trips every leaf', () => {
    const root = versionMerkleRoot(leaves);
    for (const l of leaves) {
      const proof = versionMerkleProof(leaves, l.contributionId);
      expect(verifyVersionProof(root, l, proof)).toBe(true);
    }
  });

  it('rejects a wrong leaf, a wrong root and garbage', () => {
    const root = versionMerkleRoot(leaves);
    const proof = versionMerkleProof(leaves, leaves[2]!.contributionId);
    expect(verifyVersionProof(root, leaves[3]!, proof)).toBe(false);
    expect(verifyVersionProof(root, { ...leaves[2]!, contributor: leaf(50).contributor }, proof)).toBe(false);
    expect(verifyVersionProof(versionMerkleRoot(leaves.slice(1)), leaves[2]!, proof)).toBe(false);
    expect(verifyVersionProof('0xzz', leaves[2]!, proof)).toBe(false);
    expect(verifyVersionProof(root, leaves[2]!, ['0x1234'])).toBe(false);
  });

  it('refuses a proof for a missing id', () => {
    expect(() => versionMerkleProof(leaves, leaf(100).contributionId)).toThrow(RangeError);
  });
});
