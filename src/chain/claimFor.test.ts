// claimFor on a real anvil: a local key (no gas, no wallet) authorises the claim of its pooled earnings to a
// wallet address by an EIP-712 signature that another account submits. A signature cannot be replayed,
// redirected to another recipient, used for another amount, deadline, chain or contract, nor made
// malleable; the Solidity probe (contracts/test/ClaimForProbe.sol) checks the digest and the same-
// transaction replay from Solidity.
import { decodeErrorResult, encodeFunctionData, getAddress, keccak256, parseEventLogs, toHex, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Address } from '../core/types.ts';
import { authorizedPayout, CLAIM_AUTHORIZATION_TYPE, claimAuthorizationDigest, claimAuthorizationTypedData, claimForArgs, recoverClaimAuthorizer, verifyClaimAuthorization, type ClaimAuthorization } from './claimAuthorization.ts';
import { buildEpochTree, planClaim } from './epochs.ts';
import { TRIBUTARY_ERRORS_ABI } from './errors.ts';
import { claimForProbeAbi, claimForProbeBytecode } from './generated/ClaimForProbe.ts';
import { reentrantTokenAbi, reentrantTokenBytecode } from './generated/ReentrantToken.ts';
import { settlementAbi, settlementBytecode } from './generated/Settlement.ts';
import { testTokenAbi } from './generated/TestToken.ts';
import { startLocalStack, type DevWallet, type LocalStack } from '../node/chain/localStack.ts';
import { settlementDomain, toContractPayment, type PaymentInput, type SettlementDomain } from './payment.ts';
import { postLatestEpochRoot } from './rootPoster.ts';
import { expectRevert, freshAddress, freshBytes32, mined, signPayment } from '../node/chain/chain.testkit.ts';

let stack: LocalStack;
let domain: SettlementDomain;
let admin: DevWallet;
let payer: DevWallet;
let relayer: DevWallet;
let settlement: Address;
let token: Address;
let probe: Address;

