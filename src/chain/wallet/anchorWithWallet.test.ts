// Anchoring through an EIP-1193 wallet (the app's local-key provider under viem's custom transport) on a
// real anvil: read state, register, anchor, and the failures a person sees (rejected, not the owner,
// version not increasing, registered twice), each leaving the registry as it was.
import { encodeAbiParameters, keccak256, stringToBytes, type PublicClient } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTributaryError } from '../../core/errors.ts';
import { versionMerkleRoot } from '../../core/merkle.ts';
import type { Address, Hex } from '../../core/types.ts';
import { startLocalStack, type LocalStack } from '../../node/chain/localStack.ts';
import { freshAddress } from '../../node/chain/chain.testkit.ts';
import { anchorDatanetVersion, datanetKey, readAnchorState, readAnchoredVersion, registerDatanet, type AnchorContext } from './anchorWithWallet.ts';
import { walletClientFor } from './connect.ts';
import { createLocalKeyProvider, type LocalKeyProvider } from './localKeyProvider.ts';

let stack: LocalStack;
let registry: Address;
let provider: LocalKeyProvider;
let owner: AnchorContext;
let other: AnchorContext;

beforeAll(async () => {
  stack = await startLocalStack({ accounts: 4, mintEach: 0n });
  registry = stack.deployment.registry;
  provider = createLocalKeyProvider({ privateKeys: [stack.accounts[2]!.privateKey, stack.accounts[3]!.privateKey], rpcUrl: stack.anvil.rpcUrl, chainId: stack.anvil.chainId });
  await provider.request({ method: 'eth_requestAccounts' });
  const chain = { chainId: stack.anvil.chainId, name: 'Local chain (anvil)', rpcUrl: stack.anvil.rpcUrl };
  const pc = stack.publicClient as PublicClient;
  owner = { wallet: walletClientFor(provider, provider.accounts[0]!, chain), publicClient: pc, account: provider.accounts[0]! };
  const otherProvider = createLocalKeyProvider({ privateKeys: [stack.accounts[3]!.privateKey], rpcUrl: stack.anvil.rpcUrl, chainId: stack.anvil.chainId });
  await otherProvider.request({ method: 'eth_requestAccounts' });
  other = { wallet: walletClientFor(otherProvider, otherProvider.accounts[0]!, chain), publicClient: pc, account: otherProvider.accounts[0]! };
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

let n = 0;
const ref = (id: string) => ({ id, owner: owner.account });
const freshId = () => `dn-${(Date.now() * 1000 + n++).toString(16).padStart(16, '0').slice(-16)}`;
const root = (count: number) =>
  versionMerkleRoot(Array.from({ length: count }, (_, i) => ({ contributionId: keccak256(stringToBytes(`c-${i}-${n}`)), contributor: freshAddress() })));

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (!isTributaryError(e)) throw e;
    return e;
  }
  throw new Error('expected a failure');
}

