/**
 * The settlement ledger's repository: fees (ledger entries), settlements (one signed payment each) and
 * claims, and the state transitions between them. Every transition is one Dexie transaction that re-reads
 * what it changes, so a second tab, a retry or a crash halfway can never settle (or count) a fee twice:
 *
 * - `beginSettlement` moves `pending` fees to `submitting` together with a new settlement record holding
 *   the payment built from them and its id — before anything is signed or sent. It refuses fees that are
 *   not `pending` any more.
 * - `settlementSigned` keeps the payer's signature; `settlementSent` the transaction hash.
 * - `settlementConfirmed` moves the settlement's `submitting` fees to `settled` (the chain says so).
 * - `settlementFailed` moves them back to `pending` (rejected in the wallet, reverted, dropped).
 * - `resolveSubmitting` is the reconciliation step: for settlements left `submitting` (tab closed
 *   mid-way), the caller reads `settled(paymentId)` and the payer's `PaymentSettled` logs on chain and
 *   passes the answers here.
 */
import { TributaryError } from '../core/errors.ts';
import type { ClaimRecord, LedgerEntry, LedgerStatus, PayoutMode, SettlementRecord } from '../core/ledger.ts';
import type { Payment } from '../core/payment.ts';
import type { Address, Hex } from '../core/types.ts';
import type { TributaryDB } from './db.ts';

export async function addLedgerEntry(db: TributaryDB, entry: LedgerEntry): Promise<void> {
  await db.ledgerEntries.add(entry);
}

export function getLedgerEntry(db: TributaryDB, id: Hex): Promise<LedgerEntry | undefined> {
  return db.ledgerEntries.get(id);
}

/** All entries of a chain, newest first. */
export async function listLedgerEntries(db: TributaryDB, chainId: number): Promise<LedgerEntry[]> {
  const rows = await db.ledgerEntries.where('chainId').equals(chainId).toArray();
  return rows.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1));
}

/** Entries of `payer` on `chainId` with `status`, oldest first. */
export async function entriesOfPayer(db: TributaryDB, chainId: number, payer: Address, status: LedgerStatus): Promise<LedgerEntry[]> {
  const rows = await db.ledgerEntries.where('[chainId+payer+status]').equals([chainId, payer, status]).toArray();
  return rows.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
}

/** Entries on `chainId` where `account` is paid (any role). */
export async function entriesPaying(db: TributaryDB, chainId: number, account: Address): Promise<LedgerEntry[]> {
  const rows = await db.ledgerEntries.where('recipients').equals(account).distinct().toArray();
  return rows.filter((e) => e.chainId === chainId);
}

/** Settlements left `submitting` on `chainId` (from a send that never finished). */
export function submittingSettlements(db: TributaryDB, chainId: number): Promise<SettlementRecord[]> {
  return db.settlements.where('status').equals('submitting').filter((s) => s.chainId === chainId).toArray();
}

export interface BeginSettlement {
  id: string;
  chainId: number;
  payer: Address;
  feeIds: Hex[];
  payoutMode: PayoutMode;
  /** The payment built from exactly these fees (core/payment `buildPayment`) and its id. */
  payment: Payment;
  paymentId: Hex;
  now: number;
}

/**
 * Moves the given `pending` fees of `payer` to `submitting` and records the settlement — all or nothing.
 * @throws TributaryError `ledger/not-pending` when one of them is not pending any more (settled or
 * being settled elsewhere), `ledger/invalid` when it belongs to another payer or chain, or when the
 * payment's total is not theirs.
 */
