// Issue 10's contract attacks, each performed on a real anvil against the Settlement contract:
// - id squatting: an attacker front-runs a pending payment's id with a 1-wei payment of their own;
// - payout mode: a relayer turns a signed DIRECT payment into POOLED;
// - root totals: a root whose leaves add up to more than its declared total;
// - roles: the admin and the root poster are separate keys; the admin moves in two steps.
// Against the previous contracts (receiptId chosen by the payer and `settled[receiptId]`, payout mode
// an unsigned argument, no cap on claims under a root, admin = poster) each of these attacks succeeded.
// Registry squatting and two-step Datanet transfer are attacked in registry.test.ts.
import { getAddress, parseEventLogs, type Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPayment, datanetFeeSubject, verifyPaymentFees, type FeeForPayment } from '../core/payment.ts';
import type { Address } from '../core/types.ts';
import { buildEpochTree } from './epochs.ts';
import { settlementAbi, settlementBytecode } from './generated/Settlement.ts';
import { testTokenAbi } from './generated/TestToken.ts';
import { createLedgerReader } from './wallet/ledgerReader.ts';
import { startLocalStack, type DevWallet, type LocalStack } from '../node/chain/localStack.ts';
import { paymentId, settlementDomain, toContractPayment, type PaymentInput, type SettlementDomain } from './payment.ts';
import { expectRevert, freshAddress, freshBytes32, mined, signPayment } from '../node/chain/chain.testkit.ts';

let stack: LocalStack;
let admin: DevWallet;
let poster: DevWallet;
let victim: DevWallet;
let attacker: DevWallet;
let token: Address;
let treasury: Address;

