import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { summarizeEarnings, summarizeFees, type LedgerEntry } from '../core/ledger.ts';
import { SPLIT_ROLE } from '../core/receiptSplit.ts';
import type { Address, Hex } from '../core/types.ts';
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
    const s = await beginSettlement(db, { id: 'b1', chainId: 31337, payer: PAYER, receiptIds: [id(1), id(2)], payoutMode: 'pooled', now: 10 });
    expect(s.total).toBe(300n);
    expect((await db.ledgerEntries.get(id(1)))?.status).toBe('submitting');
    await expect(beginSettlement(db, { id: 'b2', chainId: 31337, payer: PAYER, receiptIds: [id(2), id(3)], payoutMode: 'direct', now: 11 })).rejects.toMatchObject({
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
    await beginSettlement(db, { id: 'b1', chainId: 31337, payer: PAYER, receiptIds: [id(1)], payoutMode: 'direct', now: 10 });
    await settlementFailed(db, 'b1', 'You rejected the request in your wallet.', 11);
    expect(await db.ledgerEntries.get(id(1))).toMatchObject({ status: 'pending', error: 'You rejected the request in your wallet.' });
    expect((await db.ledgerEntries.get(id(1)))?.settlementId).toBe('b1');
    await beginSettlement(db, { id: 'b2', chainId: 31337, payer: PAYER, receiptIds: [id(1)], payoutMode: 'direct', now: 12 });
    expect((await db.ledgerEntries.get(id(1)))?.error).toBeUndefined();
    // A late failure report of the old batch does not touch the new one.
    await settlementFailed(db, 'b1', 'late', 13);
    expect((await db.ledgerEntries.get(id(1)))?.status).toBe('submitting');
  });

  it('reconciles entries left submitting from what the chain says', async () => {
    const db = await fresh();
    await beginSettlement(db, { id: 'b1', chainId: 31337, payer: PAYER, receiptIds: [id(1), id(2), id(3)], payoutMode: 'pooled', now: 10 });
    const r = await resolveSubmitting(
      db,
      [
        { id: id(1), settled: true, txHash: id(88) },
        { id: id(2), settled: false, reason: 'not on chain' },
        { id: id(3), settled: false, inFlight: true, reason: 'waiting' },
      ],
      20,
    );
    expect(r).toEqual({ settled: 1, reverted: 1 });
    expect(await db.ledgerEntries.get(id(1))).toMatchObject({ status: 'settled', txHash: id(88) });
    expect(await db.ledgerEntries.get(id(2))).toMatchObject({ status: 'pending', error: 'not on chain' });
    expect((await db.ledgerEntries.get(id(3)))?.status).toBe('submitting');
    expect((await db.settlements.get('b1'))?.status).toBe('submitting');
    await resolveSubmitting(db, [{ id: id(3), settled: true }], 21);
    expect((await db.settlements.get('b1'))?.status).toBe('confirmed');
  });

  it('expires pending entries past their deadline', async () => {
    const db = new TributaryDB(`ledger-${crypto.randomUUID()}`);
    await addLedgerEntry(db, entry(1, { deadline: 100n }));
    await addLedgerEntry(db, entry(2, { deadline: 300n }));
    expect(await expireEntries(db, 31337, 200n, 5)).toBe(1);
    expect((await db.ledgerEntries.get(id(1)))?.status).toBe('failed');
    expect((await db.ledgerEntries.get(id(2)))?.status).toBe('pending');
  });

  it('cancels a pending receipt of its payer only: final, out of fees and earnings, the others still settle', async () => {
    const db = await fresh();
    const other: Address = '0x90F79bf6EB2c4f870365E785982E1f101E93b906';
    await expect(cancelPendingEntry(db, id(2), other, 5)).rejects.toMatchObject({ code: 'ledger/invalid' });
    await expect(cancelPendingEntry(db, id(99), PAYER, 5)).rejects.toMatchObject({ code: 'ledger/invalid' });
    expect((await db.ledgerEntries.get(id(2)))?.status).toBe('pending');
    const c = await cancelPendingEntry(db, id(2), PAYER, 6);
    expect(c).toMatchObject({ status: 'cancelled', updatedAt: 6 });
    await expect(cancelPendingEntry(db, id(2), PAYER, 7)).rejects.toMatchObject({ code: 'ledger/not-pending' });
    await expect(beginSettlement(db, { id: 'b1', chainId: 31337, payer: PAYER, receiptIds: [id(2)], payoutMode: 'direct', now: 8 })).rejects.toMatchObject({
      code: 'ledger/not-pending',
    });
    const all = await db.ledgerEntries.toArray();
    expect(summarizeFees(all, PAYER)).toMatchObject({ owed: 400n, pendingCount: 2 });
    expect(summarizeEarnings(all, ALICE).unsettled).toBe(400n);
    // The rest settle without it.
    await beginSettlement(db, { id: 'b2', chainId: 31337, payer: PAYER, receiptIds: [id(1), id(3)], payoutMode: 'direct', now: 9 });
    await expect(cancelPendingEntry(db, id(1), PAYER, 10)).rejects.toMatchObject({ code: 'ledger/not-pending' });
  });
});
