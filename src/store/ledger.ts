/**
 * The settlement ledger's repository: receipts (ledger entries), settlement batches and claims, and the
 * state transitions between them. Every transition is one Dexie transaction that re-reads what it
 * changes, so a second tab, a retry or a crash halfway can never settle (or count) a receipt twice:
 *
 * - `beginSettlement` moves `pending` entries to `submitting` together with a new settlement record —
 *   before anything is sent to the wallet. It refuses entries that are not `pending` any more.
 * - `settlementSent` stores the transaction hash as soon as the wallet returns it.
 * - `settlementConfirmed` moves the batch's `submitting` entries to `settled` (the chain says so).
 * - `settlementFailed` moves them back to `pending` (rejected in the wallet, reverted, dropped).
 * - `resolveSubmitting` is the reconciliation step: for entries left `submitting` (tab closed mid-way),
 *   the caller reads `settled(receiptId)` on chain and passes the answers here.
 */
import { TributaryError } from '../core/errors.ts';
import type { ClaimRecord, LedgerEntry, LedgerStatus, PayoutMode, SettlementRecord } from '../core/ledger.ts';
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

/** Entries left `submitting` on `chainId` (from a send that never finished). */
export function submittingEntries(db: TributaryDB, chainId: number): Promise<LedgerEntry[]> {
  return db.ledgerEntries.where('[chainId+status]').equals([chainId, 'submitting']).toArray();
}

export interface BeginSettlement {
  id: string;
  chainId: number;
  payer: Address;
  receiptIds: Hex[];
  payoutMode: PayoutMode;
  now: number;
}

/**
 * Moves the given `pending` entries of `payer` to `submitting` and records the batch — all or nothing.
 * @throws TributaryError `ledger/not-pending` when one of them is not pending any more (settled or
 * being settled elsewhere), `ledger/invalid` when it belongs to another payer or chain.
 */
export async function beginSettlement(db: TributaryDB, b: BeginSettlement): Promise<SettlementRecord> {
  if (b.receiptIds.length === 0) throw new TributaryError('ledger/invalid', 'Nothing to settle: there are no pending receipts.');
  return db.transaction('rw', [db.ledgerEntries, db.settlements], async () => {
    const entries = await db.ledgerEntries.bulkGet(b.receiptIds);
    let total = 0n;
    for (const [i, e] of entries.entries()) {
      const id = b.receiptIds[i]!;
      if (!e) throw new TributaryError('ledger/invalid', 'This receipt is not in the ledger.', id);
      if (e.chainId !== b.chainId || e.payer.toLowerCase() !== b.payer.toLowerCase()) {
        throw new TributaryError('ledger/invalid', 'This receipt belongs to another payer or chain: settle it from that account and chain.', id);
      }
      if (e.status !== 'pending') {
        throw new TributaryError('ledger/not-pending', `This receipt is ${e.status}, not pending: it is not settled again.`, id);
      }
      total += e.fee;
    }
    const record: SettlementRecord = {
      id: b.id,
      chainId: b.chainId,
      payer: b.payer,
      receiptIds: [...b.receiptIds],
      total,
      payoutMode: b.payoutMode,
      status: 'submitting',
      createdAt: b.now,
      updatedAt: b.now,
    };
    await db.settlements.add(record);
    await db.ledgerEntries
      .where('id')
      .anyOf(b.receiptIds)
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

/** The wallet sent the batch: remember its transaction hash (entries stay `submitting`). */
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

/** The batch's transaction succeeded: its `submitting` entries are `settled`. Idempotent. */
export async function settlementConfirmed(db: TributaryDB, settlementId: string, txHash: Hex, now: number): Promise<void> {
  await db.transaction('rw', [db.ledgerEntries, db.settlements], async () => {
    const s = await db.settlements.get(settlementId);
    if (!s) throw new TributaryError('ledger/invalid', 'Unknown settlement batch.', settlementId);
    await db.settlements.update(settlementId, { status: 'confirmed', txHash, updatedAt: now, error: undefined });
    await db.ledgerEntries
      .where('id')
      .anyOf(s.receiptIds)
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
 * The batch did not settle (rejected in the wallet, reverted, never sent): its `submitting` entries go
 * back to `pending` with the reason, so they can be settled again. Idempotent.
 */
export async function settlementFailed(db: TributaryDB, settlementId: string, error: string, now: number): Promise<void> {
  await db.transaction('rw', [db.ledgerEntries, db.settlements], async () => {
    const s = await db.settlements.get(settlementId);
    if (!s) return;
    await db.settlements.update(settlementId, { status: 'failed', error, updatedAt: now });
    await db.ledgerEntries
      .where('id')
      .anyOf(s.receiptIds)
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

/** The chain's answer about one `submitting` entry. */
export type ChainVerdict =
  | { id: Hex; settled: true; txHash?: Hex; payoutMode?: PayoutMode }
  | { id: Hex; settled: false; inFlight?: boolean; reason: string };

/**
 * Applies the chain's verdicts to entries still `submitting`: settled ones become `settled` (with the
 * transaction found in the logs, if any), the others go back to `pending` unless their transaction is
 * still in flight. Settlement records follow their entries. Returns how many entries changed.
 */
export async function resolveSubmitting(db: TributaryDB, verdicts: ChainVerdict[], now: number): Promise<{ settled: number; reverted: number }> {
  let settled = 0;
  let reverted = 0;
  await db.transaction('rw', [db.ledgerEntries, db.settlements], async () => {
    const touched = new Set<string>();
    for (const v of verdicts) {
      const e = await db.ledgerEntries.get(v.id);
      if (!e || e.status !== 'submitting') continue;
      if (e.settlementId) touched.add(e.settlementId);
      if (v.settled) {
        const txHash = v.txHash ?? e.txHash;
        await db.ledgerEntries.update(e.id, {
          status: 'settled',
          settledAt: now,
          updatedAt: now,
          ...(txHash ? { txHash } : {}),
          ...(v.payoutMode ? { payoutMode: v.payoutMode } : {}),
        });
        settled++;
      } else if (!v.inFlight) {
        await db.ledgerEntries.update(e.id, { status: 'pending', error: v.reason, txHash: undefined, payoutMode: undefined, updatedAt: now });
        reverted++;
      }
    }
    for (const id of touched) {
      const s = await db.settlements.get(id);
      if (!s || s.status !== 'submitting') continue;
      const entries = (await db.ledgerEntries.bulkGet(s.receiptIds)).filter((x): x is LedgerEntry => !!x && x.settlementId === id);
      if (entries.some((x) => x.status === 'submitting')) continue;
      const anySettled = entries.some((x) => x.status === 'settled');
      const txHash = entries.find((x) => x.txHash)?.txHash;
      await db.settlements.update(id, {
        status: anySettled ? 'confirmed' : 'failed',
        updatedAt: now,
        ...(txHash ? { txHash } : {}),
        ...(anySettled ? {} : { error: 'Not settled on chain (the transaction was never sent, was dropped or reverted).' }),
      });
    }
  });
  return { settled, reverted };
}

/** Entries past their deadline that were never settled become `failed` (their money never moved). */
export async function expireEntries(db: TributaryDB, chainId: number, nowSeconds: bigint, now: number): Promise<number> {
  return db.ledgerEntries
    .where('[chainId+status]')
    .equals([chainId, 'pending'])
    .filter((e) => e.deadline < nowSeconds)
    .modify((e) => {
      e.status = 'failed';
      e.error = 'Its deadline passed before it was settled; the contract no longer accepts it. No money moved.';
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
