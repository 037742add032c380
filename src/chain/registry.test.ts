// DatanetRegistry on a real anvil: registration bound to the owner (key and consent), owner-only
// anchoring, strictly increasing versions, two-step ownership transfer, and a contributor's leaf
// (core/merkle) verified against an anchored root on chain. Issue 10's registry squatting is attacked here.
import { encodeAbiParameters, keccak256, parseEventLogs, toHex, type Hex } from 'viem';
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
let relayer: DevWallet;

beforeAll(async () => {
  stack = await startLocalStack({ accounts: 4, mintEach: 0n });
  registry = stack.deployment.registry;
  [owner, other, relayer] = [stack.wallets[1]!, stack.wallets[2]!, stack.wallets[3]!];
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

const idHashOf = (id: string) => keccak256(toHex(id));
const keyOf = (id: string, who: Address) => keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'bytes32' }], [who, idHashOf(id)]));
const randomId = () => `dn-${Math.random().toString(16).slice(2, 18).padEnd(16, '0')}`;

type Fn = 'register' | 'anchorVersion' | 'transferDatanetOwnership' | 'acceptDatanetOwnership';

function sim(from: DevWallet, functionName: Fn, args: readonly unknown[]) {
  return () =>
    stack.publicClient.simulateContract({
      address: registry,
      abi: datanetRegistryAbi,
      functionName,
      args: args as never,
      account: from.account,
    });
}

async function send(from: DevWallet, functionName: Fn, args: readonly unknown[]) {
  const hash = await from.writeContract({ address: registry, abi: datanetRegistryAbi, functionName, args: args as never });
  return mined(stack.publicClient, hash);
}

/** The owner registers its own Datanet (no consent signature needed); returns the key. */
async function registerOwn(who: DevWallet, id: string, name: string): Promise<Hex> {
  await send(who, 'register', [idHashOf(id), name, who.account.address, '0x']);
  return keyOf(id, who.account.address);
}

/** The owner's EIP-712 consent to registering `id` as `name`. */
async function consent(who: DevWallet, id: string, name: string): Promise<Hex> {
  return who.signTypedData({
    account: who.account,
    domain: { name: 'Tributary DatanetRegistry', version: '2', chainId: stack.deployment.chainId, verifyingContract: registry },
    types: { RegisterDatanet: [{ name: 'idHash', type: 'bytes32' }, { name: 'name', type: 'string' }, { name: 'owner', type: 'address' }] },
    primaryType: 'RegisterDatanet',
    message: { idHash: idHashOf(id), name, owner: who.account.address },
  });
}

