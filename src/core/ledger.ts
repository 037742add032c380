/**
 * The ledger's records and the pure arithmetic over them (totals, earnings by Datanet / contribution /
 * day). Money is bigint base units of the chain's token.
 *
 * An entry's life: `pending` (created, owed by its payer) -> `submitting` (in a settlement batch whose
 * transaction may be on its way) -> `settled` (the contract recorded it: `settled(receiptId)` is true)
 * or back to `pending` (the transaction was rejected, reverted or never sent). `failed` is final: the
 * receipt can no longer be settled (its deadline passed); its money was never moved. `cancelled` is final
 * too: its payer withdrew it while it was pending (for example one the balance could not cover), so it
 * never blocks the settlement of the others and nobody is owed anything by it.
 */
import type { ReceiptSplit, SplitLine } from './receiptSplit.ts';
import { SPLIT_ROLE } from './receiptSplit.ts';
import type { Address, Hex } from './types.ts';

export type LedgerStatus = 'pending' | 'submitting' | 'settled' | 'failed' | 'cancelled';

/** Entries whose money never moved and never will (expired or cancelled): no one earns from them. */
export function neverPaid(status: LedgerStatus): boolean {
  return status === 'failed' || status === 'cancelled';
}

/** How a settled receipt paid its recipients (see `src/chain/payout.ts`). */
export type PayoutMode = 'direct' | 'pooled';

export interface LedgerEntry {
  /** The receipt id (bytes32), unique on chain. */
  id: Hex;
  /** Where the receipt came from: a user paid a Datanet, or (later) an answer's attribution. */
  kind: 'pay-datanet' | 'attribution';
  payer: Address;
  fee: bigint;
  /** Unix seconds; the contract refuses the receipt after it. */
  deadline: bigint;
  splits: ReceiptSplit[];
  lines: SplitLine[];
  /** Every recipient of `splits` (EIP-55), for "where am I paid" queries. */
  recipients: Address[];
  datanetId: string;
  datanetName: string;
  version: number;
  /** The chain and settlement contract the receipt is meant for (part of its EIP-712 domain). */
  chainId: number;
  settlementContract: Address;
  status: LedgerStatus;
  /** The payer's EIP-712 signature of the receipt (for `chainId`/`settlementContract`), once signed. */
  signature?: Hex;
  /** The settlement batch it is (or was last) part of. */
  settlementId?: string;
  txHash?: Hex;
  payoutMode?: PayoutMode;
  /** Why the last settlement of it failed, or why it is `failed`. */
  error?: string;
  createdAt: number;
  updatedAt: number;
  settledAt?: number;
}

export type SettlementStatus = 'submitting' | 'confirmed' | 'failed';

/** One "Settle" press: one transaction settling a batch of receipts of one payer. */
export interface SettlementRecord {
  id: string;
  chainId: number;
  payer: Address;
  receiptIds: Hex[];
  total: bigint;
  payoutMode: PayoutMode;
  status: SettlementStatus;
  txHash?: Hex;
  /** What went wrong (user rejected, reverted with reason, dropped). */
  error?: string;
  createdAt: number;
  updatedAt: number;
}

export type ClaimStatus = 'submitting' | 'confirmed' | 'failed';

/** One claim of cumulative pooled earnings through an epoch root. */
export interface ClaimRecord {
  id: string;
  chainId: number;
  account: Address;
  epoch: bigint;
  /** The cumulative amount proven (what `claimed(account)` becomes). */
  cumulativeAmount: bigint;
  /** What this claim paid out: cumulative minus what was claimed before. */
  amount: bigint;
  status: ClaimStatus;
  txHash?: Hex;
  error?: string;
  createdAt: number;
  updatedAt: number;
}