export async function beginSettlement(db: TributaryDB, b: BeginSettlement): Promise<SettlementRecord> {
  if (b.feeIds.length === 0) throw new TributaryError('ledger/invalid', 'Nothing to settle: there are no pending fees.');
  return db.transaction('rw', [db.ledgerEntries, db.settlements], async () => {
    const entries = await db.ledgerEntries.bulkGet(b.feeIds);
    let total = 0n;
    for (const [i, e] of entries.entries()) {
      const id = b.feeIds[i]!;
      if (!e) throw new TributaryError('ledger/invalid', 'This fee is not in the ledger.', id);
      if (e.chainId !== b.chainId || e.payer.toLowerCase() !== b.payer.toLowerCase()) {
        throw new TributaryError('ledger/invalid', 'This fee belongs to another payer or chain: settle it from that account and chain.', id);
      }
      if (e.status !== 'pending') {
        throw new TributaryError('ledger/not-pending', `This fee is ${e.status}, not pending: it is not settled again.`, id);
      }
      total += e.fee;
    }
    if (total !== b.payment.total || b.payment.feeCount !== b.feeIds.length) {
      throw new TributaryError('ledger/invalid', `The payment (${b.payment.total} for ${b.payment.feeCount} fees) is not the sum of these ${b.feeIds.length} fees (${total}): build it again.`);
    }
    const record: SettlementRecord = {
      id: b.id,
      chainId: b.chainId,
      payer: b.payer,
      feeIds: [...b.feeIds],
      total,
      payoutMode: b.payoutMode,
      payment: b.payment,
      paymentId: b.paymentId,
      status: 'submitting',
      createdAt: b.now,
      updatedAt: b.now,
    };
    await db.settlements.add(record);
    await db.ledgerEntries
      .where('id')
      .anyOf(b.feeIds)
      .modify((e) => {
        e.status = 'submitting';
        e.settlementId = b.id;
        e.payoutMode = b.payoutMode;
        delete e.error;
        e.updatedAt = b.now;
      });
    return record;
  });
}

/** The payer signed the settlement's payment: keep the signature (a retry needs no new prompt). */
export async function settlementSigned(db: TributaryDB, settlementId: string, signature: Hex, now: number): Promise<void> {
  await db.settlements.update(settlementId, { signature, updatedAt: now });
}

/** The wallet sent the settlement: remember its transaction hash (fees stay `submitting`). */
export async function settlementSent(db: TributaryDB, settlementId: string, txHash: Hex, now: number): Promise<void> {
  await db.transaction('rw', [db.ledgerEntries, db.settlements], async () => {
    await db.settlements.update(settlementId, { txHash, updatedAt: now });
    await db.ledgerEntries
      .where('settlementId')
      .equals(settlementId)
      .modify((e) => {
        if (e.status === 'submitting') {
          e.txHash = txHash;
          e.updatedAt = now;
        }
      });
  });
}

/** The settlement's transaction succeeded: its `submitting` fees are `settled`. Idempotent. */
export async function settlementConfirmed(db: TributaryDB, settlementId: string, txHash: Hex, now: number): Promise<void> {
  await db.transaction('rw', [db.ledgerEntries, db.settlements], async () => {
    const s = await db.settlements.get(settlementId);
    if (!s) throw new TributaryError('ledger/invalid', 'Unknown settlement.', settlementId);
    await db.settlements.update(settlementId, { status: 'confirmed', txHash, updatedAt: now, error: undefined });
    await db.ledgerEntries
      .where('id')
      .anyOf(s.feeIds)
      .modify((e) => {
        if (e.status === 'submitting' && e.settlementId === settlementId) {
          e.status = 'settled';
          e.txHash = txHash;
          e.settledAt = now;
          e.updatedAt = now;
          delete e.error;
        }
      });
  });
}

/**
 * The settlement did not happen (rejected in the wallet, reverted, never sent): its `submitting` fees go
 * back to `pending` with the reason, so they can be settled again (in a new payment). Idempotent.
 */
export async function settlementFailed(db: TributaryDB, settlementId: string, error: string, now: number): Promise<void> {
  await db.transaction('rw', [db.ledgerEntries, db.settlements], async () => {
    const s = await db.settlements.get(settlementId);
    if (!s) return;
    await db.settlements.update(settlementId, { status: 'failed', error, updatedAt: now });
    await db.ledgerEntries
      .where('id')
      .anyOf(s.feeIds)
      .modify((e) => {
        if (e.status === 'submitting' && e.settlementId === settlementId) {
          e.status = 'pending';
          e.error = error;
          delete e.txHash;
          delete e.payoutMode;
          e.updatedAt = now;
        }
      });
  });
}

/** The chain's answer about one `submitting` settlement (its payment). */
export type ChainVerdict =
  | { settlementId: string; settled: true; txHash?: Hex }
  | { settlementId: string; settled: false; inFlight?: boolean; reason: string };

