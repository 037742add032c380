/**
 * An answer's fee, split by its attribution. Pure and exact (bigint base units).
 *
 * A model or adapter may carry a price per answer set by its owner (`PricePerAnswer`). Each answer of a
 * priced model/adapter owes that price once; its attribution record says which contributions shaped it
 * (weights in parts per million, plus an explicit unattributed share; weights + unattributed =
 * 1,000,000). The split, in this order, each cut exact:
 *
 * 1. treasury: `floor(price * treasuryBps / 10_000)` (protocol constant, `TREASURY_BPS`);
 * 2. the adapter owner's cut (when the answer used a priced adapter with an owner) and the model
 *    owner's cut: `floor(rest * bps / 10_000)` each, of what is left after the treasury;
 * 3. what remains is the **data pool**. Its unattributed part, `floor(pool * unattributedPpm / 1e6)`,
 *    goes to the **maker** of the answer — the adapter owner, else the model owner, else the treasury:
 *    where no contribution's evidence explains the answer, the model did the work, so nobody's data is
 *    paid for it and the price is not inflated or refunded (the payer pays the posted price either way).
 *    An answer that matches nothing credits no contributor and pays its whole pool to the maker;
 * 4. the attributed rest goes to the credited Datanets pro rata to the sum of their credits' weights,
 *    each Datanet's part cut by its reward policy (owner vs contributors), and the contributors' part
 *    pro rata to their weights (core/feeSplit `splitFee`, largest remainder; dust rules there).
 *
 * The lines always add up to exactly the price, none is negative, and the same inputs always give the
 * same lines (credits are sorted by contribution id before splitting).
 */
import { TributaryError } from './errors.ts';
import { SPLIT_ROLE, splitFee, TREASURY_BPS, aggregateSplits, type DatanetShare, type PaymentSplit, type SplitLine, type SplitRoleId } from './feeSplit.ts';
import { BPS_DENOMINATOR, type Address, type Hex, type RewardPolicy } from './types.ts';

/**
 * Parts per million: attribution weights are integers out of this (the same PPM as core/attribution's
 * record; restated here because lint keeps core files off folders named like a layer).
 */
export const PPM = 1_000_000;

/** What an answer costs and who set the price (a model's or an adapter's owner). */
export interface PricePerAnswer {
  /** Token base units per answer; 0 = free. */
  amount: bigint;
  /** Who receives the owner's cut (and the unattributed share). */
  owner: Address;
  /** The owner's cut of what is left after the treasury, in basis points (default `DEFAULT_OWNER_BPS`). */
  ownerBps?: number;
}

/** The owner's default cut of a priced answer, after the treasury: 20 %. */
export const DEFAULT_OWNER_BPS = 2_000;

/** One credited contribution of an answer (the attribution record's `credits` carry at least this). */
export interface AnswerCredit {
  contributionId: Hex;
  datanetId: string;
  contributor: Address;
  /** Integer parts per million. */
  weightPpm: number;
}

/** The part of an attribution record the fee split reads. */
export interface AnswerAttribution {
  credits: ReadonlyArray<AnswerCredit>;
  unattributedPpm: number;
}

export interface AnswerFeeInput {
  attribution: AnswerAttribution;
  /** The adapter's price, when the answer used an adapter that has one. */
  adapter?: PricePerAnswer | undefined;
  /** The base model's price, when it has one. */
  model?: PricePerAnswer | undefined;
  treasury: Address;
  treasuryBps?: number;
  /** Owner and reward policy of every credited Datanet. */
  datanets: ReadonlyMap<string, { owner: Address; rewardPolicy: RewardPolicy }>;
}

export interface AnswerFeeSplit {
  /** What the answer costs: adapter price + model price. */
  fee: bigint;
  /** One per (recipient, role), amounts > 0, stable order. */
  splits: PaymentSplit[];
  /** Per-contribution detail; the maker's unattributed line has `unattributed: true`. */
  lines: (SplitLine & { unattributed?: true })[];
  /** The unattributed part of the data pool (in `lines` too). */
  unattributed: bigint;
}

function bad(message: string, field?: string): never {
  throw new TributaryError('fee/invalid', message, field);
}

function checkPrice(p: PricePerAnswer | undefined, what: string): void {
  if (!p) return;
  if (typeof p.amount !== 'bigint' || p.amount < 0n) bad(`The ${what}'s price per answer must be a whole number of token units ≥ 0 (got ${String(p.amount)}).`, `${what}.amount`);
  const bps = p.ownerBps ?? DEFAULT_OWNER_BPS;
  if (!Number.isInteger(bps) || bps < 0 || bps > BPS_DENOMINATOR) bad(`The ${what} owner's cut must be 0…${BPS_DENOMINATOR} basis points (got ${String(bps)}).`, `${what}.ownerBps`);
}

