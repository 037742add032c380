/**
 * Fees and their split arithmetic: who gets how much of a fee. Pure and exact (bigint base units).
 *
 * Words (one meaning each, see docs/SETTLEMENT.md): a **fee** is what one answer or one "Pay a Datanet"
 * owes, split here into lines per recipient; a **payment** is what a payer signs to settle many fees at
 * once (core/payment, chain/payment); an answer's **attribution record** (core/attribution) says which
 * contributions shaped it and so how its fee is split (core/answerFee).
 *
 * One path for every kind of fee. "Pay a Datanet" (a user pays a fee to one Datanet version;
 * contributors are weighted by their accepted passage counts) and answer fees (core/answerFee: adapter
 * owner share, attribution weights over contributions of several Datanets) both end in `splitFee`.
 *
 * The order of the cuts (each one exact, see the dust rule):
 * 1. treasury: `floor(fee * treasuryBps / 10_000)`;
 * 2. adapter owner and model owner, when present: `floor(rest * bps / 10_000)` each, taken from what
 *    is left after the treasury;
 * 3. what remains goes to the Datanets, pro rata to their weights (`splitProRata`, largest remainder);
 *    one Datanet gets it all;
 * 4. each Datanet's amount is cut by its reward policy (`splitByPolicy`): contributors vs owner;
 * 5. the contributors' amount is split pro rata to the contributions' weights (largest remainder), and
 *    the parts of one contributor are added up.
 *
 * Dust rule (where the units lost by rounding down go): the treasury and the adapter/model owner cuts
 * round down, so their dust stays in the Datanets' part; a policy's dust (less than one unit) goes to
 * the Datanet owner; the pro-rata steps hand their leftover units one each to the largest remainders
 * (ties by key order), so they lose nothing. A Datanet with no weighted contribution gives its
 * contributors' part to its owner. Parts of 0 are left out. In total: the lines always add up to
 * exactly `fee`, and none is negative.
 */
import { describeValue } from './describeValue.ts';
import { TributaryError } from './errors.ts';
import { splitByPolicy, splitProRata } from './rewardPolicy.ts';
import { BPS_DENOMINATOR, type Address, type Hex, type RewardPolicy } from './types.ts';

/**
 * Who a split pays, as the settlement contract numbers it (`SplitRole` in `src/chain/payment.ts`):
 * 0 contributor, 1 Datanet owner, 2 adapter owner, 3 model owner, 4 treasury.
 */
export const SPLIT_ROLE = {
  contributor: 0,
  datanetOwner: 1,
  adapterOwner: 2,
  modelOwner: 3,
  treasury: 4,
} as const;
export type SplitRoleId = (typeof SPLIT_ROLE)[keyof typeof SPLIT_ROLE];

export const SPLIT_ROLE_NAMES: Record<SplitRoleId, string> = {
  0: 'Contributor',
  1: 'Datanet owner',
  2: 'Adapter owner',
  3: 'Model owner',
  4: 'Treasury',
};

/**
 * The protocol's treasury share of every fee, in basis points: 100 bps = 1 %. A protocol constant (not
 * per Datanet); a fee records the amount, so changing it never changes past fees.
 */
export const TREASURY_BPS = 100;

/** One line of a payment as the contract pays it (one per recipient and role). */
export interface PaymentSplit {
  recipient: Address;
  role: SplitRoleId;
  amount: bigint;
}

/**
 * The same money in finer detail: which contribution (or Datanet) earned it. Several lines of one
 * recipient and role make one `PaymentSplit`.
 */
export interface SplitLine {
  recipient: Address;
  role: SplitRoleId;
  amount: bigint;
  datanetId?: string;
  contributionId?: Hex;
}

/** A contribution credited by a fee, with its weight (accepted passages, or attribution weight). */
export interface WeightedContribution {
  contributionId: Hex;
  contributor: Address;
  weight: bigint;
}

/** One Datanet's part of a fee: its owner, policy, weight among the Datanets, and its contributions. */
export interface DatanetShare {
  datanetId: string;
  owner: Address;
  rewardPolicy: RewardPolicy;
  /** Weight of this Datanet among the fee's Datanets (any positive integer; ignored when alone). */
  weight: bigint;
  contributions: WeightedContribution[];
}

export interface FeeSplitInput {
  fee: bigint;
  treasury: Address;
  /** Defaults to `TREASURY_BPS`. */
  treasuryBps?: number;
  /** Answer fees: the adapter owner's share of what is left after the treasury. */
  adapterOwner?: { recipient: Address; bps: number };
  /** Answer fees: the model owner's share of what is left after the treasury. */
  modelOwner?: { recipient: Address; bps: number };
  datanets: DatanetShare[];
}

export interface FeeSplit {
  /** One per (recipient, role), amounts > 0, in a stable order (role, then recipient). */
  splits: PaymentSplit[];
  /** Per-contribution detail (amounts > 0). */
  lines: SplitLine[];
}