export function sameAddr(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** What `account` gets from one entry (all roles), and the per-contribution detail. */
export function earningsOf(entry: Pick<LedgerEntry, 'splits'>, account: string): bigint {
  let total = 0n;
  for (const s of entry.splits) if (sameAddr(s.recipient, account)) total += s.amount;
  return total;
}

export interface EarningsSummary {
  /** In receipts not settled yet (pending or submitting): owed, not yet paid. */
  unsettled: bigint;
  /** Settled with direct transfers: already in the wallet. */
  paidDirect: bigint;
  /** Settled into the pool: claimable through an epoch root. */
  pooled: bigint;
  byDatanet: { datanetId: string; datanetName: string; unsettled: bigint; settled: bigint }[];
  byContribution: { datanetId: string; contributionId: Hex; unsettled: bigint; settled: bigint }[];
  /** Other roles than contributor (Datanet owner, treasury…), by role. */
  byRole: { role: number; unsettled: bigint; settled: bigint }[];
}

/** Earnings of `account` over ledger entries (those `failed` or `cancelled` are ignored: their money never moved). */
export function summarizeEarnings(entries: ReadonlyArray<LedgerEntry>, account: string): EarningsSummary {
  const out: EarningsSummary = { unsettled: 0n, paidDirect: 0n, pooled: 0n, byDatanet: [], byContribution: [], byRole: [] };
  const dn = new Map<string, EarningsSummary['byDatanet'][number]>();
  const contrib = new Map<string, EarningsSummary['byContribution'][number]>();
  const roles = new Map<number, EarningsSummary['byRole'][number]>();
  for (const e of entries) {
    if (neverPaid(e.status)) continue;
    const settled = e.status === 'settled';
    const mine = earningsOf(e, account);
    if (mine === 0n) continue;
    if (!settled) out.unsettled += mine;
    else if (e.payoutMode === 'pooled') out.pooled += mine;
    else out.paidDirect += mine;
    const d = dn.get(e.datanetId) ?? { datanetId: e.datanetId, datanetName: e.datanetName, unsettled: 0n, settled: 0n };
    dn.set(e.datanetId, d);
    if (settled) d.settled += mine;
    else d.unsettled += mine;
    for (const l of e.lines) {
      if (!sameAddr(l.recipient, account)) continue;
      if (l.role === SPLIT_ROLE.contributor && l.contributionId) {
        const key = `${e.datanetId}|${l.contributionId}`;
        const c = contrib.get(key) ?? { datanetId: e.datanetId, contributionId: l.contributionId, unsettled: 0n, settled: 0n };
        contrib.set(key, c);
        if (settled) c.settled += l.amount;
        else c.unsettled += l.amount;
      } else {
        const r = roles.get(l.role) ?? { role: l.role, unsettled: 0n, settled: 0n };
        roles.set(l.role, r);
        if (settled) r.settled += l.amount;
        else r.unsettled += l.amount;
      }
    }
  }
  const byTotal = (a: { unsettled: bigint; settled: bigint }, b: { unsettled: bigint; settled: bigint }) => {
    const x = a.unsettled + a.settled;
    const y = b.unsettled + b.settled;
    return x > y ? -1 : x < y ? 1 : 0;
  };
  out.byDatanet = [...dn.values()].sort(byTotal);
  out.byContribution = [...contrib.values()].sort(byTotal);
  out.byRole = [...roles.values()].sort((a, b) => a.role - b.role);
  return out;
}

/** Fees `payer` owes: receipts not settled yet (pending + submitting), and those already settled. */
export function summarizeFees(entries: ReadonlyArray<LedgerEntry>, payer: string): { owed: bigint; inFlight: bigint; settled: bigint; pendingCount: number } {
  const out = { owed: 0n, inFlight: 0n, settled: 0n, pendingCount: 0 };
  for (const e of entries) {
    if (!sameAddr(e.payer, payer)) continue;
    if (e.status === 'pending') {
      out.owed += e.fee;
      out.pendingCount++;
    } else if (e.status === 'submitting') out.inFlight += e.fee;
    else if (e.status === 'settled') out.settled += e.fee;
  }
  return out;
}

export interface EarningsPoint {
  /** Start of the UTC day, Unix ms. */
  day: number;
  /** Cumulative earnings of the account up to the end of that day. */
  total: bigint;
  /** Of which settled. */
  settled: bigint;
}

const DAY = 86_400_000;

/**
 * Cumulative earnings of `account` per UTC day, from the day before it first earned (a zero baseline)
 * to `now` (at most `maxDays` points: older days are merged into the first). Settled amounts count from
 * their settlement day, all amounts from their receipt's creation day.
 */
export function earningsOverTime(entries: ReadonlyArray<LedgerEntry>, account: string, now: number, maxDays = 90): EarningsPoint[] {
  const events: { at: number; amount: bigint; settled: boolean }[] = [];
  for (const e of entries) {
    if (neverPaid(e.status)) continue;
    const mine = earningsOf(e, account);
    if (mine === 0n) continue;
    events.push({ at: e.createdAt, amount: mine, settled: false });
    if (e.status === 'settled') events.push({ at: e.settledAt ?? e.updatedAt, amount: mine, settled: true });
  }
  if (events.length === 0) return [];
  const today = Math.floor(now / DAY) * DAY;
  const firstDay = Math.max(Math.floor(Math.min(...events.map((x) => x.at)) / DAY) * DAY - DAY, today - (maxDays - 1) * DAY);
  const points: EarningsPoint[] = [];
  for (let day = firstDay; day <= today; day += DAY) points.push({ day, total: 0n, settled: 0n });
  for (const ev of events) {
    const idx = Math.max(0, Math.min(points.length - 1, Math.floor((Math.floor(ev.at / DAY) * DAY - firstDay) / DAY)));
    const p = points[idx]!;
    if (ev.settled) p.settled += ev.amount;
    else p.total += ev.amount;
  }
  let total = 0n;
  let settled = 0n;
  for (const p of points) {
    total += p.total;
    settled += p.settled;
    p.total = total;
    p.settled = settled;
  }
  return points;
}