/** Checks the attribution's arithmetic: integer weights ≥ 0, unique contributions, sum exactly 1e6. */
export function checkAnswerAttribution(a: AnswerAttribution): void {
  if (!Number.isSafeInteger(a.unattributedPpm) || a.unattributedPpm < 0 || a.unattributedPpm > PPM) {
    bad(`The unattributed share must be a whole number of ppm in 0…${PPM} (got ${String(a.unattributedPpm)}).`, 'unattributedPpm');
  }
  let sum = a.unattributedPpm;
  const seen = new Set<string>();
  for (const c of a.credits) {
    if (!Number.isSafeInteger(c.weightPpm) || c.weightPpm < 0) bad(`Weight of ${c.contributionId} must be a whole number of ppm ≥ 0 (got ${String(c.weightPpm)}).`, 'credits');
    const key = c.contributionId.toLowerCase();
    if (seen.has(key)) bad(`Contribution ${c.contributionId} is credited twice; an attribution credits each contribution once.`, 'credits');
    seen.add(key);
    sum += c.weightPpm;
  }
  if (sum !== PPM) bad(`Weights and the unattributed share must add up to exactly ${PPM} ppm (they add up to ${sum}).`, 'credits');
}

/**
 * Splits one answer's fee by its attribution (see the module comment for the rule).
 * @throws TributaryError `fee/invalid` for a negative price, bad weights, or a credited Datanet with no owner/policy.
 */
export function splitAnswerFee(input: AnswerFeeInput): AnswerFeeSplit {
  checkPrice(input.adapter, 'adapter');
  checkPrice(input.model, 'model');
  checkAnswerAttribution(input.attribution);
  const treasuryBps = input.treasuryBps ?? TREASURY_BPS;
  if (!Number.isInteger(treasuryBps) || treasuryBps < 0 || treasuryBps > BPS_DENOMINATOR) bad(`Treasury share must be 0…${BPS_DENOMINATOR} bps (got ${treasuryBps}).`, 'treasuryBps');
  const adapterPrice = input.adapter?.amount ?? 0n;
  const modelPrice = input.model?.amount ?? 0n;
  const fee = adapterPrice + modelPrice;
  const lines: AnswerFeeSplit['lines'] = [];
  if (fee === 0n) return { fee, splits: [], lines, unattributed: 0n };

  const den = BigInt(BPS_DENOMINATOR);
  const treasuryAmount = (fee * BigInt(treasuryBps)) / den;
  lines.push({ recipient: input.treasury, role: SPLIT_ROLE.treasury, amount: treasuryAmount });
  const afterTreasury = fee - treasuryAmount;
  // Each owner's cut is of its own price's part of what is left after the treasury: a free model's
  // owner gets nothing from an adapter's price.
  let pool = afterTreasury;
  const ownerCut = (p: PricePerAnswer | undefined, role: SplitRoleId) => {
    if (!p || p.amount === 0n) return;
    const part = (afterTreasury * p.amount) / fee;
    const amount = (part * BigInt(p.ownerBps ?? DEFAULT_OWNER_BPS)) / den;
    lines.push({ recipient: p.owner, role, amount });
    pool -= amount;
  };
  ownerCut(input.adapter, SPLIT_ROLE.adapterOwner);
  ownerCut(input.model, SPLIT_ROLE.modelOwner);

  const maker: { recipient: Address; role: SplitRoleId } =
    input.adapter && input.adapter.amount > 0n
      ? { recipient: input.adapter.owner, role: SPLIT_ROLE.adapterOwner }
      : input.model && input.model.amount > 0n
        ? { recipient: input.model.owner, role: SPLIT_ROLE.modelOwner }
        : { recipient: input.treasury, role: SPLIT_ROLE.treasury };
  const credited = [...input.attribution.credits].filter((c) => c.weightPpm > 0).sort((a, b) => (a.contributionId.toLowerCase() < b.contributionId.toLowerCase() ? -1 : 1));
  const unattributed = credited.length === 0 ? pool : (pool * BigInt(input.attribution.unattributedPpm)) / BigInt(PPM);
  lines.push({ ...maker, amount: unattributed, unattributed: true });
  const attributed = pool - unattributed;

  if (credited.length > 0 && attributed > 0n) {
    const byDatanet = new Map<string, DatanetShare>();
    for (const c of credited) {
      const d = input.datanets.get(c.datanetId);
      if (!d) bad(`Datanet ${c.datanetId} credited by this answer is not known here: import it before pricing its answers.`, c.datanetId);
      let share = byDatanet.get(c.datanetId);
      if (!share) {
        share = { datanetId: c.datanetId, owner: d.owner, rewardPolicy: d.rewardPolicy, weight: 0n, contributions: [] };
        byDatanet.set(c.datanetId, share);
      }
      share.weight += BigInt(c.weightPpm);
      share.contributions.push({ contributionId: c.contributionId, contributor: c.contributor, weight: BigInt(c.weightPpm) });
    }
    const datanets = [...byDatanet.values()].sort((a, b) => (a.datanetId < b.datanetId ? -1 : 1));
    const part = splitFee({ fee: attributed, treasury: input.treasury, treasuryBps: 0, datanets });
    lines.push(...part.lines);
  }
  const kept = lines.filter((l) => l.amount > 0n);
  return { fee, splits: aggregateSplits(kept), lines: kept, unattributed };
}