describe('DatanetRegistry', () => {
  it('registers once per (owner, id); the named owner is the owner', async () => {
    const id = randomId();
    const tx = await send(owner, 'register', [idHashOf(id), 'Rust docs', owner.account.address, '0x']);
    const key = keyOf(id, owner.account.address);
    expect(parseEventLogs({ abi: datanetRegistryAbi, logs: tx.logs, eventName: 'DatanetRegistered' })[0]!.args).toEqual({
      datanetKey: key,
      idHash: idHashOf(id),
      owner: owner.account.address,
      name: 'Rust docs',
    });
    expect(await stack.publicClient.readContract({ address: registry, abi: datanetRegistryAbi, functionName: 'ownerOf', args: [key] })).toBe(owner.account.address);
    const d = await stack.publicClient.readContract({ address: registry, abi: datanetRegistryAbi, functionName: 'datanet', args: [key] });
    expect(d).toEqual({ owner: owner.account.address, latestVersion: 0, pendingOwner: '0x0000000000000000000000000000000000000000', name: 'Rust docs' });
    const e = await expectRevert(sim(owner, 'register', [idHashOf(id), 'Again', owner.account.address, '0x']), 'DatanetAlreadyRegistered');
    expect(decodeChainError(e).code).toBe('chain/registry');
    await expectRevert(sim(owner, 'register', [idHashOf(randomId()), '', owner.account.address, '0x']), 'EmptyName');
    await expectRevert(sim(owner, 'register', [`0x${'00'.repeat(32)}`, 'x', owner.account.address, '0x']), 'ZeroValue');
    await expectRevert(sim(owner, 'register', [idHashOf(randomId()), 'x', '0x0000000000000000000000000000000000000000', '0x']), 'ZeroValue');
  });

  it("squatting (issue 10): registering someone else's public Datanet id first neither blocks nor takes it", async () => {
    const id = randomId(); // public: it is in the owner's signed Datanet record and in every pack
    // Today's attack: the squatter registers the id first, then anchors its own root under it.
    // 1. naming the victim as owner without the victim's consent is refused
    await expectRevert(sim(other, 'register', [idHashOf(id), 'Squatted', owner.account.address, '0x']), 'InvalidOwnerSignature');
    await expectRevert(sim(other, 'register', [idHashOf(id), 'Squatted', owner.account.address, await consent(other, id, 'Squatted')]), 'InvalidOwnerSignature');
    // a consent for another name cannot be reused
    await expectRevert(sim(other, 'register', [idHashOf(id), 'Squatted', owner.account.address, await consent(owner, id, 'Real name')]), 'InvalidOwnerSignature');
    // 2. naming itself only registers the squatter's own key
    const squatKey = await registerOwn(other, id, 'Squatted');
    await send(other, 'anchorVersion', [squatKey, 1, `0x${'66'.repeat(32)}`, 1]);
    // the owner's key is untouched and the owner still registers and anchors it
    const key = keyOf(id, owner.account.address);
    expect(key).not.toBe(squatKey);
    expect(await stack.publicClient.readContract({ address: registry, abi: datanetRegistryAbi, functionName: 'ownerOf', args: [key] })).toBe('0x0000000000000000000000000000000000000000');
    await registerOwn(owner, id, 'Real name');
    await send(owner, 'anchorVersion', [key, 1, `0x${'77'.repeat(32)}`, 2]);
    expect((await stack.publicClient.readContract({ address: registry, abi: datanetRegistryAbi, functionName: 'versionOf', args: [key, 1] })).merkleRoot).toBe(`0x${'77'.repeat(32)}`);
  });

  it("a relayer registers with the owner's signed consent; the owner, not the relayer, owns it", async () => {
    const id = randomId();
    const sig = await consent(owner, id, 'Relayed');
    const digest = await stack.publicClient.readContract({ address: registry, abi: datanetRegistryAbi, functionName: 'registrationDigest', args: [idHashOf(id), 'Relayed', owner.account.address] });
    expect(digest).toMatch(/^0x[0-9a-f]{64}$/);
    await send(relayer, 'register', [idHashOf(id), 'Relayed', owner.account.address, sig]);
    const key = keyOf(id, owner.account.address);
    expect(await stack.publicClient.readContract({ address: registry, abi: datanetRegistryAbi, functionName: 'ownerOf', args: [key] })).toBe(owner.account.address);
    await expectRevert(sim(relayer, 'anchorVersion', [key, 1, `0x${'12'.repeat(32)}`, 1]), 'NotDatanetOwner');
    // the same consent cannot register twice
    await expectRevert(sim(relayer, 'register', [idHashOf(id), 'Relayed', owner.account.address, sig]), 'DatanetAlreadyRegistered');
  });

  it('anchors versions: owner only, strictly increasing, never empty', async () => {
    const id = randomId();
    const key = keyOf(id, owner.account.address);
    const root = `0x${'12'.repeat(32)}` as Hex;
    await expectRevert(sim(owner, 'anchorVersion', [key, 1, root, 3]), 'DatanetNotRegistered');
    await registerOwn(owner, id, 'Versions');
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

  it('transfers ownership in two steps: a mistyped address loses nothing; only the offered account accepts', async () => {
    const id = randomId();
    const key = await registerOwn(owner, id, 'Handover');
    const root = `0x${'34'.repeat(32)}` as Hex;
    await expectRevert(sim(other, 'transferDatanetOwnership', [key, other.account.address]), 'NotDatanetOwner');
    // a typo: offered to an address nobody controls. The owner keeps every right and can re-offer.
    const typo = freshAddress();
    const t1 = await send(owner, 'transferDatanetOwnership', [key, typo]);
    expect(parseEventLogs({ abi: datanetRegistryAbi, logs: t1.logs, eventName: 'DatanetOwnershipTransferStarted' })[0]!.args).toEqual({
      datanetKey: key,
      owner: owner.account.address,
      newOwner: typo,
    });
    expect(await stack.publicClient.readContract({ address: registry, abi: datanetRegistryAbi, functionName: 'ownerOf', args: [key] })).toBe(owner.account.address);
    await send(owner, 'anchorVersion', [key, 1, root, 1]);
    await expectRevert(sim(other, 'acceptDatanetOwnership', [key]), 'NotPendingOwner');
    await send(owner, 'transferDatanetOwnership', [key, other.account.address]);
    const e = await expectRevert(sim(relayer, 'acceptDatanetOwnership', [key]), 'NotPendingOwner');
    expect(decodeChainError(e).code).toBe('chain/not-authorized');
    const tx = await send(other, 'acceptDatanetOwnership', [key]);
    expect(parseEventLogs({ abi: datanetRegistryAbi, logs: tx.logs, eventName: 'DatanetOwnershipTransferred' })[0]!.args).toEqual({
      datanetKey: key,
      previousOwner: owner.account.address,
      newOwner: other.account.address,
    });
    expect((await stack.publicClient.readContract({ address: registry, abi: datanetRegistryAbi, functionName: 'datanet', args: [key] })).pendingOwner).toBe(
      '0x0000000000000000000000000000000000000000',
    );
    await expectRevert(sim(owner, 'anchorVersion', [key, 2, root, 1]), 'NotDatanetOwner');
    await send(other, 'anchorVersion', [key, 2, root, 1]);
    // an offer can be withdrawn (zero address)
    await send(other, 'transferDatanetOwnership', [key, owner.account.address]);
    await send(other, 'transferDatanetOwnership', [key, '0x0000000000000000000000000000000000000000']);
    await expectRevert(sim(owner, 'acceptDatanetOwnership', [key]), 'NotPendingOwner');
  });

  it("verifies a contributor's leaf (core/merkle) against an anchored root with OZ MerkleProof", async () => {
    const leaves: VersionLeaf[] = Array.from({ length: 7 }, (_, i) => ({
      contributionId: keccak256(toHex(`contribution-${i}`)),
      contributor: freshAddress(),
    }));
    const root = versionMerkleRoot(leaves);
    const key = await registerOwn(owner, randomId(), 'Merkle');
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