beforeAll(async () => {
  stack = await startLocalStack({ accounts: 6, treasury: '0x000000000000000000000000000000000000dEaD' });
  [admin, poster, victim, attacker] = [stack.wallets[0]!, stack.wallets[4]!, stack.wallets[2]!, stack.wallets[3]!];
  ({ token, treasury } = stack.deployment);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

/** A fresh Settlement whose admin is account 0 and root poster account 4 (separate keys). */
async function deploySettlement(): Promise<{ address: Address; domain: SettlementDomain }> {
  const hash = await admin.deployContract({ abi: settlementAbi, bytecode: settlementBytecode, args: [token, treasury, admin.account.address, poster.account.address] });
  const address = getAddress((await mined(stack.publicClient, hash)).contractAddress!);
  for (const w of [victim, attacker]) {
    await mined(stack.publicClient, await w.writeContract({ address: token, abi: testTokenAbi, functionName: 'approve', args: [address, 10n ** 30n] }));
  }
  return { address, domain: settlementDomain(stack.deployment.chainId, address) };
}

async function paymentOf(payer: DevWallet, splits: { recipient: Address; amount: bigint }[], over: Partial<PaymentInput> = {}): Promise<PaymentInput> {
  const s = splits.map((x) => ({ ...x, role: 0 as const }));
  return {
    payer: payer.account.address,
    nonce: freshBytes32(),
    total: s.reduce((t, x) => t + x.amount, 0n),
    deadline: (await stack.publicClient.getBlock()).timestamp + 3600n,
    payoutMode: 0,
    feesRoot: freshBytes32(),
    feeCount: 1,
    splits: s,
    ...over,
  };
}

async function settle(from: DevWallet, at: Address, payments: PaymentInput[], signatures: Hex[]) {
  return mined(stack.publicClient, await from.writeContract({ address: at, abi: settlementAbi, functionName: 'settleBatch', args: [payments.map(toContractPayment), signatures] }));
}

const balanceOf = (a: Address) => stack.publicClient.readContract({ address: token, abi: testTokenAbi, functionName: 'balanceOf', args: [a] });

describe('id squatting', () => {
  it("an attacker's 1-wei payment with the victim's nonce neither blocks the victim's payment nor reads as it", async () => {
    const { address, domain } = await deploySettlement();
    const alice = freshAddress();
    const pending = await paymentOf(victim, [{ recipient: alice, amount: 500n }]);
    const sig = await signPayment(victim, pending, domain);
    const victimId = paymentId(pending, domain);

    // The attacker sees the pending payment (mempool, or a shared export) and front-runs with its
    // own payment reusing everything it can: nonce, root, count, deadline. Its id cannot equal the
    // victim's: the id is the digest of the signed content, payer included.
    const squat = await paymentOf(attacker, [{ recipient: freshAddress(), amount: 1n }], { nonce: pending.nonce, feesRoot: pending.feesRoot, deadline: pending.deadline });
    await settle(attacker, address, [squat], [await signPayment(attacker, squat, domain)]);
    expect(paymentId(squat, domain)).not.toBe(victimId);
    // Nor can it claim the victim's id under its own name: the signature must be the named payer's.
    await expectRevert(
      () => stack.publicClient.simulateContract({ address, abi: settlementAbi, functionName: 'settleBatch', args: [[toContractPayment(pending)], [sig.replace(/..$/, '00') as Hex]], account: attacker.account }),
      'InvalidSignature',
    );
    const reader = createLedgerReader({ chainId: stack.deployment.chainId, name: 'anvil', rpcUrl: stack.anvil.rpcUrl, settlement: address }, stack.publicClient);
    // the ledger's reconciliation (by id, then by the payer in the log) still sees the victim's payment unsettled
    expect(await reader.settled([victimId])).toEqual([false]);
    expect((await reader.settlementOf([victimId], victim.account.address)).size).toBe(0);

    // the victim's settlement goes through
    const tx = await settle(victim, address, [pending], [sig]);
    expect(await balanceOf(alice)).toBe(500n);
    expect(await reader.settled([victimId])).toEqual([true]);
    const found = await reader.settlementOf([victimId], victim.account.address);
    expect(found.get(victimId)).toEqual({ txHash: tx.transactionHash, payoutMode: 'direct' });
    // a log of the same id is only counted when its payer is the ledger's payer
    expect((await reader.settlementOf([victimId], attacker.account.address)).size).toBe(0);
  });

  it("anyone may submit the victim's own signed payment: it settles exactly as signed, once", async () => {
    const { address, domain } = await deploySettlement();
    const bob = freshAddress();
    const p = await paymentOf(victim, [{ recipient: bob, amount: 77n }]);
    const sig = await signPayment(victim, p, domain);
    await settle(attacker, address, [p], [sig]);
    expect(await balanceOf(bob)).toBe(77n);
    await expectRevert(() => stack.publicClient.simulateContract({ address, abi: settlementAbi, functionName: 'settleBatch', args: [[toContractPayment(p)], [sig]], account: victim.account }), 'AlreadySettled');
  });
});

describe('payout mode is signed', () => {
  it('a relayer cannot turn a DIRECT payment into POOLED (nor the reverse)', async () => {
    const { address, domain } = await deploySettlement();
    const carol = freshAddress();
    const direct = await paymentOf(victim, [{ recipient: carol, amount: 40n }], { payoutMode: 0 });
    const sig = await signPayment(victim, direct, domain);
    await expectRevert(
      () => stack.publicClient.simulateContract({ address, abi: settlementAbi, functionName: 'settleBatch', args: [[toContractPayment({ ...direct, payoutMode: 1 })], [sig]], account: attacker.account }),
      'InvalidSignature',
    );
    const pooled = await paymentOf(victim, [{ recipient: carol, amount: 60n }], { payoutMode: 1 });
    const psig = await signPayment(victim, pooled, domain);
    await expectRevert(
      () => stack.publicClient.simulateContract({ address, abi: settlementAbi, functionName: 'settleBatch', args: [[toContractPayment({ ...pooled, payoutMode: 0 })], [psig]], account: attacker.account }),
      'InvalidSignature',
    );
    // as signed: carol gets 40 now, 60 into the pool
    const tx = await settle(attacker, address, [direct, pooled], [sig, psig]);
    expect(await balanceOf(carol)).toBe(40n);
    expect(await stack.publicClient.readContract({ address, abi: settlementAbi, functionName: 'totalPooled' })).toBe(60n);
    const modes = parseEventLogs({ abi: settlementAbi, logs: tx.logs, eventName: 'PaymentSettled' }).map((e) => e.args.payoutMode);
    expect(modes).toEqual([0, 1]);
  });
});

describe('root totals', () => {
  it("a root whose leaves add up to more than its declared total cannot pay more than that total", async () => {
    const { address, domain } = await deploySettlement();
    const [honest, greedy] = [freshAddress(), freshAddress()];
    const p = await paymentOf(victim, [{ recipient: honest, amount: 1000n }], { payoutMode: 1 });
    await settle(victim, address, [p], [await signPayment(victim, p, domain)]);
    // The poster declares a total of 100 but its leaves give `greedy` 1000 (the whole pool).
    const bad = buildEpochTree(new Map([[greedy, 1000n], [honest, 100n]]));
    const epoch = await stack.publicClient.getBlockNumber();
    await mined(stack.publicClient, await poster.writeContract({ address, abi: settlementAbi, functionName: 'postEpochRoot', args: [epoch, bad.root, 100n] }));
    // Before: the claim of 1000 went through (the declared total was never checked against claims).
    await expectRevert(
      () => stack.publicClient.simulateContract({ address, abi: settlementAbi, functionName: 'claim', args: [greedy, 1000n, bad.proofFor(greedy).proof], account: attacker.account }),
      'ClaimExceedsRootTotal',
    );
    // The bound: all claims under this root together take at most its declared total (100).
    await mined(stack.publicClient, await attacker.writeContract({ address, abi: settlementAbi, functionName: 'claim', args: [honest, 100n, bad.proofFor(honest).proof] }));
    expect(await stack.publicClient.readContract({ address, abi: settlementAbi, functionName: 'totalClaimed' })).toBe(100n);
    // A poster cannot shrink a declared total to hide it, nor declare more than was pooled.
    await mined(stack.publicClient, await victim.writeContract({ address: token, abi: testTokenAbi, functionName: 'approve', args: [address, 10n ** 30n] }));
    const next = (await stack.publicClient.getBlockNumber()) - 1n;
    await expectRevert(() => stack.publicClient.simulateContract({ address, abi: settlementAbi, functionName: 'postEpochRoot', args: [next, bad.root, 99n], account: poster.account }), 'RootTotalDecreasing');
    await expectRevert(() => stack.publicClient.simulateContract({ address, abi: settlementAbi, functionName: 'postEpochRoot', args: [next, bad.root, 1001n], account: poster.account }), 'RootTotalExceedsPool');
    // A corrected root (the logs' truth) then lets the honest account claim the rest; the pool stays whole.
    const good = buildEpochTree(new Map([[honest, 1000n]]));
    await mined(stack.publicClient, await poster.writeContract({ address, abi: settlementAbi, functionName: 'postEpochRoot', args: [next, good.root, 1000n] }));
    await mined(stack.publicClient, await attacker.writeContract({ address, abi: settlementAbi, functionName: 'claim', args: [honest, 1000n, good.proofFor(honest).proof] }));
    expect(await balanceOf(honest)).toBe(1000n);
    expect(await balanceOf(greedy)).toBe(0n);
  });
});

describe('roles', () => {
  it('the admin and the root poster are separate keys, each limited to its own powers', async () => {
    const { address } = await deploySettlement();
    const [adminRole, posterRole] = await Promise.all([
      stack.publicClient.readContract({ address, abi: settlementAbi, functionName: 'DEFAULT_ADMIN_ROLE' }),
      stack.publicClient.readContract({ address, abi: settlementAbi, functionName: 'ROOT_POSTER_ROLE' }),
    ]);
    const has = (role: Hex, who: DevWallet) => stack.publicClient.readContract({ address, abi: settlementAbi, functionName: 'hasRole', args: [role, who.account.address] });
    expect([await has(adminRole, admin), await has(posterRole, admin), await has(adminRole, poster), await has(posterRole, poster)]).toEqual([true, false, false, true]);
    const block = await stack.publicClient.getBlockNumber();
    // the admin cannot post roots; the poster cannot set the treasury or grant roles
    await expectRevert(() => stack.publicClient.simulateContract({ address, abi: settlementAbi, functionName: 'postEpochRoot', args: [block - 1n, freshBytes32(), 0n], account: admin.account }), 'AccessControlUnauthorizedAccount');
    await expectRevert(() => stack.publicClient.simulateContract({ address, abi: settlementAbi, functionName: 'setTreasury', args: [poster.account.address], account: poster.account }), 'AccessControlUnauthorizedAccount');
    await expectRevert(
      () => stack.publicClient.simulateContract({ address, abi: settlementAbi, functionName: 'grantRole', args: [posterRole, attacker.account.address], account: poster.account }),
      'AccessControlUnauthorizedAccount',
    );
    // the admin revokes a compromised poster
    await mined(stack.publicClient, await admin.writeContract({ address, abi: settlementAbi, functionName: 'revokeRole', args: [posterRole, poster.account.address] }));
    await expectRevert(() => stack.publicClient.simulateContract({ address, abi: settlementAbi, functionName: 'postEpochRoot', args: [block - 1n, freshBytes32(), 0n], account: poster.account }), 'AccessControlUnauthorizedAccount');
  });

  it('the admin role moves in two steps, never by a one-call grant', async () => {
    const { address } = await deploySettlement();
    const adminRole = await stack.publicClient.readContract({ address, abi: settlementAbi, functionName: 'DEFAULT_ADMIN_ROLE' });
    await expectRevert(
      () => stack.publicClient.simulateContract({ address, abi: settlementAbi, functionName: 'grantRole', args: [adminRole, attacker.account.address], account: admin.account }),
      'AccessControlEnforcedDefaultAdminRules',
    );
    await mined(stack.publicClient, await admin.writeContract({ address, abi: settlementAbi, functionName: 'beginDefaultAdminTransfer', args: [victim.account.address] }));
    expect(await stack.publicClient.readContract({ address, abi: settlementAbi, functionName: 'owner' })).toBe(admin.account.address);
    await expectRevert(() => stack.publicClient.simulateContract({ address, abi: settlementAbi, functionName: 'acceptDefaultAdminTransfer', account: attacker.account }), 'AccessControlInvalidDefaultAdmin');
    // the transfer matures after the (zero) delay: strictly later than the block that began it
    await stack.publicClient.request({ method: 'evm_increaseTime', params: [2] } as never);
    await stack.publicClient.request({ method: 'evm_mine', params: [] } as never);
    await mined(stack.publicClient, await victim.writeContract({ address, abi: settlementAbi, functionName: 'acceptDefaultAdminTransfer' }));
    expect(await stack.publicClient.readContract({ address, abi: settlementAbi, functionName: 'owner' })).toBe(victim.account.address);
  });
});

describe('aggregated settlement', () => {
  it('one signature settles 50 answer fees; anyone holding the fees checks every payout against the signed root', async () => {
    const { address, domain } = await deploySettlement();
    const contributors = Array.from({ length: 6 }, () => freshAddress());
    const fees: FeeForPayment[] = Array.from({ length: 50 }, (_, i) => {
      const a = contributors[i % 6]!;
      const b = contributors[(i + 1) % 6]!;
      return {
        id: freshBytes32(),
        subject: i % 10 === 0 ? datanetFeeSubject('dn-x', i) : freshBytes32(), // attribution record hashes
        fee: 100n + BigInt(i),
        splits: [
          { recipient: a, role: 0, amount: 60n + BigInt(i) },
          { recipient: b, role: 0, amount: 39n },
          { recipient: treasury, role: 4, amount: 1n },
        ],
      };
    });
    const payment = buildPayment({ payer: victim.account.address, nonce: freshBytes32(), deadline: (await stack.publicClient.getBlock()).timestamp + 3600n, payoutMode: 'direct', fees });
    expect(payment.splits.length).toBe(7); // six contributors + treasury, whatever the number of fees
    const sig = await signPayment(victim, payment, domain); // the only wallet prompt
    const tx = await settle(attacker, address, [payment], [sig]);
    const settledLog = parseEventLogs({ abi: settlementAbi, logs: tx.logs, eventName: 'PaymentSettled' })[0]!.args;
    expect(settledLog).toMatchObject({ feesRoot: payment.feesRoot, feeCount: 50, total: fees.reduce((s, f) => s + f.fee, 0n) });
    // a verifier with the fees recomputes the root and every recipient's amount
    expect(verifyPaymentFees({ ...payment, feesRoot: settledLog.feesRoot, feeCount: settledLog.feeCount, total: settledLog.total }, fees)).toEqual([]);
    for (const c of contributors) {
      const owed = fees.flatMap((f) => f.splits).filter((s) => s.recipient === c).reduce((t, s) => t + s.amount, 0n);
      expect(await balanceOf(c)).toBe(owed);
    }
    // a changed fee (an answer paid differently than its record says) no longer matches the signed root
    const tampered = fees.map((f, i) => (i === 7 ? { ...f, splits: [{ ...f.splits[0]!, amount: f.splits[0]!.amount - 1n }, { ...f.splits[1]!, amount: f.splits[1]!.amount + 1n }, f.splits[2]!] } : f));
    expect(verifyPaymentFees(payment, tampered).join(' ')).toMatch(/fees root/);
  });
});
