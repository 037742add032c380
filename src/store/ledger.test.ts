import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { summarizeEarnings, summarizeFees, type LedgerEntry, type PayoutMode } from '../core/ledger.ts';
import { buildPayment } from '../core/payment.ts';
import { SPLIT_ROLE } from '../core/feeSplit.ts';
import type { Address, Hex } from '../core/types.ts';
import Dexie from 'dexie';
import { datanetFeeSubject } from '../core/payment.ts';
import { TributaryDB } from './db.ts';
import {
  addLedgerEntry,
  beginSettlement,
  cancelPendingEntry,
  entriesOfPayer,
  entriesPaying,
  expireEntries,
  resolveSubmitting,
  settlementConfirmed,
  settlementFailed,
  settlementSent,
} from './ledger.ts';

const PAYER: Address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const ALICE: Address = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const id = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;

function entry(n: number, over: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    id: id(n),
    kind: 'pay-datanet',
    subject: id(500 + n),
    payer: PAYER,
    fee: 100n * BigInt(n),
    deadline: 2_000_000_000n,
    splits: [{ recipient: ALICE, role: SPLIT_ROLE.contributor, amount: 100n * BigInt(n) }],
    lines: [{ recipient: ALICE, role: SPLIT_ROLE.contributor, amount: 100n * BigInt(n), datanetId: 'dn', contributionId: id(1000 + n) }],
    recipients: [ALICE],
    datanetId: 'dn',
    datanetName: 'DN',
    version: 1,
    chainId: 31337,
    settlementContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
    status: 'pending',
    createdAt: n,
    updatedAt: n,
    ...over,
  };
}

/** What the ledger service passes: the settlement's fees and the payment built from them. */
async function begin(db: TributaryDB, sid: string, ns: number[], payoutMode: PayoutMode, now: number) {
  const fees = (await db.ledgerEntries.bulkGet(ns.map(id))).map((e, i) => e ?? entry(ns[i]!));
  const payment = buildPayment({ payer: PAYER, nonce: id(900 + now), deadline: 2_000_000_000n, payoutMode, fees: fees.map((f) => ({ id: f.id, subject: f.subject, fee: f.fee, splits: f.splits })) });
  return beginSettlement(db, { id: sid, chainId: 31337, payer: PAYER, feeIds: ns.map(id), payoutMode, payment, paymentId: id(700 + now), now });
}

async function fresh() {
  const db = new TributaryDB(`ledger-${crypto.randomUUID()}`);
  for (const n of [1, 2, 3]) await addLedgerEntry(db, entry(n));
  return db;
}