beforeAll(async () => {
  stack = await startLocalStack({ accounts: 4 });
  [admin, payer, relayer] = [stack.wallets[0]!, stack.wallets[1]!, stack.wallets[2]!];
  ({ settlement, token } = stack.deployment);
  domain = settlementDomain(stack.deployment.chainId, settlement);
  await mined(stack.publicClient, await payer.writeContract({ address: token, abi: testTokenAbi, functionName: 'approve', args: [settlement, 10n ** 30n] }));
  const hash = await admin.deployContract({ abi: claimForProbeAbi, bytecode: claimForProbeBytecode, args: [] });
  probe = getAddress((await mined(stack.publicClient, hash)).contractAddress!);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

const balanceOf = (a: Address) => stack.publicClient.readContract({ address: token, abi: testTokenAbi, functionName: 'balanceOf', args: [a] });
const claimedOf = (a: Address) => stack.publicClient.readContract({ address: settlement, abi: settlementAbi, functionName: 'claimed', args: [a] });
const now = async () => (await stack.publicClient.getBlock()).timestamp;

/** Pools `amount` for each account in one POOLED payment and posts the root of everything pooled so far. */
async function poolAndPost(credits: { recipient: Address; amount: bigint }[]): Promise<void> {
  const splits = credits.map((c) => ({ ...c, role: 0 as const }));
  const p: PaymentInput = {
    payer: payer.account.address,
    nonce: freshBytes32(),
    total: splits.reduce((s, x) => s + x.amount, 0n),
    deadline: (await now()) + 3600n,
    payoutMode: 1,
    feesRoot: freshBytes32(),
    feeCount: 1,
    splits,
  };
  const sig = await signPayment(payer, p, domain);
  await mined(stack.publicClient, await payer.writeContract({ address: settlement, abi: settlementAbi, functionName: 'settleBatch', args: [[toContractPayment(p)], [sig]] }));
  await postLatestEpochRoot(stack.publicClient, admin, { settlement, fromBlock: stack.deployment.deployedAtBlock });
}

/** A local key (never held gas) with `amount` pooled under the current root; its authorisation to `recipient`. */
async function localKeyWithEarnings(amount: bigint): Promise<PrivateKeyAccount> {
  const key = privateKeyToAccount(generatePrivateKey());
  await poolAndPost([{ recipient: key.address, amount }]);
  expect(await stack.publicClient.getBalance({ address: key.address })).toBe(0n);
  return key;
}

async function authorise(key: PrivateKeyAccount, recipient: Address, over: Partial<ClaimAuthorization> = {}, d: SettlementDomain = domain) {
  const plan = await planClaim(stack.publicClient, { settlement, fromBlock: stack.deployment.deployedAtBlock, account: key.address });
  const auth: ClaimAuthorization = { account: key.address, recipient, cumulativeAmount: plan.cumulativeAmount, claimedBefore: plan.alreadyClaimed, deadline: (await now()) + 600n, ...over };
  const signature = await key.signTypedData(claimAuthorizationTypedData(auth, d));
  return { auth, signature, proof: plan.proof };
}

const simulate = (args: ReturnType<typeof claimForArgs>, from: DevWallet = relayer) =>
  stack.publicClient.simulateContract({ address: settlement, abi: settlementAbi, functionName: 'claimFor', args, account: from.account });

describe('claimFor: a local key authorises, anyone submits', () => {
  it('pays the signed recipient exactly the payout; claimed(account) moves as with claim; ClaimedFor says who', async () => {
    const key = await localKeyWithEarnings(1234n);
    const wallet = freshAddress();
    const { auth, signature, proof } = await authorise(key, wallet);
    expect(authorizedPayout(auth)).toBe(1234n);
    await verifyClaimAuthorization(auth, domain, signature);
    const receipt = await mined(stack.publicClient, await relayer.writeContract({ address: settlement, abi: settlementAbi, functionName: 'claimFor', args: claimForArgs(auth, proof, signature) }));
    expect(await balanceOf(wallet)).toBe(1234n);
    expect(await balanceOf(key.address)).toBe(0n);
    expect(await claimedOf(key.address)).toBe(1234n);
    expect(parseEventLogs({ abi: settlementAbi, logs: receipt.logs, eventName: 'ClaimedFor' }).map((e) => e.args)).toEqual([{ account: key.address, recipient: wallet, amount: 1234n }]);
    expect(parseEventLogs({ abi: testTokenAbi, logs: receipt.logs, eventName: 'Transfer' }).map((e) => e.args)).toEqual([{ from: settlement, to: wallet, value: 1234n }]);
  });

  it('cannot be replayed: the same signature again, then after a new epoch, pays nothing more', async () => {
    const key = await localKeyWithEarnings(500n);
    const wallet = freshAddress();
    const first = await authorise(key, wallet);
    await mined(stack.publicClient, await relayer.writeContract({ address: settlement, abi: settlementAbi, functionName: 'claimFor', args: claimForArgs(first.auth, first.proof, first.signature) }));
    await expectRevert(() => simulate(claimForArgs(first.auth, first.proof, first.signature)), 'InvalidClaimAuthorization');
    // More earnings, a new root: the old signature (with the old leaf, or with the new one) is still refused.
    await poolAndPost([{ recipient: key.address, amount: 70n }]);
    const fresh = await planClaim(stack.publicClient, { settlement, fromBlock: stack.deployment.deployedAtBlock, account: key.address });
    await expectRevert(() => simulate(claimForArgs({ ...first.auth, cumulativeAmount: fresh.cumulativeAmount }, fresh.proof, first.signature)), 'InvalidClaimAuthorization');
    // A new authorisation (claimedBefore = 500) pays only the new 70.
    const second = await authorise(key, wallet);
    expect(second.auth.claimedBefore).toBe(500n);
    await mined(stack.publicClient, await relayer.writeContract({ address: settlement, abi: settlementAbi, functionName: 'claimFor', args: claimForArgs(second.auth, second.proof, second.signature) }));
    expect(await balanceOf(wallet)).toBe(570n);
    expect(await claimedOf(key.address)).toBe(570n);
  });

  it('cannot be redirected: another recipient, account or submitter-chosen field fails and moves nothing', async () => {
    const key = await localKeyWithEarnings(900n);
    const wallet = freshAddress();
    const thief = freshAddress();
    const { auth, signature, proof } = await authorise(key, wallet);
    await expectRevert(() => simulate(claimForArgs({ ...auth, recipient: thief }, proof, signature)), 'InvalidClaimAuthorization');
    await expectRevert(() => simulate(claimForArgs({ ...auth, recipient: relayer.account.address }, proof, signature)), 'InvalidClaimAuthorization');
    // The thief cannot sign for the key's account either: the signer must be the account.
    const forged = await relayer.signTypedData({ account: relayer.account, ...claimAuthorizationTypedData({ ...auth, recipient: thief }, domain) });
    await expectRevert(() => simulate(claimForArgs({ ...auth, recipient: thief }, proof, forged)), 'InvalidClaimAuthorization');
    expect(await recoverClaimAuthorizer({ ...auth, recipient: thief }, domain, signature)).not.toBe(key.address);
    expect(await balanceOf(thief)).toBe(0n);
    expect(await claimedOf(key.address)).toBe(0n);
    // The untouched authorisation still works afterwards.
    await mined(stack.publicClient, await relayer.writeContract({ address: settlement, abi: settlementAbi, functionName: 'claimFor', args: claimForArgs(auth, proof, signature) }));
    expect(await balanceOf(wallet)).toBe(900n);
  });

  it('refuses tampered amounts, claimedBefore and deadline, and signatures for another chain or contract', async () => {
    const key = await localKeyWithEarnings(300n);
    const wallet = freshAddress();
    const { auth, signature, proof } = await authorise(key, wallet);
    for (const tampered of [
      { ...auth, cumulativeAmount: auth.cumulativeAmount + 1n },
      { ...auth, cumulativeAmount: auth.cumulativeAmount - 1n },
      { ...auth, deadline: auth.deadline + 1n },
    ]) {
      await expectRevert(() => simulate(claimForArgs(tampered, proof, signature)), 'InvalidClaimAuthorization');
    }
    // signed with claimedBefore > claimed(account): the contract hashes its own claimed(account) instead
    const ahead = await authorise(key, wallet, { claimedBefore: 1n });
    await expectRevert(() => simulate(claimForArgs(ahead.auth, proof, ahead.signature)), 'InvalidClaimAuthorization');
    for (const other of [settlementDomain(stack.deployment.chainId + 1, settlement), settlementDomain(stack.deployment.chainId, stack.deployment.registry)]) {
      const elsewhere = await authorise(key, wallet, {}, other);
      await expectRevert(() => simulate(claimForArgs(elsewhere.auth, proof, elsewhere.signature)), 'InvalidClaimAuthorization');
    }
    expect(await claimedOf(key.address)).toBe(0n);
  });

  it('refuses malleable (high-s) and malformed signatures, expired ones, and unusable recipients', async () => {
    const key = await localKeyWithEarnings(42n);
    const wallet = freshAddress();
    const { auth, signature, proof } = await authorise(key, wallet);
    const twin = await stack.publicClient.readContract({ address: probe, abi: claimForProbeAbi, functionName: 'malleate', args: [signature] });
    // plain ecrecover would accept the twin as the key's signature; the contract does not
    expect(await stack.publicClient.readContract({ address: probe, abi: claimForProbeAbi, functionName: 'plainRecover', args: [claimAuthorizationDigest(auth, domain), twin] })).toBe(key.address);
    expect(await recoverClaimAuthorizer(auth, domain, twin)).toBeUndefined();
    await expectRevert(() => simulate(claimForArgs(auth, proof, twin)), 'InvalidClaimAuthorization');
    await expectRevert(() => simulate(claimForArgs(auth, proof, `0x${'00'.repeat(65)}`)), 'InvalidClaimAuthorization');
    await expectRevert(() => simulate(claimForArgs(auth, proof, signature.slice(0, 130) as Hex)), 'InvalidClaimAuthorization');

    const expired = await authorise(key, wallet, { deadline: (await now()) - 1n });
    await expectRevert(() => simulate(claimForArgs(expired.auth, proof, expired.signature)), 'ClaimAuthorizationExpired');
    for (const recipient of ['0x0000000000000000000000000000000000000000', settlement] as Address[]) {
      const data = { ...auth, recipient };
      const sig = await key.signTypedData({ domain, types: claimAuthorizationTypedData(auth, domain).types, primaryType: 'ClaimAuthorization', message: data });
      await expectRevert(() => simulate(claimForArgs(data, proof, sig)), 'InvalidClaimRecipient');
    }
    expect(await claimedOf(key.address)).toBe(0n);
  });

  it('a plain claim of the account meanwhile voids an outstanding authorisation (its tokens go to the account)', async () => {
    const key = await localKeyWithEarnings(66n);
    const { auth, signature, proof } = await authorise(key, freshAddress());
    await mined(stack.publicClient, await relayer.writeContract({ address: settlement, abi: settlementAbi, functionName: 'claim', args: [key.address, auth.cumulativeAmount, proof] }));
    expect(await balanceOf(key.address)).toBe(66n);
    await expectRevert(() => simulate(claimForArgs(auth, proof, signature)), 'InvalidClaimAuthorization');
  });
});

describe('from Solidity (contracts/test/ClaimForProbe.sol)', () => {
  it('the digest is the same in TypeScript, in Settlement and rebuilt independently from its ERC-5267 domain', async () => {
    expect(await stack.publicClient.readContract({ address: settlement, abi: settlementAbi, functionName: 'CLAIM_AUTHORIZATION_TYPEHASH' })).toBe(keccak256(toHex(CLAIM_AUTHORIZATION_TYPE)));
    for (const auth of [
      { account: freshAddress(), recipient: freshAddress(), cumulativeAmount: 1n, claimedBefore: 0n, deadline: 0n },
      { account: freshAddress(), recipient: freshAddress(), cumulativeAmount: (1n << 256n) - 1n, claimedBefore: (1n << 255n) + 7n, deadline: (1n << 64n) - 1n },
    ]) {
      const args = [auth.account, auth.recipient, auth.cumulativeAmount, auth.claimedBefore, auth.deadline] as const;
      const onChain = await stack.publicClient.readContract({ address: settlement, abi: settlementAbi, functionName: 'claimAuthorizationDigest', args });
      const rebuilt = await stack.publicClient.readContract({ address: probe, abi: claimForProbeAbi, functionName: 'digestOf', args: [settlement, ...args] });
      expect(onChain).toBe(claimAuthorizationDigest(auth, domain));
      expect(rebuilt).toBe(onChain);
    }
  });

  it('a contract may submit; a second use in the same transaction reverts InvalidClaimAuthorization', async () => {
    const key = await localKeyWithEarnings(808n);
    const wallet = freshAddress();
    const { auth, signature, proof } = await authorise(key, wallet);
    const c = { account: auth.account, recipient: auth.recipient, cumulativeAmount: auth.cumulativeAmount, proof, deadline: auth.deadline, signature };
    const { result } = await stack.publicClient.simulateContract({ address: probe, abi: claimForProbeAbi, functionName: 'claimTwice', args: [settlement, c], account: relayer.account });
    expect(result[0]).toBe(808n);
    expect(decodeErrorResult({ abi: TRIBUTARY_ERRORS_ABI, data: result[1] }).errorName).toBe('InvalidClaimAuthorization');
    const malleated = await stack.publicClient.simulateContract({ address: probe, abi: claimForProbeAbi, functionName: 'claimMalleated', args: [settlement, c], account: relayer.account });
    expect(decodeErrorResult({ abi: TRIBUTARY_ERRORS_ABI, data: malleated.result }).errorName).toBe('InvalidClaimAuthorization');
    await mined(stack.publicClient, await relayer.writeContract({ address: probe, abi: claimForProbeAbi, functionName: 'claimTwice', args: [settlement, c] }));
    expect(await balanceOf(wallet)).toBe(808n);
    expect(await claimedOf(key.address)).toBe(808n);
  });
});

describe('a token that re-enters', () => {
  it('re-entering claimFor (or claim) during a claimFor payout reverts (ReentrancyGuard)', async () => {
    const deployed = async (hash: Hex) => getAddress((await mined(stack.publicClient, hash)).contractAddress!);
    const evil = await deployed(await admin.deployContract({ abi: reentrantTokenAbi, bytecode: reentrantTokenBytecode }));
    const at = await deployed(
      await admin.deployContract({ abi: settlementAbi, bytecode: settlementBytecode, args: [evil, admin.account.address, admin.account.address, admin.account.address] }),
    );
    const evilDomain = settlementDomain(stack.deployment.chainId, at);
    const [a, b] = [privateKeyToAccount(generatePrivateKey()), privateKeyToAccount(generatePrivateKey())];
    await mined(stack.publicClient, await admin.writeContract({ address: evil, abi: reentrantTokenAbi, functionName: 'mint', args: [payer.account.address, 10n ** 24n] }));
    await mined(stack.publicClient, await payer.writeContract({ address: evil, abi: reentrantTokenAbi, functionName: 'approve', args: [at, 10n ** 30n] }));
    const p: PaymentInput = {
      payer: payer.account.address,
      nonce: freshBytes32(),
      total: 100n,
      deadline: (await now()) + 3600n,
      payoutMode: 1,
      feesRoot: freshBytes32(),
      feeCount: 1,
      splits: [
        { recipient: a.address, role: 0, amount: 60n },
        { recipient: b.address, role: 0, amount: 40n },
      ],
    };
    await mined(stack.publicClient, await payer.writeContract({ address: at, abi: settlementAbi, functionName: 'settleBatch', args: [[toContractPayment(p)], [await signPayment(payer, p, evilDomain)]] }));
    const tree = buildEpochTree(new Map([[a.address, 60n], [b.address, 40n]]));
    const epoch = (await stack.publicClient.getBlockNumber()) - 1n;
    await mined(stack.publicClient, await admin.writeContract({ address: at, abi: settlementAbi, functionName: 'postEpochRoot', args: [epoch, tree.root, tree.total] }));
    const signedBy = async (key: typeof a, amount: bigint) => {
      const auth: ClaimAuthorization = { account: key.address, recipient: freshAddress(), cumulativeAmount: amount, claimedBefore: 0n, deadline: (await now()) + 600n };
      return claimForArgs(auth, tree.proofFor(key.address).proof, await key.signTypedData(claimAuthorizationTypedData(auth, evilDomain)));
    };
    const outer = await signedBy(a, 60n);
    for (const inner of [
      encodeFunctionData({ abi: settlementAbi, functionName: 'claimFor', args: await signedBy(b, 40n) }),
      encodeFunctionData({ abi: settlementAbi, functionName: 'claim', args: [b.address, 40n, tree.proofFor(b.address).proof] }),
    ]) {
      await mined(stack.publicClient, await admin.writeContract({ address: evil, abi: reentrantTokenAbi, functionName: 'arm', args: [at, inner] }));
      await expectRevert(() => stack.publicClient.simulateContract({ address: at, abi: settlementAbi, functionName: 'claimFor', args: outer, account: relayer.account }), 'ReentrancyGuardReentrantCall');
    }
    // disarmed, the same authorisation pays
    await mined(stack.publicClient, await admin.writeContract({ address: evil, abi: reentrantTokenAbi, functionName: 'disarm' }));
    await mined(stack.publicClient, await relayer.writeContract({ address: at, abi: settlementAbi, functionName: 'claimFor', args: outer }));
    expect(await stack.publicClient.readContract({ address: evil, abi: reentrantTokenAbi, functionName: 'balanceOf', args: [outer[1]] })).toBe(60n);
  });
});
