/**
 * The ledger end to end on a real local chain (anvil + the deployed contracts), with the wallet path the
 * app uses (EIP-1193 local-key provider -> viem custom transport): pay, settle, reject, crash mid-way,
 * reconcile, retry, claim; token balances on chain equal the ledger exactly.
 */
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedgerReader } from '../chain/wallet/ledgerReader.ts';
import { createLocalKeyProvider, type LocalKeyProvider } from '../chain/wallet/localKeyProvider.ts';
import { walletClientFor } from '../chain/wallet/connect.ts';
import {
  fundBatch,
  readTokenInfo,
  sendClaim,
  sendSettlement,
  signPayment,
  simulateSettlement,
  tokenBalance,
  waitForSuccess,
  type WalletContext,
} from '../chain/wallet/settleWithWallet.ts';
import { startLocalStack, type LocalStack } from '../node/chain/localStack.ts';
import { postLatestEpochRoot } from '../chain/rootPoster.ts';
import { planClaim } from '../chain/epochs.ts';
import { summarizeEarnings } from '../core/ledger.ts';
import type { Address, Contribution, Datanet, Hex } from '../core/types.ts';
import { TributaryDB } from '../store/db.ts';
import { LedgerService, type LedgerChainRef } from './ledgerService.ts';

const E18 = 10n ** 18n;