/** Every refusal of a split's input: a typed error the ledger UI can show (never a bare RangeError). */
function invalid(message: string): TributaryError {
  return new TributaryError('ledger/invalid', `${message}. Nothing was recorded; check the receipt's amounts and contributions.`);
}

/**
 * Checks a split's whole input before any arithmetic: the fee, every weight (bigints ≥ 0), unique
 * Datanet ids and, per Datanet, unique contribution ids (case-insensitive: they are hex); with several
 * Datanets at least one weight must be positive. What splitProRata would otherwise throw as a
 * RangeError (or silently merge) is refused here with `ledger/invalid`.
 */
function checkSplitInput(input: FeeSplitInput): void {
  const { fee } = input;
  if (typeof fee !== 'bigint' || fee < 0n) throw invalid(`the fee must be a whole amount ≥ 0 in base units (got ${describeValue(typeof fee === 'bigint' ? fee.toString() : fee)})`);
  if (!Array.isArray(input.datanets) || input.datanets.length === 0) throw invalid('a receipt needs at least one Datanet to pay');
  const datanetIds = new Set<string>();
  for (const d of input.datanets) {
    if (datanetIds.has(d.datanetId)) throw invalid(`the Datanet ${describeValue(d.datanetId)} appears twice in one receipt`);
    datanetIds.add(d.datanetId);
    if (typeof d.weight !== 'bigint' || d.weight < 0n) throw invalid(`the weight of Datanet ${describeValue(d.datanetId)} must be a whole number, not negative`);
    const ids = new Set<string>();
    for (const c of d.contributions) {
      if (typeof c.weight !== 'bigint' || c.weight < 0n) throw invalid(`the weight of contribution ${describeValue(c.contributionId)} must be a whole number, not negative`);
      const id = String(c.contributionId).toLowerCase();
      if (ids.has(id)) throw invalid(`the contribution ${describeValue(c.contributionId)} appears twice in Datanet ${describeValue(d.datanetId)}`);
      ids.add(id);
    }
  }
  if (input.datanets.length > 1 && input.datanets.every((d) => d.weight === 0n)) throw invalid('every Datanet of the receipt has weight 0, so nobody could be paid');
}

function checkBps(name: string, bps: number): bigint {
  if (!Number.isInteger(bps) || bps < 0 || bps > BPS_DENOMINATOR) {
    throw invalid(`${name} must be a whole number of basis points between 0 and ${BPS_DENOMINATOR} (got ${bps})`);
  }
  return BigInt(bps);
}

const DEN = BigInt(BPS_DENOMINATOR);

/**
 * Splits a fee among treasury, adapter/model owners, Datanet owners and contributors (see the module
 * comment for the order and the dust rule). The splits sum to exactly `fee`.
 *
 * @example
 * splitFee({ fee: 1000n, treasury, datanets: [{ datanetId, owner, rewardPolicy: { contributorsBps: 8000, ownerBps: 2000 },
 *   weight: 1n, contributions: [{ contributionId, contributor: alice, weight: 3n }, { contributionId: c2, contributor: bob, weight: 1n }] }] })
 * // treasury 10, owner 198, alice 594, bob 198
 * @throws TributaryError `ledger/invalid` on a negative fee or weight, bps out of range, shares over 100 %, no Datanet,
 *   a Datanet or contribution listed twice, or several Datanets all of weight 0.
 */
export function splitFee(input: FeeSplitInput): FeeSplit {
  checkSplitInput(input);
  const { fee } = input;
  const lines: SplitLine[] = [];

  const treasuryAmount = (fee * checkBps('treasuryBps', input.treasuryBps ?? TREASURY_BPS)) / DEN;
  lines.push({ recipient: input.treasury, role: SPLIT_ROLE.treasury, amount: treasuryAmount });
  const afterTreasury = fee - treasuryAmount;

  let rest = afterTreasury;
  const adapterBps = input.adapterOwner ? checkBps('adapterOwner.bps', input.adapterOwner.bps) : 0n;
  const modelBps = input.modelOwner ? checkBps('modelOwner.bps', input.modelOwner.bps) : 0n;
  if (adapterBps + modelBps > DEN) throw invalid('adapter and model owner shares add up to more than 100 %');
  if (input.adapterOwner) {
    const amount = (afterTreasury * adapterBps) / DEN;
    lines.push({ recipient: input.adapterOwner.recipient, role: SPLIT_ROLE.adapterOwner, amount });
    rest -= amount;
  }
  if (input.modelOwner) {
    const amount = (afterTreasury * modelBps) / DEN;
    lines.push({ recipient: input.modelOwner.recipient, role: SPLIT_ROLE.modelOwner, amount });
    rest -= amount;
  }

  const perDatanet =
    input.datanets.length === 1
      ? new Map([[input.datanets[0]!.datanetId, rest]])
      : splitProRata(
          rest,
          input.datanets.map((d) => ({ key: d.datanetId, weight: d.weight })),
        );

  for (const d of input.datanets) {
    const amount = perDatanet.get(d.datanetId) ?? 0n;
    const weighted = d.contributions.filter((c) => c.weight > 0n); // weights checked by checkSplitInput
    const { contributors, owner } = weighted.length === 0 ? { contributors: 0n, owner: amount } : splitByPolicy(amount, d.rewardPolicy);
    lines.push({ recipient: d.owner, role: SPLIT_ROLE.datanetOwner, amount: owner, datanetId: d.datanetId });
    if (weighted.length > 0) {
      const parts = splitProRata(
        contributors,
        weighted.map((c) => ({ key: c.contributionId.toLowerCase(), weight: c.weight })),
      );
      for (const c of weighted) {
        lines.push({
          recipient: c.contributor,
          role: SPLIT_ROLE.contributor,
          amount: parts.get(c.contributionId.toLowerCase()) ?? 0n,
          datanetId: d.datanetId,
          contributionId: c.contributionId,
        });
      }
    }
  }

  const kept = lines.filter((l) => l.amount > 0n);
  return { splits: aggregateSplits(kept), lines: kept };
}

