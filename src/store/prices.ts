/**
 * Prices per answer of models and adapters, set by their owners (kept in the settings table under
 * `price:model:<id>` / `price:adapter:<id>`). A price of 0 (or none) makes answers free. Token base
 * units, bigint. What a price means for the fee's split: core/answerFee.
 */
import type { PricePerAnswer } from '../core/answerFee.ts';
import { TributaryError } from '../core/errors.ts';
import type { Address } from '../core/types.ts';
import type { TributaryDB } from './db.ts';
import { getSetting, setSetting } from './settings.ts';

export type PricedKind = 'model' | 'adapter';

export interface PriceRecord extends PricePerAnswer {
  kind: PricedKind;
  id: string;
  setAt: number;
}

const keyOf = (kind: PricedKind, id: string) => `price:${kind}:${id}`;
const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;

/** The price of answers of a model or adapter; undefined when it has none (free). */
export function getPrice(db: TributaryDB, kind: PricedKind, id: string): Promise<PriceRecord | undefined> {
  return getSetting<PriceRecord>(db, keyOf(kind, id));
}

/**
 * Sets (or with amount 0, clears to free) the price of answers of a model or adapter.
 * @throws TributaryError `fee/invalid` for a negative amount, a bad owner address or owner cut.
 */
export async function setPrice(db: TributaryDB, p: Omit<PriceRecord, 'setAt'>, now: number): Promise<PriceRecord> {
  if (typeof p.amount !== 'bigint' || p.amount < 0n) throw new TributaryError('fee/invalid', `A price per answer is a whole number of token units ≥ 0 (got ${String(p.amount)}).`);
  if (!ADDRESS_RE.test(p.owner)) throw new TributaryError('fee/invalid', `The price's owner must be an address (got ${String(p.owner)}).`);
  const bps = p.ownerBps ?? 2000;
  if (!Number.isInteger(bps) || bps < 0 || bps > 10_000) throw new TributaryError('fee/invalid', `The owner's cut is 0…10000 basis points (got ${String(bps)}).`);
  const record: PriceRecord = { kind: p.kind, id: p.id, amount: p.amount, owner: p.owner as Address, ownerBps: bps, setAt: now };
  await setSetting(db, keyOf(p.kind, p.id), record);
  return record;
}
