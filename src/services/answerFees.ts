/**
 * An answer's attribution record becomes stored evidence and, when the model or adapter is priced, a
 * pending fee in the ledger split by that record (core/answerFee). Runs in the chain worker (part of
 * LedgerService); pure bookkeeping, no network besides the treasury read.
 */
import type { RecordAnswerInput, RecordedAnswer } from '../workerApi/ledgerApi.ts';
import { splitAnswerFee } from '../core/answerFee.ts';
import { attributionRecordHash, validateRecord } from '../core/attribution/record.ts';
import { TributaryError } from '../core/errors.ts';
import type { LedgerEntry } from '../core/ledger.ts';
import type { Address, Hex, RewardPolicy } from '../core/types.ts';

export type { RecordAnswerInput, RecordedAnswer };
import type { StoredAttributionRecord, TributaryDB } from '../store/db.ts';
import { addLedgerEntry } from '../store/ledger.ts';
import { getPrice } from '../store/prices.ts';

export interface FeeChain {
  chainId: number;
  settlement: Address;
  treasury: Address;
}

/** Stores the record (idempotent by hash) and adds its fee when priced. */
export async function recordAnswer(
  db: TributaryDB,
  input: RecordAnswerInput,
  ctx: { chain: FeeChain | null; now: number; feeId: Hex; deadline: bigint },
): Promise<RecordedAnswer> {
  validateRecord(input.record);
  const hash = attributionRecordHash(input.record);
  const stored: StoredAttributionRecord = {
    hash,
    record: input.record,
    answerId: input.answerId,
    prompt: input.prompt,
    answer: input.answer,
    datanetIds: [...new Set(input.record.credits.map((c) => c.datanetId))],
    contributionIds: input.record.credits.map((c) => c.contributionId),
    contributors: [...new Set(input.record.credits.map((c) => c.contributor))],
    createdAt: ctx.now,
    ...(input.embeddingQuery ? { embeddingQuery: { int8: Int8Array.from(input.embeddingQuery.int8), scale: input.embeddingQuery.scale } } : {}),
    ...(input.influenceGradient ? { influenceGradient: Float32Array.from(input.influenceGradient) } : {}),
  };

  const [modelPrice, adapterPrice] = await Promise.all([getPrice(db, 'model', input.modelId), input.adapterId ? getPrice(db, 'adapter', input.adapterId) : undefined]);
  const priced = (modelPrice?.amount ?? 0n) + (adapterPrice?.amount ?? 0n) > 0n;
  const datanets = new Map<string, { owner: Address; rewardPolicy: RewardPolicy; name: string; version: number }>();
  for (const id of stored.datanetIds) {
    const d = await db.datanets.get(id);
    if (d) datanets.set(id, { owner: d.owner, rewardPolicy: d.rewardPolicy, name: d.name, version: d.currentVersion });
  }
  const treasury = ctx.chain?.treasury ?? ('0x000000000000000000000000000000000000dEaD' as Address);
  const split = priced ? splitAnswerFee({ attribution: input.record, adapter: adapterPrice, model: modelPrice, treasury, datanets }) : null;

  let fee: LedgerEntry | null = null;
  let unbilled: string | undefined;
  if (split && split.fee > 0n) {
    if (!ctx.chain) unbilled = 'No chain is configured: the answer is priced but its fee cannot be recorded for settlement.';
    else if (!input.payer) unbilled = 'No identity or wallet is active to pay for this answer.';
  }
  await db.transaction('rw', [db.attributionRecords, db.ledgerEntries], async () => {
    await db.attributionRecords.put(stored);
    if (!split || split.fee === 0n || unbilled || !ctx.chain || !input.payer) return;
    const existing = await db.ledgerEntries.where('answerId').equals(input.answerId).first();
    if (existing) {
      fee = existing; // an answer is billed once
      return;
    }
    // the most credited Datanet names the fee in lists; all of them are in datanetIds
    const top = [...input.record.credits].sort((a, b) => b.weightPpm - a.weightPpm)[0];
    const main = top ? datanets.get(top.datanetId) : undefined;
    const entry: LedgerEntry = {
      id: ctx.feeId,
      kind: 'answer',
      subject: hash,
      payer: input.payer,
      fee: split.fee,
      deadline: ctx.deadline,
      splits: split.splits,
      lines: split.lines.map(({ unattributed: _u, ...l }) => l),
      recipients: [...new Set(split.splits.map((s) => s.recipient))],
      datanetId: top?.datanetId ?? '',
      datanetName: main?.name ?? 'No Datanet credited',
      version: main?.version ?? 0,
      datanetIds: stored.datanetIds,
      answerId: input.answerId,
      chainId: ctx.chain.chainId,
      settlementContract: ctx.chain.settlement,
      status: 'pending',
      createdAt: ctx.now,
      updatedAt: ctx.now,
    };
    await addLedgerEntry(db, entry);
    fee = entry;
  });
  if (split && split.fee > 0n && fee === null && !unbilled) throw new TributaryError('storage/failed', 'The answer fee was not recorded; try again.');
  return { stored, fee, split, ...(unbilled ? { unbilled } : {}) };
}
