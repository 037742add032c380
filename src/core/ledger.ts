/**
 * The ledger's records and the pure arithmetic over them (totals, earnings by Datanet / contribution /
 * day). Money is bigint base units of the chain's token.
 *
 * Words: a ledger entry is one **fee** (an answer's fee split by its attribution record, or a "Pay a
 * Datanet" fee); a **payment** is what the payer signs to settle many fees at once (core/payment); a
 * **settlement** record is one "Settle" press: one payment, one transaction.
 *
 * A fee's life: `pending` (created, owed by its payer) -> `submitting` (in a payment whose transaction
 * may be on its way) -> `settled` (the contract recorded the payment: `settled(paymentId)` is true) or
 * back to `pending` (rejected, reverted or never sent). `failed` is final: the fee lapsed (its deadline
 * passed before it was settled); its money was never moved. `cancelled` is final too: its payer withdrew
 * it while it was pending (for example one the balance could not cover), so it never blocks the
 * settlement of the others and nobody is owed anything by it.
 */
import type { PaymentSplit, SplitLine } from './feeSplit.ts';
import { SPLIT_ROLE } from './feeSplit.ts';
import type { Payment } from './payment.ts';
import type { Address, Hex } from './types.ts';

export type LedgerStatus = 'pending' | 'submitting' | 'settled' | 'failed' | 'cancelled';

/** Entries whose money never moved and never will (expired or cancelled): no one earns from them. */
export function neverPaid(status: LedgerStatus): boolean {
  return status === 'failed' || status === 'cancelled';
}

/** How a settled payment paid its recipients (see `src/chain/payout.ts`). */
export type PayoutMode = 'direct' | 'pooled';

export interface LedgerEntry {
  /** The fee's id (bytes32, random): its leaf in the payment's fees tree. */
  id: Hex;
  /** Where the fee came from: a user paid a Datanet, or an answer of a priced model/adapter. */
  kind: 'pay-datanet' | 'answer';
  /** What it pays for: the answer's attribution record hash, or `datanetFeeSubject(datanetId, version)`. */
  subject: Hex;
  payer: Address;
  fee: bigint;
  /** Unix seconds; the fee lapses (`failed`) when not settled by then. */
  deadline: bigint;
  splits: PaymentSplit[];
  lines: SplitLine[];
  /** Every recipient of `splits` (EIP-55), for "where am I paid" queries. */
  recipients: Address[];
  /** The (first) Datanet paid: the one paid for "Pay a Datanet", the most credited one for an answer. */
  datanetId: string;
  datanetName: string;
  version: number;
  /** Every Datanet the fee pays (answers may credit several). */
  datanetIds?: string[];
  /** Answer fees: the answer's id in the chat (its attribution record is stored under `subject`). */
  answerId?: string;
  /** The chain and settlement contract the fee is meant for (part of its payment's EIP-712 domain). */
  chainId: number;
  settlementContract: Address;
  status: LedgerStatus;
  /** The settlement (payment) it is (or was last) part of. */
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

/** One "Settle" press: one payment (one signature) settling many fees of one payer, in one transaction. */
export interface SettlementRecord {
  id: string;
  chainId: number;
  payer: Address;
  feeIds: Hex[];
  total: bigint;
  payoutMode: PayoutMode;
  /** The signed payment (kept so anyone can check it against its fees) and its id (EIP-712 digest). */
  payment: Payment;
  paymentId: Hex;
  /** The payer's signature, once given (a retry then needs no new prompt). */
  signature?: Hex;
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
  /** Where the tokens went when not to `account` (a local key's claim to a wallet, `claimFor`). */
  recipient?: Address;
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
  /** In fees not settled yet (pending or submitting): owed, not yet paid. */
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

/** Fees `payer` owes: not settled yet (pending + submitting), and those already settled. */
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
 * their settlement day, all amounts from their fee's creation day.
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