/**
 * Applies the chain's verdicts to settlements still `submitting`: a settled payment confirms its
 * settlement and settles its fees (with the transaction found in the payer's logs, if any); the others
 * fail and put their fees back to `pending`, unless their transaction is still in flight. Returns how
 * many fees changed.
 */
export async function resolveSubmitting(db: TributaryDB, verdicts: ChainVerdict[], now: number): Promise<{ settled: number; reverted: number }> {
  let settled = 0;
  let reverted = 0;
  await db.transaction('rw', [db.ledgerEntries, db.settlements], async () => {
    for (const v of verdicts) {
      const s = await db.settlements.get(v.settlementId);
      if (!s || s.status !== 'submitting') continue;
      if (!v.settled && v.inFlight) continue;
      const txHash = v.settled ? (v.txHash ?? s.txHash) : undefined;
      await db.settlements.update(s.id, v.settled
        ? { status: 'confirmed', updatedAt: now, ...(txHash ? { txHash } : {}) }
        : { status: 'failed', updatedAt: now, error: v.reason });
      const changed = await db.ledgerEntries
        .where('id')
        .anyOf(s.feeIds)
        .modify((e) => {
          if (e.status !== 'submitting' || e.settlementId !== s.id) return;
          e.updatedAt = now;
          if (v.settled) {
            e.status = 'settled';
            e.settledAt = now;
            e.payoutMode = s.payoutMode;
            if (txHash) e.txHash = txHash;
          } else {
            e.status = 'pending';
            e.error = v.reason;
            delete e.txHash;
            delete e.payoutMode;
          }
        });
      if (v.settled) settled += changed;
      else reverted += changed;
    }
  });
  return { settled, reverted };
}

/** Pending fees past their deadline become `failed` (they lapse; their money never moved). */
export async function expireEntries(db: TributaryDB, chainId: number, nowSeconds: bigint, now: number): Promise<number> {
  return db.ledgerEntries
    .where('[chainId+status]')
    .equals([chainId, 'pending'])
    .filter((e) => e.deadline < nowSeconds)
    .modify((e) => {
      e.status = 'failed';
      e.error = 'Its deadline passed before it was settled, so it lapsed. No money moved.';
      e.updatedAt = now;
    });
}

/**
 * The payer withdraws a pending receipt: it becomes `cancelled` (final; nothing was signed on chain or
 * moved, so nothing needs undoing). Only its payer can, and only while it is pending.
 * @throws TributaryError `ledger/invalid` (unknown receipt, another payer), `ledger/not-pending`.
 */
export async function cancelPendingEntry(db: TributaryDB, id: Hex, payer: Address, now: number): Promise<LedgerEntry> {
  return db.transaction('rw', db.ledgerEntries, async () => {
    const e = await db.ledgerEntries.get(id);
    if (!e) throw new TributaryError('ledger/invalid', 'This receipt is not in the ledger.', id);
    if (e.payer.toLowerCase() !== payer.toLowerCase()) {
      throw new TributaryError('ledger/invalid', 'Only the account that pays a receipt can cancel it: switch to that account.', id);
    }
    if (e.status !== 'pending') {
      throw new TributaryError('ledger/not-pending', `This receipt is ${e.status}, not pending: only a pending receipt can be cancelled.`, id);
    }
    const cancelled: LedgerEntry = { ...e, status: 'cancelled', updatedAt: now };
    delete cancelled.error;
    await db.ledgerEntries.put(cancelled);
    return cancelled;
  });
}

export async function addClaim(db: TributaryDB, claim: ClaimRecord): Promise<void> {
  await db.claims.add(claim);
}

export async function updateClaim(db: TributaryDB, id: string, patch: Partial<Omit<ClaimRecord, 'id'>>): Promise<void> {
  await db.claims.update(id, patch);
}

export async function claimsOf(db: TributaryDB, chainId: number, account: Address): Promise<ClaimRecord[]> {
  const rows = await db.claims.where('[chainId+account]').equals([chainId, account]).toArray();
  return rows.sort((a, b) => b.createdAt - a.createdAt);
}