describe('ledger store', () => {
  it('keeps bigints exactly and finds entries by payer, status and recipient', async () => {
    const db = await fresh();
    const pending = await entriesOfPayer(db, 31337, PAYER, 'pending');
    expect(pending.map((e) => e.fee)).toEqual([100n, 200n, 300n]);
    expect((await entriesPaying(db, 31337, ALICE)).length).toBe(3);
    expect((await entriesPaying(db, 1, ALICE)).length).toBe(0);
  });

  it('settles a batch: pending -> submitting -> settled, with the tx hash; a second begin is refused', async () => {
    const db = await fresh();
    const s = await begin(db, 'b1', [1, 2], 'pooled', 10);
    expect(s.total).toBe(300n);
    expect((await db.ledgerEntries.get(id(1)))?.status).toBe('submitting');
    await expect(begin(db, 'b2', [2, 3], 'direct', 11)).rejects.toMatchObject({
      code: 'ledger/not-pending',
    });
    // Nothing of the refused batch was written.
    expect(await db.settlements.get('b2')).toBeUndefined();
    expect((await db.ledgerEntries.get(id(3)))?.status).toBe('pending');
    await settlementSent(db, 'b1', id(77), 12);
    await settlementConfirmed(db, 'b1', id(77), 13);
    await settlementConfirmed(db, 'b1', id(77), 14); // idempotent
    const e1 = await db.ledgerEntries.get(id(1));
    expect(e1).toMatchObject({ status: 'settled', txHash: id(77), settledAt: 13, payoutMode: 'pooled' });
    expect((await db.settlements.get('b1'))?.status).toBe('confirmed');
  });

  it('a rejected or reverted batch goes back to pending and can be settled again', async () => {
    const db = await fresh();
    await begin(db, 'b1', [1], 'direct', 10);
    await settlementFailed(db, 'b1', 'You rejected the request in your wallet.', 11);
    expect(await db.ledgerEntries.get(id(1))).toMatchObject({ status: 'pending', error: 'You rejected the request in your wallet.' });
    expect((await db.ledgerEntries.get(id(1)))?.settlementId).toBe('b1');
    await begin(db, 'b2', [1], 'direct', 12);
    expect((await db.ledgerEntries.get(id(1)))?.error).toBeUndefined();
    // A late failure report of the old batch does not touch the new one.
    await settlementFailed(db, 'b1', 'late', 13);
    expect((await db.ledgerEntries.get(id(1)))?.status).toBe('submitting');
  });

  it('refuses a payment that is not the sum of its fees', async () => {
    const db = await fresh();
    const other = await fresh();
    await other.ledgerEntries.update(id(1), { fee: 999n });
    const fees = (await other.ledgerEntries.bulkGet([id(1)])).map((f) => ({ id: f!.id, subject: f!.subject, fee: f!.fee, splits: [{ ...f!.splits[0]!, amount: 999n }] }));
    const payment = buildPayment({ payer: PAYER, nonce: id(1), deadline: 1n, payoutMode: 'direct', fees });
    await expect(beginSettlement(db, { id: 'bx', chainId: 31337, payer: PAYER, feeIds: [id(1)], payoutMode: 'direct', payment, paymentId: id(2), now: 1 })).rejects.toMatchObject({ code: 'ledger/invalid' });
    expect((await db.ledgerEntries.get(id(1)))?.status).toBe('pending');
  });

  it('reconciles settlements left submitting from what the chain says about their payments', async () => {
    const db = await fresh();
    await begin(db, 'b1', [1], 'pooled', 10);
    await begin(db, 'b2', [2], 'pooled', 11);
    await begin(db, 'b3', [3], 'pooled', 12);
    const r = await resolveSubmitting(
      db,
      [
        { settlementId: 'b1', settled: true, txHash: id(88) },
        { settlementId: 'b2', settled: false, reason: 'not on chain' },
        { settlementId: 'b3', settled: false, inFlight: true, reason: 'waiting' },
      ],
      20,
    );
    expect(r).toEqual({ settled: 1, reverted: 1 });
    expect(await db.ledgerEntries.get(id(1))).toMatchObject({ status: 'settled', txHash: id(88), payoutMode: 'pooled' });
    expect(await db.ledgerEntries.get(id(2))).toMatchObject({ status: 'pending', error: 'not on chain' });
    expect((await db.ledgerEntries.get(id(3)))?.status).toBe('submitting');
    expect((await db.settlements.get('b1'))?.status).toBe('confirmed');
    expect((await db.settlements.get('b2'))?.status).toBe('failed');
    expect((await db.settlements.get('b3'))?.status).toBe('submitting');
    await resolveSubmitting(db, [{ settlementId: 'b3', settled: true }], 21);
    expect((await db.settlements.get('b3'))?.status).toBe('confirmed');
  });

  it('expires pending entries past their deadline', async () => {
    const db = new TributaryDB(`ledger-${crypto.randomUUID()}`);
    await addLedgerEntry(db, entry(1, { deadline: 100n }));
    await addLedgerEntry(db, entry(2, { deadline: 300n }));
    expect(await expireEntries(db, 31337, 200n, 5)).toBe(1);
    expect((await db.ledgerEntries.get(id(1)))?.status).toBe('failed');
    expect((await db.ledgerEntries.get(id(2)))?.status).toBe('pending');
  });

  it('schema 3 keeps data written before the rename readable: receiptIds -> feeIds, a subject for every fee', async () => {
    const name = `ledger-${crypto.randomUUID()}`;
    // the schema as version 2 shipped it (stores copied from db.ts versions 1 and 2)
    const old = new Dexie(name);
    old.version(2).stores({
      datanets: 'id', contributions: 'id', chunks: '[contributionId+index]', validations: 'id', reputations: 'address', versions: '[datanetId+version]',
      identities: 'address', uploads: '++id', packs: 'manifestHash', settings: 'key', models: 'id', adapters: 'id', trainingRuns: 'id', inferences: 'id', receipts: 'id',
      ledgerEntries: 'id, status, payer, chainId, datanetId, settlementId, createdAt, *recipients, [chainId+status], [chainId+payer+status]',
      settlements: 'id, status, chainId, payer, createdAt',
      claims: 'id, chainId, account, [chainId+account], createdAt',
    });
    const legacy: Record<string, unknown> = { ...entry(1, { status: 'settled', settlementId: 'old' }), signature: id(5) };
    delete legacy.subject;
    await old.table('ledgerEntries').add(legacy);
    await old.table('settlements').add({ id: 'old', chainId: 31337, payer: PAYER, receiptIds: [id(1)], total: 100n, payoutMode: 'direct', status: 'confirmed', createdAt: 1, updatedAt: 1 });
    old.close();
    const db = new TributaryDB(name);
    const e = await db.ledgerEntries.get(id(1));
    expect(e).toMatchObject({ status: 'settled', fee: 100n, subject: datanetFeeSubject('dn', 1) });
    expect(e && 'signature' in e).toBe(false);
    expect((await db.settlements.get('old'))?.feeIds).toEqual([id(1)]);
    expect(db.tables.map((t) => t.name)).toContain('attributionRecords');
    expect(db.tables.map((t) => t.name)).not.toContain('receipts');
    db.close();
  });

  it('cancels a pending fee of its payer only: final, out of fees and earnings, the others still settle', async () => {
    const db = await fresh();
    const other: Address = '0x90F79bf6EB2c4f870365E785982E1f101E93b906';
    await expect(cancelPendingEntry(db, id(2), other, 5)).rejects.toMatchObject({ code: 'ledger/invalid' });
    await expect(cancelPendingEntry(db, id(99), PAYER, 5)).rejects.toMatchObject({ code: 'ledger/invalid' });
    expect((await db.ledgerEntries.get(id(2)))?.status).toBe('pending');
    const c = await cancelPendingEntry(db, id(2), PAYER, 6);
    expect(c).toMatchObject({ status: 'cancelled', updatedAt: 6 });
    await expect(cancelPendingEntry(db, id(2), PAYER, 7)).rejects.toMatchObject({ code: 'ledger/not-pending' });
    await expect(begin(db, 'b1', [2], 'direct', 8)).rejects.toMatchObject({ code: 'ledger/not-pending' });
    const all = await db.ledgerEntries.toArray();
    expect(summarizeFees(all, PAYER)).toMatchObject({ owed: 400n, pendingCount: 2 });
    expect(summarizeEarnings(all, ALICE).unsettled).toBe(400n);
    // The rest settle without it.
    await begin(db, 'b2', [1, 3], 'direct', 9);
    await expect(cancelPendingEntry(db, id(1), PAYER, 10)).rejects.toMatchObject({ code: 'ledger/not-pending' });
  });
});