/** Adds up lines of the same (recipient, role); sorted by role, then lower-cased recipient. */
export function aggregateSplits(lines: ReadonlyArray<{ recipient: Address; role: SplitRoleId; amount: bigint }>): PaymentSplit[] {
  const byKey = new Map<string, PaymentSplit>();
  for (const l of lines) {
    const key = `${l.role}:${l.recipient.toLowerCase()}`;
    const found = byKey.get(key);
    if (found) found.amount += l.amount;
    else byKey.set(key, { recipient: l.recipient, role: l.role, amount: l.amount });
  }
  return [...byKey.values()]
    .filter((s) => s.amount > 0n)
    .sort((a, b) => a.role - b.role || (a.recipient.toLowerCase() < b.recipient.toLowerCase() ? -1 : a.recipient.toLowerCase() > b.recipient.toLowerCase() ? 1 : 0));
}

/** A "Pay a Datanet" fee: what it owes each recipient, plus where the money came from. */
export interface DatanetFee {
  feeId: Hex;
  payer: Address;
  fee: bigint;
  /** Unix seconds after which the contract refuses to settle it. */
  deadline: bigint;
  splits: PaymentSplit[];
  lines: SplitLine[];
  datanetId: string;
  version: number;
}

export interface PayDatanetInput {
  fee: bigint;
  payer: Address;
  datanet: { id: string; owner: Address; rewardPolicy: RewardPolicy };
  /** The Datanet version paid for (its accepted contributions are the ones credited). */
  version: number;
  /** The contributions of that version (accepted ones), with their authors. */
  contributions: ReadonlyArray<{ id: Hex; contributor: Address }>;
  /** Accepted passage count per contribution id (the weight); a missing id counts 0. */
  chunkCounts: ReadonlyMap<Hex, number> | Readonly<Record<Hex, number>>;
  treasury: Address;
  treasuryBps?: number;
  deadline: bigint;
  feeId: Hex;
}

function countOf(counts: PayDatanetInput['chunkCounts'], id: Hex): number {
  if (counts instanceof Map) return counts.get(id) ?? counts.get(id.toLowerCase() as Hex) ?? 0;
  const rec = counts as Readonly<Record<string, number>>;
  return rec[id] ?? rec[id.toLowerCase()] ?? 0;
}

/**
 * A "Pay a Datanet" fee: `fee` paid by `payer` to one Datanet version, split by `splitFee`
 * (treasury, then the Datanet's policy, then contributors pro rata by accepted passages).
 *
 * @throws TributaryError `ledger/invalid` for a negative fee, a non-integer or negative passage count, or a duplicate contribution.
 */
export function buildDatanetFee(input: PayDatanetInput): DatanetFee {
  const contributions: WeightedContribution[] = input.contributions.map((c) => {
    const n = countOf(input.chunkCounts, c.id);
    if (!Number.isSafeInteger(n) || n < 0) throw invalid(`the passage count of ${c.id} must be a whole number ≥ 0 (got ${describeValue(n)})`);
    return { contributionId: c.id, contributor: c.contributor, weight: BigInt(n) };
  });
  const { splits, lines } = splitFee({
    fee: input.fee,
    treasury: input.treasury,
    ...(input.treasuryBps === undefined ? {} : { treasuryBps: input.treasuryBps }),
    datanets: [
      {
        datanetId: input.datanet.id,
        owner: input.datanet.owner,
        rewardPolicy: input.datanet.rewardPolicy,
        weight: 1n,
        contributions,
      },
    ],
  });
  return {
    feeId: input.feeId,
    payer: input.payer,
    fee: input.fee,
    deadline: input.deadline,
    splits,
    lines,
    datanetId: input.datanet.id,
    version: input.version,
  };
}
