// Settlement on a real anvil: happy paths (DIRECT, POOLED, permit), every revert path, epoch claims,
// EIP-712 payment ids equal in TS and Solidity, and a re-entering token stopped by the guard.
// The attacks of issue 10 (id squatting, payout mode, root totals, roles) are in attacks.test.ts.
import fc from 'fast-check';
import { encodeFunctionData, getAddress, parseEventLogs, zeroAddress, type Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Address } from '../core/types.ts';
import { decodeChainError } from './errors.ts';
import { buildEpochTree, cumulativeFromCredits, fetchPooledCredits, planClaim, rebuildEpochTree } from './epochs.ts';
import { reentrantTokenAbi, reentrantTokenBytecode } from './generated/ReentrantToken.ts';
import { settlementAbi, settlementBytecode } from './generated/Settlement.ts';
import { testTokenAbi } from './generated/TestToken.ts';
import { startLocalStack, TOKEN_UNIT, type DevWallet, type LocalStack } from '../node/chain/localStack.ts';
import { permitTypedData, readPermitDomain, readPermitNonce, splitSignature } from './permit.ts';
import { paymentId, settlementDomain, toContractPayment, type PaymentInput, type SettlementDomain, type SplitRole } from './payment.ts';
import { postLatestEpochRoot } from './rootPoster.ts';
import { expectRevert, freshAddress, freshBytes32, mined, signPayment } from '../node/chain/chain.testkit.ts';

const DIRECT = 0;
const POOLED = 1;

let stack: LocalStack;
let domain: SettlementDomain;
let admin: DevWallet;
let payer: DevWallet;
let relayer: DevWallet;
let treasury: Address;
let settlement: Address;
let token: Address;