describe('ledger service on a real chain', () => {
  let stack: LocalStack;
  let chain: LedgerChainRef;
  let db: TributaryDB;
  let svc: LedgerService;
  const now = Date.now();
  const datanetId = 'dn-0123456789abcdef';

  beforeAll(async () => {
    stack = await startLocalStack();
    const d = stack.deployment;
    chain = { chainId: d.chainId, name: 'Local', rpcUrl: stack.anvil.rpcUrl, token: d.token, settlement: d.settlement, deployedAtBlock: d.deployedAtBlock };
    db = new TributaryDB(`ledger-chain-${crypto.randomUUID()}`);
    svc = new LedgerService(db, {
      now: () => now,
      randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
      reader: (c) => createLedgerReader(c),
    });
    // A Datanet owned by dev account 5 with accepted contributions of dev accounts 6 (3 passages) and 7 (1).
    const [owner, c6, c7] = [stack.accounts[5]!.address, stack.accounts[6]!.address, stack.accounts[7]!.address];
    const datanet: Datanet = {
      id: datanetId,
      name: 'Test Datanet',
      summary: '',
      descriptionMd: '',
      tags: [],
      dataType: 'text',
      licence: 'CC-BY-4.0',
      owner,
      rewardPolicy: { contributorsBps: 8000, ownerBps: 2000 },
      moderation: 'quorum',
      chunking: { unit: 'chars', size: 400, overlap: 0 },
      createdAt: 1,
      currentVersion: 1,
      origin: { kind: 'local' },
    };
    const contribution = (n: number, contributor: Address, chunkCount: number): Contribution => ({
      id: `0x${n.toString(16).padStart(64, '0')}`,
      datanetId,
      contributor,
      title: `c${n}`,
      mediaType: 'text/plain',
      textHash: `0x${'1'.repeat(64)}`,
      chunksHash: `0x${'2'.repeat(64)}`,
      chunkCount,
      createdAt: 1,
      signature: '0x',
      sourceBytes: 1,
      status: 'accepted',
      acceptedInVersion: 1,
      minhash: [],
    });
    const cs = [contribution(1, c6, 3), contribution(2, c7, 1)];
    await db.datanets.add(datanet);
    await db.contributions.bulkAdd(cs);
    await db.versions.add({ datanetId, version: 1, merkleRoot: `0x${'3'.repeat(64)}`, contributionIds: cs.map((c) => c.id), addedIds: [], createdAt: 1 });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  function walletOf(index: number): { provider: LocalKeyProvider; ctx: () => Promise<WalletContext> } {
    const provider = createLocalKeyProvider({ privateKeys: [stack.accounts[index]!.privateKey], rpcUrl: stack.anvil.rpcUrl, chainId: chain.chainId });
    const account = stack.accounts[index]!.address;
    return {
      provider,
      ctx: async () => ({
        wallet: walletClientFor(provider, account, chain),
        publicClient: stack.publicClient,
        account,
        chainId: chain.chainId,
        token: await readTokenInfo(stack.publicClient, chain.token),
      }),
    };
  }

  const pendingOf = (payer: Address) => db.ledgerEntries.where('[chainId+payer+status]').equals([chain.chainId, payer, 'pending']).sortBy('createdAt');
  const nowSeconds = async () => (await stack.publicClient.getBlock()).timestamp;

  /** What the UI does on "Settle": reconcile, build one payment and mark submitting, sign once, fund, dry-run, send, confirm. */
  async function settle(payerIndex: number, mode: 'direct' | 'pooled', opts: { reject?: 'tx' | 'sign'; crashAfterSend?: boolean } = {}) {
    const payer = stack.accounts[payerIndex]!.address;
    const w = walletOf(payerIndex);
    const c = await w.ctx();
    await svc.reconcile(chain);
    const batch = await svc.prepareSettlement(chain, payer, mode);
    let hash: Hex;
    try {
      if (opts.reject === 'sign') w.provider.rejectNext();
      const signature = await signPayment(c, chain.settlement, batch.payment);
      await svc.settlementSigned(batch.id, signature);
      const funding = await fundBatch(c, chain.settlement, batch.payment.total, await nowSeconds());
      const call = { settlement: chain.settlement, payment: batch.payment, signature, funding };
      await simulateSettlement(c, call);
      if (opts.reject === 'tx') w.provider.rejectNext();
      hash = await sendSettlement(c, call);
    } catch (e) {
      await svc.settlementFailed(batch.id, (e as Error).message);
      throw e;
    }
    if (opts.crashAfterSend) return { batch, hash };
    await svc.settlementSent(batch.id, hash);
    await waitForSuccess(c, hash, 'Settling');
    await svc.settlementConfirmed(batch.id, hash);
    return { batch, hash };
  }

  it('creates a pending fee whose splits pay the treasury, owner and contributors exactly', async () => {
    const payer = stack.accounts[1]!.address;
    const e = await svc.payDatanet(chain, { datanetId, payer, fee: 1000n * E18 });
    expect(e.status).toBe('pending');
    expect(e.splits.reduce((s, x) => s + x.amount, 0n)).toBe(1000n * E18);
    // 1 % treasury = 10; 990 * 80 % = 792 -> 594 (3 passages) / 198 (1 passage); owner 198.
    expect(summarizeEarnings([e], stack.accounts[6]!.address).unsettled).toBe(594n * E18);
    expect(summarizeEarnings([e], stack.accounts[0]!.address).unsettled).toBe(10n * E18);
    await expect(svc.payDatanet(chain, { datanetId, payer, fee: 0n })).rejects.toMatchObject({ code: 'ledger/invalid' });
  });

  it('a payment or transaction rejected in the wallet leaves the ledger pending; a retry settles all fees in one payment, balances match', async () => {
    const payer = stack.accounts[1]!.address;
    await svc.payDatanet(chain, { datanetId, payer, fee: 7n * E18 + 3n });
    const before = await db.ledgerEntries.toArray();
    for (const reject of ['sign', 'tx'] as const) {
      await expect(settle(1, 'direct', { reject })).rejects.toMatchObject({ code: 'wallet/rejected' });
      const after = await db.ledgerEntries.toArray();
      expect(after.map((e) => [e.id, e.status])).toEqual(before.map((e) => [e.id, e.status]));
      expect(after.every((e) => e.status === 'pending')).toBe(true);
    }

    const balances = async () => Promise.all([1, 0, 5, 6, 7].map((i) => tokenBalance(stack.publicClient, chain.token, stack.accounts[i]!.address)));
    const b0 = await balances();
    const { hash, batch } = await settle(1, 'direct');
    expect(batch.payment.feeCount).toBe(2); // both fees, one signature
    const b1 = await balances();
    const entries = await db.ledgerEntries.toArray();
    expect(entries.every((e) => e.status === 'settled' && e.txHash === hash && e.payoutMode === 'direct')).toBe(true);
    const fees = entries.reduce((s, e) => s + e.fee, 0n);
    expect(b0[0]! - b1[0]!).toBe(fees);
    for (const [k, i] of [0, 5, 6, 7].entries()) {
      expect(b1[k + 1]! - b0[k + 1]!).toBe(summarizeEarnings(entries, stack.accounts[i]!.address).paidDirect);
    }
  }, 60_000);

  it('a tab closed after sending is reconciled from the chain; one closed before sending goes back to pending', async () => {
    const payer = stack.accounts[2]!.address;
    await svc.payDatanet(chain, { datanetId, payer, fee: 5n * E18 });
    const { batch, hash } = await settle(2, 'pooled', { crashAfterSend: true });
    await waitForSuccess(await walletOf(2).ctx(), hash, 'Settling');
    expect((await db.ledgerEntries.where('settlementId').equals(batch.id).first())?.status).toBe('submitting');
    const report = await svc.reconcile(chain);
    expect(report).toMatchObject({ settled: 1, reverted: 0 });
    const settled = await db.ledgerEntries.where('settlementId').equals(batch.id).first();
    expect(settled).toMatchObject({ status: 'settled', txHash: hash, payoutMode: 'pooled' });
    expect((await db.settlements.get(batch.id))?.status).toBe('confirmed');

    // Marked submitting, then the tab closed before the wallet sent anything.
    const e = await svc.payDatanet(chain, { datanetId, payer, fee: 1n * E18 });
    const b2 = await svc.prepareSettlement(chain, payer, 'pooled');
    expect(await svc.reconcile(chain)).toMatchObject({ settled: 0, reverted: 1 });
    expect(await db.ledgerEntries.get(e.id)).toMatchObject({ status: 'pending' });
    expect((await db.settlements.get(b2.id))?.status).toBe('failed');
  }, 60_000);

  it('a payment settled already is refused by the contract (idempotent retries), and reconciliation finds it', async () => {
    const payer = stack.accounts[2]!.address;
    const [e] = await db.ledgerEntries.where('[chainId+payer+status]').equals([chain.chainId, payer, 'pending']).toArray();
    const { batch } = await settle(2, 'pooled');
    expect(batch.feeIds).toEqual([e!.id]);
    const record = await db.settlements.get(batch.id);
    const c = await walletOf(2).ctx();
    // sending the same signed payment again: the dry run says it is settled already
    const funding = await fundBatch(c, chain.settlement, record!.total, await nowSeconds());
    await expect(simulateSettlement(c, { settlement: chain.settlement, payment: record!.payment, signature: record!.signature!, funding })).rejects.toMatchObject({
      code: 'chain/already-settled',
    });
    // the ledger lost track after sending: reconciliation reads the payment as settled, with its transaction
    await db.settlements.update(batch.id, { status: 'submitting' });
    await db.ledgerEntries.update(e!.id, { status: 'submitting' });
    expect(await svc.reconcile(chain)).toMatchObject({ settled: 1 });
    expect(await db.ledgerEntries.get(e!.id)).toMatchObject({ status: 'settled', txHash: record!.txHash });
  }, 60_000);

  it('refuses a payment the payer cannot afford, before any transaction', async () => {
    const payer = stack.accounts[3]!.address;
    await svc.payDatanet(chain, { datanetId, payer, fee: 2_000_000n * E18 });
    await expect(settle(3, 'direct')).rejects.toMatchObject({ code: 'chain/insufficient-funds' });
    expect((await pendingOf(payer)).length).toBe(1);
  });

  it('a contributor claims pooled earnings through the epoch root; the claim equals the ledger', async () => {
    const contributor = stack.accounts[6]!.address;
    await postLatestEpochRoot(stack.publicClient, stack.wallets[0]!, { settlement: chain.settlement, fromBlock: chain.deployedAtBlock! });
    const plan = await planClaim(stack.publicClient, { settlement: chain.settlement, fromBlock: chain.deployedAtBlock!, account: contributor });
    const entries = await db.ledgerEntries.toArray();
    expect(plan.cumulativeAmount).toBe(summarizeEarnings(entries, contributor).pooled);
    const w = walletOf(6);
    const c = await w.ctx();
    const before = await tokenBalance(stack.publicClient, chain.token, contributor);
    const hash = await sendClaim(c, chain.settlement, plan.cumulativeAmount, plan.proof);
    await waitForSuccess(c, hash, 'Claiming');
    expect((await tokenBalance(stack.publicClient, chain.token, contributor)) - before).toBe(plan.claimable);
    await expect(sendClaim(c, chain.settlement, plan.cumulativeAmount, plan.proof)).rejects.toMatchObject({ code: 'chain/nothing-to-claim' });
  }, 60_000);
});
