/**
 * Merkle roots of Datanet versions, OpenZeppelin `StandardMerkleTree` compatible so a root can later be
 * anchored on chain and proofs checked with OpenZeppelin's `MerkleProof` in Solidity.
 *
 * Leaf = `keccak256(bytes.concat(keccak256(abi.encode(bytes32 contributionId, address contributor))))`
 * (the StandardMerkleTree leaf hash); the tree sorts leaves by hash and pairs nodes sorted
 * (`sortLeaves: true`, OpenZeppelin's default), so the root depends only on the set of leaves.
 */
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import type { Address, Hex } from './types.ts';

export const VERSION_LEAF_ENCODING = ['bytes32', 'address'] as const;

export interface VersionLeaf {
  contributionId: Hex;
  contributor: Address;
}

type LeafValue = [Hex, Address];

const HASH_RE = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;

function toValues(leaves: ReadonlyArray<VersionLeaf>): LeafValue[] {
  if (leaves.length === 0) throw new RangeError('a Datanet version has at least one contribution; got no leaves');
  const seen = new Set<string>();
  const values = leaves.map(({ contributionId, contributor }): LeafValue => {
    if (!HASH_RE.test(contributionId)) throw new RangeError(`not a 32-byte contribution id: ${contributionId}`);
    if (!ADDRESS_RE.test(contributor)) throw new RangeError(`not an address: ${contributor}`);
    const id = contributionId.toLowerCase() as Hex;
    if (seen.has(id)) throw new RangeError(`contribution ${id} appears twice`);
    seen.add(id);
    return [id, contributor.toLowerCase() as Address];
  });
  // Sorted by id so the tree's internal order (and its dump) is the same whatever order we were given.
  return values.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function tree(leaves: ReadonlyArray<VersionLeaf>): StandardMerkleTree<LeafValue> {
  return StandardMerkleTree.of(toValues(leaves), [...VERSION_LEAF_ENCODING]);
}

/**
 * Root of the StandardMerkleTree over `[contributionId, contributor]` of every contribution in a version.
 *
 * @throws RangeError on no leaves, a malformed id or address, or a repeated contribution id.
 */
export function versionMerkleRoot(leaves: ReadonlyArray<VersionLeaf>): Hex {
  return tree(leaves).root.toLowerCase() as Hex;
}

/**
 * Proof that `contributionId` is in the version (sibling hashes, leaf to root), as OpenZeppelin's
 * `MerkleProof.verify` expects.
 *
 * @throws RangeError when the id is not among the leaves (or as `versionMerkleRoot`).
 */
export function versionMerkleProof(leaves: ReadonlyArray<VersionLeaf>, contributionId: Hex): Hex[] {
  const t = tree(leaves);
  const id = contributionId.toLowerCase();
  for (const [i, [leafId]] of t.entries()) {
    if (leafId === id) return t.getProof(i).map((h) => h.toLowerCase() as Hex);
  }
  throw new RangeError(`contribution ${contributionId} is not in this version`);
}

/** True when `proof` shows `leaf` under `root`. Never throws: malformed input gives false. */
export function verifyVersionProof(root: Hex, leaf: VersionLeaf, proof: readonly Hex[]): boolean {
  try {
    if (!HASH_RE.test(root) || !HASH_RE.test(leaf.contributionId) || !ADDRESS_RE.test(leaf.contributor)) return false;
    if (!proof.every((h) => HASH_RE.test(h))) return false;
    return StandardMerkleTree.verify(root, [...VERSION_LEAF_ENCODING], [leaf.contributionId, leaf.contributor], [...proof]);
  } catch {
    return false;
  }
}