beforeAll(async () => {
  stack = await startLocalStack({ accounts: 6, treasury: '0x000000000000000000000000000000000000dEaD' });
  [admin, payer, relayer] = [stack.wallets[0]!, stack.wallets[1]!, stack.wallets[2]!];
  ({ settlement, token, treasury } = stack.deployment);
  domain = settlementDomain(stack.deployment.chainId, settlement);
  await approve(payer, settlement, 10n ** 30n);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

async function approve(wallet: DevWallet, spender: Address, amount: bigint, tokenAddress: Address = token) {
  await mined(stack.publicClient, await wallet.writeContract({ address: tokenAddress, abi: testTokenAbi, functionName: 'approve', args: [spender, amount] }));
}

function balanceOf(account: Address, tokenAddress: Address = token): Promise<bigint> {
  return stack.publicClient.readContract({ address: tokenAddress, abi: testTokenAbi, functionName: 'balanceOf', args: [account] });
}

async function now(): Promise<bigint> {
  return (await stack.publicClient.getBlock()).timestamp;
}

/** A payment of `payer` (one fee, by default) paying `recipients` amounts (and optionally the treasury). */
async function paymentFor(
  recipients: { recipient: Address; amount: bigint; role?: SplitRole }[],
  over: Partial<PaymentInput> = {},
): Promise<PaymentInput> {
  const splits = recipients.map((r) => ({ recipient: r.recipient, role: r.role ?? 0, amount: r.amount }));
  return {
    payer: payer.account.address,
    nonce: freshBytes32(),
    total: splits.reduce((s, x) => s + x.amount, 0n),
    deadline: (await now()) + 3600n,
    payoutMode: DIRECT,
    feesRoot: freshBytes32(),
    feeCount: 1,
    splits,
    ...over,
  };
}

function simulateSettle(payments: PaymentInput[], signatures: Hex[], from: DevWallet = relayer, at: Address = settlement) {
  return stack.publicClient.simulateContract({
    address: at,
    abi: settlementAbi,
    functionName: 'settleBatch',
    args: [payments.map(toContractPayment), signatures],
    account: from.account,
  });
}

async function settle(payments: PaymentInput[], signatures: Hex[], from: DevWallet = relayer, at: Address = settlement) {
  const hash = await from.writeContract({ address: at, abi: settlementAbi, functionName: 'settleBatch', args: [payments.map(toContractPayment), signatures] });
  return mined(stack.publicClient, hash);
}

async function signed(payments: PaymentInput[], d: SettlementDomain = domain, wallet: DevWallet = payer): Promise<Hex[]> {
  return Promise.all(payments.map((r) => signPayment(wallet, r, d)));
}

const isSettled = (id: Hex, at: Address = settlement) => stack.publicClient.readContract({ address: at, abi: settlementAbi, functionName: 'settled', args: [id] });

describe('EIP-712 payments: TS id == Solidity id', () => {
  it('agrees on fixed and random payments', async () => {
    const fixed = await paymentFor([
      { recipient: freshAddress(), amount: 0n },
      { recipient: treasury, amount: 7n, role: 4 },
      { recipient: freshAddress(), amount: 10n ** 24n, role: 3 },
    ]);
    const onChain = await stack.publicClient.readContract({ address: settlement, abi: settlementAbi, functionName: 'paymentId', args: [toContractPayment(fixed)] });
    expect(onChain).toBe(paymentId(fixed, domain));

    const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => `0x${Buffer.from(b).toString('hex')}` as Hex);
    const arbSplit = fc.record({
      recipient: bytes(20).map((h) => h as Address),
      role: fc.constantFrom<SplitRole>(0, 1, 2, 3, 4),
      amount: fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
    });
    const arbPayment = fc.record({
      payer: bytes(20).map((h) => h as Address),
      nonce: bytes(32),
      total: fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
      deadline: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      payoutMode: fc.constantFrom<0 | 1>(0, 1),
      feesRoot: bytes(32),
      feeCount: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      splits: fc.array(arbSplit, { maxLength: 6 }),
    });
    await fc.assert(
      fc.asyncProperty(arbPayment, async (r) => {
        const got = await stack.publicClient.readContract({ address: settlement, abi: settlementAbi, functionName: 'paymentId', args: [toContractPayment(r)] });
        expect(got).toBe(paymentId(r, domain));
      }),
      { numRuns: 40 },
    );
  });

  it('type hashes match the TS types', async () => {
    const { keccak256, toHex } = await import('viem');
    expect(await stack.publicClient.readContract({ address: settlement, abi: settlementAbi, functionName: 'SPLIT_TYPEHASH' })).toBe(
      keccak256(toHex('Split(address recipient,uint8 role,uint256 amount)')),
    );
    expect(await stack.publicClient.readContract({ address: settlement, abi: settlementAbi, functionName: 'PAYMENT_TYPEHASH' })).toBe(
      keccak256(
        toHex(
          'Payment(address payer,bytes32 nonce,uint256 total,uint64 deadline,uint8 payoutMode,bytes32 feesRoot,uint32 feeCount,Split[] splits)Split(address recipient,uint8 role,uint256 amount)',
        ),
      ),
    );
  });
});

describe('DIRECT settlement', () => {
  it('pulls each payment once and pays each recipient its aggregated amount', async () => {
    const [a, b, c] = [freshAddress(), freshAddress(), freshAddress()];
    const payments = [
      await paymentFor([
        { recipient: a, amount: 100n },
        { recipient: b, amount: 50n },
        { recipient: treasury, amount: 5n, role: 4 },
      ]),
      await paymentFor([
        { recipient: a, amount: 30n },
        { recipient: c, amount: 0n },
        { recipient: treasury, amount: 1n, role: 4 },
      ]),
      await paymentFor([{ recipient: b, amount: 7n, role: 1 }]),
    ];
    const total = 193n;
    const payerBefore = await balanceOf(payer.account.address);
    const treasuryBefore = await balanceOf(treasury);
    const tx = await settle(payments, await signed(payments));

    expect(await balanceOf(a)).toBe(130n);
    expect(await balanceOf(b)).toBe(57n);
    expect(await balanceOf(c)).toBe(0n); // a zero split moves nothing
    expect((await balanceOf(treasury)) - treasuryBefore).toBe(6n);
    expect(payerBefore - (await balanceOf(payer.account.address))).toBe(total);
    expect(await balanceOf(settlement)).toBe(0n);
    for (const p of payments) expect(await isSettled(paymentId(p, domain))).toBe(true);

    const events = parseEventLogs({ abi: settlementAbi, logs: tx.logs });
    expect(events.filter((e) => e.eventName === 'PaymentSettled').map((e) => e.args)).toEqual(
      payments.map((p) => ({ paymentId: paymentId(p, domain), payer: payer.account.address, total: p.total, payoutMode: DIRECT, feesRoot: p.feesRoot, feeCount: 1 })),
    );
    const paid = events.filter((e) => e.eventName === 'SplitPaid');
    expect(paid).toHaveLength(7);
    expect(paid.find((e) => e.args.recipient === c)?.args.amount).toBe(0n);
    // one pull per payment + one transfer per distinct recipient with a non-zero total (a, b, treasury)
    const transfers = parseEventLogs({ abi: testTokenAbi, logs: tx.logs, eventName: 'Transfer' });
    expect(transfers).toHaveLength(6);
    expect(transfers.slice(0, 3).map((t) => t.args)).toEqual(payments.map((p) => ({ from: payer.account.address, to: settlement, value: p.total })));
  });

  it('settles payments of several payers in one batch, each pulled from its own payer', async () => {
    const other = stack.wallets[4]!;
    await approve(other, settlement, 10n ** 30n);
    const a = freshAddress();
    const p1 = await paymentFor([{ recipient: a, amount: 11n }]);
    const p2 = await paymentFor([{ recipient: a, amount: 22n }], { payer: other.account.address });
    const before = [await balanceOf(payer.account.address), await balanceOf(other.account.address)];
    await settle([p1, p2], [...(await signed([p1])), ...(await signed([p2], domain, other))]);
    expect(await balanceOf(a)).toBe(33n);
    expect(before[0]! - (await balanceOf(payer.account.address))).toBe(11n);
    expect(before[1]! - (await balanceOf(other.account.address))).toBe(22n);
  });
});

describe('POOLED settlement and claims', () => {
  it('pools the fees, posts a root rebuilt from logs, pays first and repeat claims exactly', async () => {
    const [a, b] = [freshAddress(), freshAddress()];
    const poolBefore = await stack.publicClient.readContract({ address: settlement, abi: settlementAbi, functionName: 'totalPooled' });
    const r1 = await paymentFor(
      [
        { recipient: a, amount: 600n },
        { recipient: b, amount: 400n },
      ],
      { payoutMode: POOLED },
    );
    const tx1 = await settle([r1], await signed([r1]));
    expect(await balanceOf(a)).toBe(0n);
    const pooledEvents = parseEventLogs({ abi: settlementAbi, logs: tx1.logs, eventName: 'SplitPooled' });
    expect(pooledEvents.map((e) => [e.args.recipient, e.args.amount])).toEqual([
      [a, 600n],
      [b, 400n],
    ]);
    expect(await stack.publicClient.readContract({ address: settlement, abi: settlementAbi, functionName: 'totalPooled' })).toBe(poolBefore + 1000n);

    const posted = await postLatestEpochRoot(stack.publicClient, admin, { settlement, fromBlock: stack.deployment.deployedAtBlock });
    expect(posted).not.toBeNull();
    expect(posted!.tree.proofFor(a).cumulativeAmount).toBe(600n);
    // nothing new: no second post
    expect(await postLatestEpochRoot(stack.publicClient, admin, { settlement, fromBlock: stack.deployment.deployedAtBlock })).toBeNull();

    // anyone may submit a's claim; the tokens go to a
    const plan = await planClaim(stack.publicClient, { settlement, fromBlock: stack.deployment.deployedAtBlock, account: a });
    expect(plan).toMatchObject({ cumulativeAmount: 600n, alreadyClaimed: 0n, claimable: 600n, epoch: posted!.epoch });
    await mined(
      stack.publicClient,
      await relayer.writeContract({ address: settlement, abi: settlementAbi, functionName: 'claim', args: [a, plan.cumulativeAmount, plan.proof] }),
    );
    expect(await balanceOf(a)).toBe(600n);

    // double claim against the same root
    await expectRevert(
      () => stack.publicClient.simulateContract({ address: settlement, abi: settlementAbi, functionName: 'claim', args: [a, plan.cumulativeAmount, plan.proof], account: relayer.account }),
      'NothingToClaim',
    );

    // a second pooled settlement, a new epoch: the repeat claim pays only the difference
    const r2 = await paymentFor([{ recipient: a, amount: 250n }], { payoutMode: POOLED });
    await settle([r2], await signed([r2]));
    await postLatestEpochRoot(stack.publicClient, admin, { settlement, fromBlock: stack.deployment.deployedAtBlock });
    const plan2 = await planClaim(stack.publicClient, { settlement, fromBlock: stack.deployment.deployedAtBlock, account: a });
    expect(plan2).toMatchObject({ cumulativeAmount: 850n, alreadyClaimed: 600n, claimable: 250n });
    const claimTx = await mined(
      stack.publicClient,
      await relayer.writeContract({ address: settlement, abi: settlementAbi, functionName: 'claim', args: [a, plan2.cumulativeAmount, plan2.proof] }),
    );
    expect(parseEventLogs({ abi: testTokenAbi, logs: claimTx.logs, eventName: 'Transfer' }).map((e) => e.args)).toEqual([{ from: settlement, to: a, value: 250n }]);
    expect(await stack.publicClient.readContract({ address: settlement, abi: settlementAbi, functionName: 'claimed', args: [a] })).toBe(850n);
    expect(await balanceOf(a)).toBe(850n);

    // b claims late, against the newest root, everything at once
    const planB = await planClaim(stack.publicClient, { settlement, fromBlock: stack.deployment.deployedAtBlock, account: b });
    await mined(stack.publicClient, await relayer.writeContract({ address: settlement, abi: settlementAbi, functionName: 'claim', args: [b, planB.cumulativeAmount, planB.proof] }));
    expect(await balanceOf(b)).toBe(400n);
  });

  it('refuses bad proofs, a larger cumulative than the root, and claims before any root', async () => {
    const fresh = await deployFreshSettlement();
    await expectRevert(
      () => stack.publicClient.simulateContract({ address: fresh, abi: settlementAbi, functionName: 'claim', args: [freshAddress(), 1n, []], account: relayer.account }),
      'NoRootPosted',
    );

    const [a, b] = [freshAddress(), freshAddress()];
    const r = await paymentFor(
      [
        { recipient: a, amount: 300n },
        { recipient: b, amount: 200n },
      ],
      { payoutMode: POOLED },
    );
    const freshDomain = settlementDomain(stack.deployment.chainId, fresh);
    await settle([r], await signed([r], freshDomain), relayer, fresh);
    const posted = await postLatestEpochRoot(stack.publicClient, admin, { settlement: fresh, fromBlock: 0n });
    const pa = posted!.tree.proofFor(a);
    const pb = posted!.tree.proofFor(b);
    const claimSim = (account: Address, amount: bigint, proof: Hex[]) => () =>
      stack.publicClient.simulateContract({ address: fresh, abi: settlementAbi, functionName: 'claim', args: [account, amount, proof], account: relayer.account });

    await expectRevert(claimSim(a, pa.cumulativeAmount + 1n, pa.proof), 'InvalidProof'); // more than the root says
    await expectRevert(claimSim(a, pa.cumulativeAmount, pb.proof), 'InvalidProof'); // someone else's proof
    await expectRevert(claimSim(b, pa.cumulativeAmount, pa.proof), 'InvalidProof'); // a's leaf claimed for b
    await expectRevert(claimSim(a, pa.cumulativeAmount, [...pa.proof, `0x${'11'.repeat(32)}`]), 'InvalidProof');
    await expectRevert(claimSim(freshAddress(), 1n, []), 'InvalidProof');
    // the correct one works
    await claimSim(a, pa.cumulativeAmount, pa.proof)();
  });

  it('guards epoch roots: poster role, increasing epochs, past blocks, total within the pool and never decreasing', async () => {
    const fresh = await deployFreshSettlement();
    const r = await paymentFor([{ recipient: freshAddress(), amount: 1000n }], { payoutMode: POOLED });
    await settle([r], await signed([r], settlementDomain(stack.deployment.chainId, fresh)), relayer, fresh);
    const block = await stack.publicClient.getBlockNumber();
    const root = `0x${'ab'.repeat(32)}` as Hex;
    const post = (from: DevWallet, epoch: bigint, total: bigint, rt: Hex = root) => () =>
      stack.publicClient.simulateContract({ address: fresh, abi: settlementAbi, functionName: 'postEpochRoot', args: [epoch, rt, total], account: from.account });

    // eth_call runs in the context of the latest block, so `block` itself is not yet final there
    await expectRevert(post(relayer, block - 1n, 10n), 'AccessControlUnauthorizedAccount');
    await expectRevert(post(payer, block - 1n, 10n), 'AccessControlUnauthorizedAccount');
    await expectRevert(post(admin, block - 1n, 1001n), 'RootTotalExceedsPool');
    await expectRevert(post(admin, block, 10n), 'EpochInFuture');
    await expectRevert(post(admin, block + 1n, 10n), 'EpochInFuture');
    await expectRevert(post(admin, block - 1n, 10n, `0x${'00'.repeat(32)}`), 'ZeroRoot');
    await post(admin, block - 1n, 1000n)();
    // a transaction runs in the next block, where `block` is final
    await mined(stack.publicClient, await admin.writeContract({ address: fresh, abi: settlementAbi, functionName: 'postEpochRoot', args: [block, root, 600n] }));
    await expectRevert(post(admin, block, 10n), 'EpochNotIncreasing');
    await expectRevert(post(admin, block - 1n, 10n), 'EpochNotIncreasing');
    await approve(relayer, fresh, 1n); // any transaction: one more block, so `block + 1` is final
    await expectRevert(post(admin, (await stack.publicClient.getBlockNumber()) - 1n, 599n), 'RootTotalDecreasing');

    // the admin can make another account a poster
    const role = await stack.publicClient.readContract({ address: fresh, abi: settlementAbi, functionName: 'ROOT_POSTER_ROLE' });
    await mined(stack.publicClient, await admin.writeContract({ address: fresh, abi: settlementAbi, functionName: 'grantRole', args: [role, relayer.account.address] }));
    await post(relayer, (await stack.publicClient.getBlockNumber()) - 1n, 1000n)();
  });

  it('never pays out more than was pooled, whatever roots are posted', async () => {
    const fresh = await deployFreshSettlement();
    const [a, b] = [freshAddress(), freshAddress()];
    const r = await paymentFor([{ recipient: a, amount: 500n }], { payoutMode: POOLED });
    await settle([r], await signed([r], settlementDomain(stack.deployment.chainId, fresh)), relayer, fresh);
    // a wrong (but in-pool) root credits a with everything, then a later one credits b with everything
    const t1 = buildEpochTree(new Map([[a, 500n]]));
    await mined(stack.publicClient, await admin.writeContract({ address: fresh, abi: settlementAbi, functionName: 'postEpochRoot', args: [await stack.publicClient.getBlockNumber(), t1.root, 500n] }));
    await mined(stack.publicClient, await relayer.writeContract({ address: fresh, abi: settlementAbi, functionName: 'claim', args: [a, 500n, t1.proofFor(a).proof] }));
    const t2 = buildEpochTree(new Map([[b, 500n]]));
    await mined(stack.publicClient, await admin.writeContract({ address: fresh, abi: settlementAbi, functionName: 'postEpochRoot', args: [await stack.publicClient.getBlockNumber(), t2.root, 500n] }));
    // the root's declared total (500) is already claimed: b's claim is refused before touching the balance
    await expectRevert(
      () => stack.publicClient.simulateContract({ address: fresh, abi: settlementAbi, functionName: 'claim', args: [b, 500n, t2.proofFor(b).proof], account: relayer.account }),
      'ClaimExceedsRootTotal',
    );
  });

  it('planClaim refuses a posted root that the logs do not give', async () => {
    const fresh = await deployFreshSettlement();
    const a = freshAddress();
    const r = await paymentFor([{ recipient: a, amount: 500n }], { payoutMode: POOLED });
    await settle([r], await signed([r], settlementDomain(stack.deployment.chainId, fresh)), relayer, fresh);
    const wrong = buildEpochTree(new Map([[a, 400n]]));
    await mined(stack.publicClient, await admin.writeContract({ address: fresh, abi: settlementAbi, functionName: 'postEpochRoot', args: [await stack.publicClient.getBlockNumber(), wrong.root, 400n] }));
    await expect(planClaim(stack.publicClient, { settlement: fresh, fromBlock: 0n, account: a })).rejects.toMatchObject({ code: 'chain/root-mismatch' });
    const rebuilt = await rebuildEpochTree(stack.publicClient, { settlement: fresh, fromBlock: 0n, epoch: await stack.publicClient.getBlockNumber() });
    expect(rebuilt.proofFor(a).cumulativeAmount).toBe(500n);
    const credits = await fetchPooledCredits(stack.publicClient, { settlement: fresh, fromBlock: 0n, toBlock: await stack.publicClient.getBlockNumber(), maxBlockRange: 2n });
    expect(cumulativeFromCredits(credits).get(a)).toBe(500n);
  });
});

async function deployFreshSettlement(tokenAddress: Address = token): Promise<Address> {
  const hash = await admin.deployContract({ abi: settlementAbi, bytecode: settlementBytecode, args: [tokenAddress, treasury, admin.account.address, admin.account.address] });
  const receipt = await mined(stack.publicClient, hash);
  const address = getAddress(receipt.contractAddress!);
  if (tokenAddress === token) await approve(payer, address, 10n ** 30n);
  return address;
}

describe('permit path', () => {
  async function permitFor(spender: Address, value: bigint) {
    const permitDomain = await readPermitDomain(stack.publicClient, token);
    expect(permitDomain).toMatchObject({ name: 'Tributary Test OPEN', version: '1', chainId: stack.deployment.chainId, verifyingContract: token });
    const owner = stack.wallets[3]!;
    const nonce = await readPermitNonce(stack.publicClient, token, owner.account.address);
    const deadline = (await now()) + 3600n;
    const sig = await owner.signTypedData({ account: owner.account, ...permitTypedData(permitDomain, { owner: owner.account.address, spender, value, nonce, deadline }) });
    return { owner, deadline, ...splitSignature(sig) };
  }

  it('settles with a permit instead of an allowance (relayed by someone else)', async () => {
    const a = freshAddress();
    const p = await permitFor(settlement, 1234n);
    expect(await stack.publicClient.readContract({ address: token, abi: testTokenAbi, functionName: 'allowance', args: [p.owner.account.address, settlement] })).toBe(0n);
    const r = await paymentFor([{ recipient: a, amount: 1234n }], { payer: p.owner.account.address });
    const [sig] = await signed([r], domain, p.owner);
    const args = [toContractPayment(r), sig!, p.deadline, p.v, p.r, p.s] as const;
    await mined(stack.publicClient, await relayer.writeContract({ address: settlement, abi: settlementAbi, functionName: 'settleWithPermit', args }));
    expect(await balanceOf(a)).toBe(1234n);
    expect(await stack.publicClient.readContract({ address: token, abi: testTokenAbi, functionName: 'allowance', args: [p.owner.account.address, settlement] })).toBe(0n);
  });

  it('still settles when a front-runner already used the permit', async () => {
    const a = freshAddress();
    const p = await permitFor(settlement, 99n);
    await mined(
      stack.publicClient,
      await relayer.writeContract({ address: token, abi: testTokenAbi, functionName: 'permit', args: [p.owner.account.address, settlement, 99n, p.deadline, p.v, p.r, p.s] }),
    );
    const r = await paymentFor([{ recipient: a, amount: 99n }], { payer: p.owner.account.address, payoutMode: POOLED });
    const [sig] = await signed([r], domain, p.owner);
    const args = [toContractPayment(r), sig!, p.deadline, p.v, p.r, p.s] as const;
    await mined(stack.publicClient, await relayer.writeContract({ address: settlement, abi: settlementAbi, functionName: 'settleWithPermit', args }));
    expect(await isSettled(paymentId(r, domain))).toBe(true);
  });

  it('fails on the allowance when the permit is for less than the payment', async () => {
    const p = await permitFor(settlement, 10n);
    const r = await paymentFor([{ recipient: freshAddress(), amount: 11n }], { payer: p.owner.account.address });
    const [sig] = await signed([r], domain, p.owner);
    const args = [toContractPayment(r), sig!, p.deadline, p.v, p.r, p.s] as const;
    const e = await expectRevert(
      () => stack.publicClient.simulateContract({ address: settlement, abi: settlementAbi, functionName: 'settleWithPermit', args, account: relayer.account }),
      'ERC20InsufficientAllowance',
    );
    expect(decodeChainError(e).code).toBe('chain/insufficient-funds');
  });
});

describe('settlement reverts', () => {
  it('bad signature: another key, or a wrong chain id / verifying contract in the domain', async () => {
    const r = await paymentFor([{ recipient: freshAddress(), amount: 10n }]);
    await expectRevert(async () => simulateSettle([r], await signed([r], domain, relayer)), 'InvalidSignature');
    await expectRevert(async () => simulateSettle([r], await signed([r], settlementDomain(1, settlement))), 'InvalidSignature');
    await expectRevert(async () => simulateSettle([r], await signed([r], settlementDomain(stack.deployment.chainId, token))), 'InvalidSignature');
    await expectRevert(async () => simulateSettle([r], ['0x1234']), 'InvalidSignature');
    await expectRevert(async () => simulateSettle([r], [`0x${'00'.repeat(65)}`]), 'InvalidSignature');
    const e = await expectRevert(async () => simulateSettle([r], await signed([r], domain, relayer)), 'InvalidSignature');
    expect(decodeChainError(e).code).toBe('chain/bad-signature');
    // and the right one passes
    await simulateSettle([r], await signed([r]));
  });

  it('tampered payments: any field or split changed after signing', async () => {
    const [x, y] = [freshAddress(), freshAddress()];
    const r = await paymentFor([
      { recipient: x, amount: 60n },
      { recipient: y, amount: 40n },
    ]);
    const [sig] = await signed([r]);
    const tampered: PaymentInput[] = [
      { ...r, nonce: freshBytes32() },
      { ...r, deadline: r.deadline + 1n },
      { ...r, payoutMode: POOLED },
      { ...r, feesRoot: freshBytes32() },
      { ...r, feeCount: 2 },
      { ...r, total: 101n, splits: [{ ...r.splits[0]!, amount: 61n }, r.splits[1]!] },
      { ...r, splits: [{ ...r.splits[0]!, amount: 59n }, { ...r.splits[1]!, amount: 41n }] },
      { ...r, splits: [{ ...r.splits[0]!, recipient: freshAddress() }, r.splits[1]!] },
      { ...r, splits: [{ ...r.splits[0]!, role: 1 }, r.splits[1]!] },
      { ...r, splits: [r.splits[1]!, r.splits[0]!] },
    ];
    for (const t of tampered) await expectRevert(() => simulateSettle([t], [sig!]), 'InvalidSignature');
    await simulateSettle([r], [sig!]);
  });

  it('replay: the same payment twice in one batch, or again in a later batch', async () => {
    const r = await paymentFor([{ recipient: freshAddress(), amount: 5n }]);
    const [sig] = await signed([r]);
    await expectRevert(() => simulateSettle([r, r], [sig!, sig!]), 'AlreadySettled');
    await settle([r], [sig!]);
    const e = await expectRevert(() => simulateSettle([r], [sig!]), 'AlreadySettled');
    expect(decodeChainError(e).code).toBe('chain/already-settled');
    const r2 = await paymentFor([{ recipient: freshAddress(), amount: 5n }]);
    await expectRevert(async () => simulateSettle([r2, r], [...(await signed([r2])), sig!]), 'AlreadySettled');
  });

  it('expired payments', async () => {
    const t = await now();
    const r = await paymentFor([{ recipient: freshAddress(), amount: 5n }], { deadline: t - 1n });
    const e = await expectRevert(async () => simulateSettle([r], await signed([r])), 'PaymentExpired');
    expect(decodeChainError(e).code).toBe('chain/expired');
  });

  it('split sums above and below the total, total 0, no fees, zero or self recipient, unknown role, wrong treasury, bad mode', async () => {
    const x = freshAddress();
    const cases: [PaymentInput, string][] = [
      [await paymentFor([{ recipient: x, amount: 11n }], { total: 10n }), 'SplitSumMismatch'],
      [await paymentFor([{ recipient: x, amount: 9n }], { total: 10n }), 'SplitSumMismatch'],
      [await paymentFor([], { total: 10n }), 'SplitSumMismatch'],
      [await paymentFor([{ recipient: x, amount: 0n }], { total: 0n }), 'ZeroTotal'],
      [await paymentFor([{ recipient: x, amount: 10n }], { feeCount: 0 }), 'NoFees'],
      [await paymentFor([{ recipient: x, amount: 10n }], { feesRoot: `0x${'00'.repeat(32)}` }), 'NoFees'],
      [await paymentFor([{ recipient: zeroAddress, amount: 10n }]), 'InvalidRecipient'],
      [await paymentFor([{ recipient: x, amount: 5n }, { recipient: zeroAddress, amount: 0n }]), 'InvalidRecipient'],
      [await paymentFor([{ recipient: settlement, amount: 10n }]), 'InvalidRecipient'],
      [await paymentFor([{ recipient: x, amount: 10n, role: 5 as SplitRole }]), 'InvalidRole'],
      [await paymentFor([{ recipient: x, amount: 10n, role: 4 }]), 'TreasuryMismatch'],
      [await paymentFor([{ recipient: x, amount: 10n }], { payoutMode: 2 as 0 }), 'InvalidPayoutMode'],
    ];
    for (const [r, name] of cases) {
      for (const mode of [DIRECT, POOLED] as const) {
        const m = r.payoutMode === (2 as 0) ? r : { ...r, payoutMode: mode };
        await expectRevert(async () => simulateSettle([m], await signed([m])), name);
      }
    }
    const e = await expectRevert(async () => simulateSettle([cases[0]![0]], await signed([cases[0]![0]])), 'SplitSumMismatch');
    expect(decodeChainError(e)).toMatchObject({ code: 'chain/payment-invalid' });
  });

  it('batch shape: empty, signature count', async () => {
    const r = await paymentFor([{ recipient: freshAddress(), amount: 5n }]);
    const [sig] = await signed([r]);
    await expectRevert(() => simulateSettle([], []), 'EmptyBatch');
    await expectRevert(() => simulateSettle([r], []), 'LengthMismatch');
    await expectRevert(() => simulateSettle([r], [sig!, sig!]), 'LengthMismatch');
  });

  it('not enough allowance or balance', async () => {
    const poor = stack.wallets[5]!;
    const r = await paymentFor([{ recipient: freshAddress(), amount: 5n }], { payer: poor.account.address });
    const sigs = await signed([r], domain, poor);
    await expectRevert(() => simulateSettle([r], sigs), 'ERC20InsufficientAllowance');
    await approve(poor, settlement, 10n ** 40n);
    const big = await paymentFor([{ recipient: freshAddress(), amount: 10n ** 37n }], { payer: poor.account.address });
    const e = await expectRevert(async () => simulateSettle([big], await signed([big], domain, poor)), 'ERC20InsufficientBalance');
    expect(decodeChainError(e).code).toBe('chain/insufficient-funds');
  });

  it('treasury changes only by the admin; old-treasury payments then fail', async () => {
    const fresh = await deployFreshSettlement();
    await expectRevert(
      () => stack.publicClient.simulateContract({ address: fresh, abi: settlementAbi, functionName: 'setTreasury', args: [relayer.account.address], account: relayer.account }),
      'AccessControlUnauthorizedAccount',
    );
    const r = await paymentFor([{ recipient: treasury, amount: 5n, role: 4 }]);
    const sigs = await signed([r], settlementDomain(stack.deployment.chainId, fresh));
    await mined(stack.publicClient, await admin.writeContract({ address: fresh, abi: settlementAbi, functionName: 'setTreasury', args: [relayer.account.address] }));
    await expectRevert(() => simulateSettle([r], sigs, relayer, fresh), 'TreasuryMismatch');
  });
});

describe('a token that re-enters', () => {
  let evil: Address;
  let evilSettlement: Address;
  let evilDomain: SettlementDomain;

  beforeAll(async () => {
    const receipt = await mined(stack.publicClient, await admin.deployContract({ abi: reentrantTokenAbi, bytecode: reentrantTokenBytecode }));
    evil = getAddress(receipt.contractAddress!);
    evilSettlement = await deployFreshSettlement(evil);
    evilDomain = settlementDomain(stack.deployment.chainId, evilSettlement);
    await mined(stack.publicClient, await admin.writeContract({ address: evil, abi: reentrantTokenAbi, functionName: 'mint', args: [payer.account.address, 10n ** 24n] }));
    await approve(payer, evilSettlement, 10n ** 30n, evil);
  });

  async function arm(data: Hex) {
    await mined(stack.publicClient, await admin.writeContract({ address: evil, abi: reentrantTokenAbi, functionName: 'arm', args: [evilSettlement, data] }));
  }

  it('settles normally while unarmed', async () => {
    const a = freshAddress();
    const r = await paymentFor([{ recipient: a, amount: 10n }]);
    await settle([r], await signed([r], evilDomain), relayer, evilSettlement);
    expect(await balanceOf(a, evil)).toBe(10n);
  });

  it('re-entering settleBatch during the fee pull reverts (ReentrancyGuard)', async () => {
    const inner = await paymentFor([{ recipient: freshAddress(), amount: 3n }]);
    await arm(encodeFunctionData({ abi: settlementAbi, functionName: 'settleBatch', args: [[toContractPayment(inner)], await signed([inner], evilDomain)] }));
    for (const mode of [DIRECT, POOLED] as const) {
      const outer = await paymentFor([{ recipient: freshAddress(), amount: 10n }], { payoutMode: mode });
      const e = await expectRevert(async () => simulateSettle([outer], await signed([outer], evilDomain), relayer, evilSettlement), 'ReentrancyGuardReentrantCall');
      expect(decodeChainError(e).code).toBe('chain/reverted');
    }
  });

  it('re-entering claim during the payout reverts (ReentrancyGuard)', async () => {
    await mined(stack.publicClient, await admin.writeContract({ address: evil, abi: reentrantTokenAbi, functionName: 'disarm' }));
    const [a, b] = [freshAddress(), freshAddress()];
    const r = await paymentFor(
      [
        { recipient: a, amount: 70n },
        { recipient: b, amount: 30n },
      ],
      { payoutMode: POOLED },
    );
    await settle([r], await signed([r], evilDomain), relayer, evilSettlement);
    const posted = await postLatestEpochRoot(stack.publicClient, admin, { settlement: evilSettlement, fromBlock: 0n });
    const pb = posted!.tree.proofFor(b);
    await arm(encodeFunctionData({ abi: settlementAbi, functionName: 'claim', args: [b, pb.cumulativeAmount, pb.proof] }));
    const pa = posted!.tree.proofFor(a);
    await expectRevert(
      () => stack.publicClient.simulateContract({ address: evilSettlement, abi: settlementAbi, functionName: 'claim', args: [a, pa.cumulativeAmount, pa.proof], account: relayer.account }),
      'ReentrancyGuardReentrantCall',
    );
  });

  it('re-entering claim during a DIRECT payout reverts too', async () => {
    const r = await paymentFor([{ recipient: freshAddress(), amount: 10n }]);
    // the armed call fires on the pull (payer -> settlement); aim it at claim
    await arm(encodeFunctionData({ abi: settlementAbi, functionName: 'claim', args: [freshAddress(), 1n, []] }));
    await expectRevert(async () => simulateSettle([r], await signed([r], evilDomain), relayer, evilSettlement), 'ReentrancyGuardReentrantCall');
  });
});

describe('large DIRECT batch', () => {
  it('aggregates repeated recipients across many payments and clears its transient state', async () => {
    const people = Array.from({ length: 8 }, () => freshAddress());
    const payments: PaymentInput[] = [];
    const expected = new Map<Address, bigint>();
    for (let i = 0; i < 12; i++) {
      const splits = people.slice(i % 3, (i % 3) + 5).map((p, j) => ({ recipient: p, amount: BigInt(i * 10 + j) }));
      for (const s of splits) expected.set(s.recipient, (expected.get(s.recipient) ?? 0n) + s.amount);
      payments.push(await paymentFor(splits));
    }
    await settle(payments, await signed(payments));
    for (const [p, amount] of expected) expect(await balanceOf(p)).toBe(amount);
    // a second batch in a later transaction starts from clean transient totals
    const again = [await paymentFor([{ recipient: people[0]!, amount: 1n }])];
    await settle(again, await signed(again));
    expect(await balanceOf(people[0]!)).toBe(expected.get(people[0]!)! + 1n);
  });
});

it('TOKEN_UNIT is 18 decimals and the dev accounts were funded', async () => {
  expect(await stack.publicClient.readContract({ address: token, abi: testTokenAbi, functionName: 'decimals' })).toBe(18);
  expect(await balanceOf(stack.accounts[4]!.address)).toBeGreaterThan(0n);
  expect(TOKEN_UNIT).toBe(10n ** 18n);
});
