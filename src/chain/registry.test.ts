// DatanetRegistry on a real anvil: registration, owner-only anchoring, strictly increasing versions,
// ownership transfer, and a contributor's leaf (core/merkle) verified against an anchored root on chain.
import { keccak256, parseEventLogs, toHex, type Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { versionMerkleProof, versionMerkleRoot, type VersionLeaf } from '../core/merkle.ts';
import type { Address } from '../core/types.ts';
import { decodeChainError } from './errors.ts';
import { datanetRegistryAbi } from './generated/DatanetRegistry.ts';
import { startLocalStack, type DevWallet, type LocalStack } from '../node/chain/localStack.ts';
import { expectRevert, freshAddress, mined } from '../node/chain/chain.testkit.ts';

let stack: LocalStack;
let registry: Address;
let owner: DevWallet;
let other: DevWallet;

beforeAll(async () => {
  stack = await startLocalStack({ accounts: 3, mintEach: 0n });
  registry = stack.deployment.registry;
  [owner, other] = [stack.wallets[1]!, stack.wallets[2]!];
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

const keyOf = (id: string) => keccak256(toHex(id));
const randomId = () => `dn-${Math.random().toString(16).slice(2, 18).padEnd(16, '0')}`;

function sim(from: DevWallet, functionName: 'register' | 'anchorVersion' | 'transferDatanetOwnership', args: readonly unknown[]) {
  return () =>
    stack.publicClient.simulateContract({
      address: registry,
      abi: datanetRegistryAbi,
      functionName,
      args: args as never,
      account: from.account,
    });
}

async function send(from: DevWallet, functionName: 'register' | 'anchorVersion' | 'transferDatanetOwnership', args: readonly unknown[]) {
  const hash = await from.writeContract({ address: registry, abi: datanetRegistryAbi, functionName, args: args as never });
  return mined(stack.publicClient, hash);
}

describe('DatanetRegistry', () => {
  it('registers once; the caller is the owner', async () => {
    const key = keyOf(randomId());
    const tx = await send(owner, 'register', [key, 'Rust docs']);
    expect(parseEventLogs({ abi: datanetRegistryAbi, logs: tx.logs, eventName: 'DatanetRegistered' })[0]!.args).toEqual({
      datanetKey: key,
      owner: owner.account.address,
      name: 'Rust docs',
    });
    expect(await stack.publicClient.readContract({ address: registry, abi: datanetRegistryAbi, functionName: 'ownerOf', args: [key] })).toBe(owner.account.address);
    const d = await stack.publicClient.readContract({ address: registry, abi: datanetRegistryAbi, functionName: 'datanet', args: [key] });
    expect(d).toEqual({ owner: owner.account.address, latestVersion: 0, name: 'Rust docs' });
    await expectRevert(sim(other, 'register', [key, 'Mine now']), 'DatanetAlreadyRegistered');
    const e = await expectRevert(sim(owner, 'register', [key, 'Again']), 'DatanetAlreadyRegistered');
    expect(decodeChainError(e).code).toBe('chain/registry');
    await expectRevert(sim(owner, 'register', [keyOf(randomId()), '']), 'EmptyName');
    await expectRevert(sim(owner, 'register', [`0x${'00'.repeat(32)}`, 'x']), 'ZeroValue');
  });

  it('anchors versions: owner only, strictly increasing, never empty', async () => {
    const key = keyOf(randomId());
    const root = `0x${'12'.repeat(32)}` as Hex;
    await expectRevert(sim(owner, 'anchorVersion', [key, 1, root, 3]), 'DatanetNotRegistered');
    await send(owner, 'register', [key, 'Versions']);
    const e = await expectRevert(sim(other, 'anchorVersion', [key, 1, root, 3]), 'NotDatanetOwner');
    expect(decodeChainError(e).code).toBe('chain/not-authorized');
    await expectRevert(sim(owner, 'anchorVersion', [key, 0, root, 3]), 'VersionNotIncreasing');
    await expectRevert(sim(owner, 'anchorVersion', [key, 1, `0x${'00'.repeat(32)}`, 3]), 'EmptyVersion');
    await expectRevert(sim(owner, 'anchorVersion', [key, 1, root, 0]), 'EmptyVersion');

    const tx = await send(owner, 'anchorVersion', [key, 1, root, 3]);
    expect(parseEventLogs({ abi: datanetRegistryAbi, logs: tx.logs, eventName: 'VersionAnchored' })[0]!.args).toEqual({
      datanetKey: key,
      version: 1,
      merkleRoot: root,
      contributionCount: 3,
    });
    await expectRevert(sim(owner, 'anchorVersion', [key, 1, root, 3]), 'VersionNotIncreasing');
    await send(owner, 'anchorVersion', [key, 3, root, 4]); // gaps are allowed
    await expectRevert(sim(owner, 'anchorVersion', [key, 2, root, 4]), 'VersionNotIncreasing');
    const v = await stack.publicClient.readContract({ address: registry, abi: datanetRegistryAbi, functionName: 'versionOf', args: [key, 3] });
    expect(v).toMatchObject({ merkleRoot: root, contributionCount: 4 });
    expect(v.anchoredAt).toBeGreaterThan(0n);
    expect((await stack.publicClient.readContract({ address: registry, abi: datanetRegistryAbi, functionName: 'datanet', args: [key] })).latestVersion).toBe(3);
  });

  it('transfers ownership: only the owner, never to zero; the new owner anchors, the old cannot', async () => {
    const key = keyOf(randomId());
    const root = `0x${'34'.repeat(32)}` as Hex;
    await send(owner, 'register', [key, 'Handover']);
    await expectRevert(sim(other, 'transferDatanetOwnership', [key, other.account.address]), 'NotDatanetOwner');
    await expectRevert(sim(owner, 'transferDatanetOwnership', [key, '0x0000000000000000000000000000000000000000']), 'ZeroValue');
    const tx = await send(owner, 'transferDatanetOwnership', [key, other.account.address]);
    expect(parseEventLogs({ abi: datanetRegistryAbi, logs: tx.logs, eventName: 'DatanetOwnershipTransferred' })[0]!.args).toEqual({
      datanetKey: key,
      previousOwner: owner.account.address,
      newOwner: other.account.address,
    });
    await expectRevert(sim(owner, 'anchorVersion', [key, 1, root, 1]), 'NotDatanetOwner');
    await send(other, 'anchorVersion', [key, 1, root, 1]);
  });

  it("verifies a contributor's leaf (core/merkle) against an anchored root with OZ MerkleProof", async () => {
    const leaves: VersionLeaf[] = Array.from({ length: 7 }, (_, i) => ({
      contributionId: keccak256(toHex(`contribution-${i}`)),
      contributor: freshAddress(),
    }));
    const root = versionMerkleRoot(leaves);
    const key = keyOf(randomId());
    await send(owner, 'register', [key, 'Merkle']);
    await send(owner, 'anchorVersion', [key, 1, root, leaves.length]);
    const verify = (version: number, leaf: VersionLeaf, proof: Hex[]) =>
      stack.publicClient.readContract({
        address: registry,
        abi: datanetRegistryAbi,
        functionName: 'verifyContribution',
        args: [key, version, leaf.contributionId, leaf.contributor, proof],
      });
    for (const leaf of leaves) {
      expect(await verify(1, leaf, versionMerkleProof(leaves, leaf.contributionId))).toBe(true);
    }
    const [first, second] = [leaves[0]!, leaves[1]!];
    const proof = versionMerkleProof(leaves, first.contributionId);
    expect(await verify(1, { ...first, contributor: second.contributor }, proof)).toBe(false); // someone else's credit
    expect(await verify(1, second, proof)).toBe(false);
    expect(await verify(2, first, proof)).toBe(false); // version never anchored
    // a single-contribution version: the root is the leaf, the proof is empty
    const solo = [leaves[2]!];
    await send(owner, 'anchorVersion', [key, 2, versionMerkleRoot(solo), 1]);
    expect(await verify(2, solo[0]!, [])).toBe(true);
    expect(
      await stack.publicClient.readContract({
        address: registry,
        abi: datanetRegistryAbi,
        functionName: 'contributionLeaf',
        args: [solo[0]!.contributionId, solo[0]!.contributor],
      }),
    ).toBe(versionMerkleRoot(solo));
  });
});