describe('anchoring through the wallet', () => {
  it('derives the registry key as the contract does: keccak256(abi.encode(owner, keccak256(id bytes)))', async () => {
    const ref = { id: 'dn-0123456789abcdef', owner: owner.account };
    const idHash = keccak256(stringToBytes(ref.id));
    expect(datanetKey(ref)).toBe(keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'bytes32' }], [owner.account, idHash])));
    const { datanetRegistryAbi } = await import('../generated/DatanetRegistry.ts');
    expect(await stack.publicClient.readContract({ address: registry, abi: datanetRegistryAbi, functionName: 'datanetKeyOf', args: [idHash, owner.account] })).toBe(datanetKey(ref));
  });

  it('registers, anchors and reads back the root; a second anchor of the same version reverts with its reason', async () => {
    const id = freshId();
    expect(await readAnchorState(owner.publicClient, registry, ref(id))).toEqual({
      datanetKey: datanetKey(ref(id)),
      owner: undefined,
      pendingOwner: undefined,
      name: '',
      latestVersion: 0,
      latest: undefined,
    });

    await registerDatanet(owner, registry, id, 'Lighthouse logbook');
    expect(await readAnchorState(owner.publicClient, registry, ref(id))).toMatchObject({ owner: owner.account, name: 'Lighthouse logbook', latestVersion: 0 });

    const r1 = root(3);
    await anchorDatanetVersion(owner, registry, ref(id), { version: 1, merkleRoot: r1, contributionCount: 3 });
    const state = await readAnchorState(owner.publicClient, registry, ref(id));
    expect(state.latestVersion).toBe(1);
    expect(state.latest).toMatchObject({ version: 1, merkleRoot: r1, contributionCount: 3 });
    expect(state.latest!.anchoredAt).toBeGreaterThan(0);

    const sends = () => stack.publicClient.getTransactionCount({ address: owner.account });
    const before = await sends();
    const again = await failure(anchorDatanetVersion(owner, registry, ref(id), { version: 1, merkleRoot: root(4), contributionCount: 4 }));
    expect(again.code).toBe('chain/registry');
    expect(again.message).toMatch(/Anchoring version 1 failed: Version 1 is not after the latest anchored version 1\. Nothing was anchored\./);
    expect(await sends()).toBe(before); // refused in the dry run: nothing was sent
    expect((await readAnchoredVersion(owner.publicClient, registry, ref(id), 1))?.merkleRoot).toBe(r1);

    // Gaps are allowed.
    const r5 = root(2);
    await anchorDatanetVersion(owner, registry, ref(id), { version: 5, merkleRoot: r5, contributionCount: 2 });
    expect((await readAnchorState(owner.publicClient, registry, ref(id))).latest).toMatchObject({ version: 5, merkleRoot: r5 });
  });

  it('a rejection in the wallet leaves nothing registered or anchored', async () => {
    const id = freshId();
    provider.rejectNext();
    const rejected = await failure(registerDatanet(owner, registry, id, 'Rejected'));
    expect(rejected.code).toBe('wallet/rejected');
    expect(rejected.message).toMatch(/Nothing was registered/);
    expect((await readAnchorState(owner.publicClient, registry, ref(id))).owner).toBeUndefined();

    await registerDatanet(owner, registry, id, 'Accepted');
    provider.rejectNext();
    const r = await failure(anchorDatanetVersion(owner, registry, ref(id), { version: 1, merkleRoot: root(1), contributionCount: 1 }));
    expect(r.code).toBe('wallet/rejected');
    expect(r.message).toMatch(/Nothing was anchored/);
    expect(await readAnchorState(owner.publicClient, registry, ref(id))).toMatchObject({ latestVersion: 0, latest: undefined });
  });

  it("refuses another account's anchor, a second registration and an empty version, with decoded reasons", async () => {
    const id = freshId();
    await registerDatanet(owner, registry, id, 'Mine');
    const notOwner = await failure(anchorDatanetVersion(other, registry, ref(id), { version: 1, merkleRoot: root(1), contributionCount: 1 }));
    expect(notOwner.code).toBe('chain/not-authorized');
    expect(notOwner.message).toContain(`${other.account} is not the on-chain owner`);
    // another account registering the same public id gets a key of its own: the owner's key is untouched
    await registerDatanet(other, registry, id, 'Mine now');
    expect((await readAnchorState(owner.publicClient, registry, ref(id))).name).toBe('Mine');
    expect((await failure(registerDatanet(owner, registry, id, 'Again'))).code).toBe('chain/registry');
    const unregistered = await failure(anchorDatanetVersion(owner, registry, ref(freshId()), { version: 1, merkleRoot: root(1), contributionCount: 1 }));
    expect(unregistered.message).toMatch(/is not registered on chain: register it first/);
    const zero = `0x${'0'.repeat(64)}` as Hex;
    expect((await failure(anchorDatanetVersion(owner, registry, ref(id), { version: 1, merkleRoot: zero, contributionCount: 1 }))).message).toMatch(/no root or no contributions/);
    expect((await failure(anchorDatanetVersion(owner, registry, ref(id), { version: 0, merkleRoot: root(1), contributionCount: 1 }))).code).toBe('chain/registry');
    expect((await readAnchorState(owner.publicClient, registry, ref(id))).latestVersion).toBe(0);
  });
});
