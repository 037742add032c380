/**
 * The ledger's service (runs in the ledger worker, `workers/ledger.worker.ts`): creates receipts, keeps the
 * ledger's bookkeeping around settlements and claims, and reconciles it with the chain. Chain reads go
 * through an injected `LedgerChainReader` (the worker builds it from `src/chain`), so this layer stays
 * free of network code and tests can use a real anvil or a fake.
 *
 * Sending transactions is not done here: only the user's wallet (main thread) can. The UI calls
 * `beginSettlement` BEFORE it asks the wallet to send, `settlementSent` as soon as it has the hash,
 * then `settlementConfirmed` / `settlementFailed`. A tab closed in between leaves entries `submitting`;
 * `reconcile` (on start and before every settlement) asks the chain what happened to them.
 */
import { CHAIN_SETTINGS_KEY, type ChainSettings, type ClaimPlanInfo, type LedgerApi, type LedgerChainRef, type PayDatanetInput, type ReconcileReport } from '../workerApi/ledgerApi.ts';
import { TributaryError } from '../core/errors.ts';
import type { ClaimRecord, LedgerEntry, PayoutMode, SettlementRecord } from '../core/ledger.ts';
import { buildReceipt } from '../core/receiptSplit.ts';
import type { Address, Hex } from '../core/types.ts';
import type { TributaryDB } from '../store/db.ts';
import { setSetting } from '../store/settings.ts';
import {
  addClaim,
  addLedgerEntry,
  beginSettlement,
  cancelPendingEntry,
  expireEntries,
  resolveSubmitting,
  settlementConfirmed,
  settlementFailed,
  settlementSent,
  submittingEntries,
  updateClaim,
  type ChainVerdict,
} from '../store/ledger.ts';
import { asTributaryError, canonicalAddress, randomHex } from './util.ts';

export type TxState = 'success' | 'reverted' | 'pending' | 'unknown';

/** What the service reads from the chain. */
export interface LedgerChainReader {
  /** The Settlement contract's treasury (TREASURY splits must pay it). */
  treasury(): Promise<Address>;
  /** `settled(receiptId)` for each id, in order. */
  settled(ids: Hex[]): Promise<boolean[]>;
  /** The settling transaction and payout mode of each id that has a `ReceiptSettled` log. */
  settlementOf(ids: Hex[]): Promise<Map<Hex, { txHash: Hex; payoutMode: PayoutMode }>>;
  transactionState(hash: Hex): Promise<TxState>;
  /** The latest block's timestamp (Unix seconds). */
  latestTimestamp(): Promise<bigint>;
  /** The claim of `account` under the current epoch root, rebuilt from logs and checked against the root. */
  planClaim(account: Address): Promise<ClaimPlanInfo>;
}

export interface LedgerDeps {
  now(): number;
  randomBytes(n: number): Uint8Array;
  reader(chain: LedgerChainRef): LedgerChainReader;
}

export type { LedgerChainRef };

/** How long a "Pay a Datanet" receipt can wait to be settled. */
export const RECEIPT_LIFETIME_SECONDS = 30n * 24n * 3600n;

export class LedgerService implements LedgerApi {
  readonly #db: TributaryDB;
  readonly #deps: LedgerDeps;

  constructor(db: TributaryDB, deps: LedgerDeps) {
    this.#db = db;
    this.#deps = deps;
  }

  async ping(): Promise<'pong'> {
    return 'pong';
  }

  /**
   * A pending "Pay a Datanet" receipt: `fee` from `payer` to the Datanet's current version, split by
   * core/receiptSplit (treasury, the Datanet's policy, contributors by accepted passages). Nothing is
   * signed or sent yet: the payer signs when settling.
   */
  async payDatanet(chain: LedgerChainRef, input: PayDatanetInput): Promise<LedgerEntry> {
    const db = this.#db;
    if (typeof input.fee !== 'bigint' || input.fee <= 0n) {
      throw new TributaryError('ledger/invalid', 'Enter an amount above 0 to pay.', 'amount');
    }
    const payer = canonicalAddress(input.payer);
    const datanet = await db.datanets.get(input.datanetId);
    if (!datanet) throw new TributaryError('datanet/not-found', 'This Datanet does not exist in this browser.', input.datanetId);
    const version = datanet.currentVersion > 0 ? await db.versions.get([datanet.id, datanet.currentVersion]) : undefined;
    const contributions = version ? (await db.contributions.bulkGet(version.contributionIds)).filter((c) => !!c) : [];
    const accepted = contributions.filter((c) => c.status === 'accepted');
    const reader = this.#deps.reader(chain);
    let treasury: Address;
    try {
      treasury = chain.treasury ?? (await reader.treasury());
    } catch (e) {
      throw chainUnreachable(chain, e);
    }
    const now = this.#deps.now();
    const receipt = buildReceipt({
      fee: input.fee,
      payer,
      datanet: { id: datanet.id, owner: datanet.owner, rewardPolicy: datanet.rewardPolicy },
      version: datanet.currentVersion,
      contributions: accepted.map((c) => ({ id: c.id, contributor: c.contributor })),
      chunkCounts: new Map(accepted.map((c) => [c.id, c.chunkCount])),
      treasury,
      deadline: BigInt(Math.floor(now / 1000)) + RECEIPT_LIFETIME_SECONDS,
      receiptId: `0x${randomHex(this.#deps.randomBytes, 32)}`,
    });
    const entry: LedgerEntry = {
      id: receipt.receiptId,
      kind: 'pay-datanet',
      payer,
      fee: receipt.fee,
      deadline: receipt.deadline,
      splits: receipt.splits,
      lines: receipt.lines,
      recipients: [...new Set(receipt.splits.map((s) => s.recipient))],
      datanetId: datanet.id,
      datanetName: datanet.name,
      version: receipt.version,
      chainId: chain.chainId,
      settlementContract: chain.settlement,
      status: 'pending',
      createdAt: now,
      updatedAt: now,
    };
    try {
      await addLedgerEntry(db, entry);
    } catch (e) {
      throw asTributaryError(e);
    }
    return entry;
  }

  /**
   * Brings the ledger in line with the chain: entries left `submitting` become `settled` (with their
   * transaction, from the logs) when `settled(receiptId)` is true, else `pending` again (unless their
   * transaction is still waiting to be mined); pending entries past their deadline become `failed`.
   */
  async reconcile(chain: LedgerChainRef): Promise<ReconcileReport> {
    const db = this.#db;
    const reader = this.#deps.reader(chain);
    const stuck = await submittingEntries(db, chain.chainId);
    let settled = 0;
    let reverted = 0;
    try {
      if (stuck.length > 0) {
        const ids = stuck.map((e) => e.id);
        const onChain = await reader.settled(ids);
        const settledIds = ids.filter((_, i) => onChain[i]);
        const found = settledIds.length > 0 ? await reader.settlementOf(settledIds) : new Map<Hex, { txHash: Hex; payoutMode: PayoutMode }>();
        const txStates = new Map<Hex, TxState>();
        for (const e of stuck) {
          if (e.txHash && !txStates.has(e.txHash)) txStates.set(e.txHash, await reader.transactionState(e.txHash));
        }
        const verdicts: ChainVerdict[] = stuck.map((e, i): ChainVerdict => {
          if (onChain[i]) {
            const log = found.get(e.id);
            return { id: e.id, settled: true, ...(log ? { txHash: log.txHash, payoutMode: log.payoutMode } : {}) };
          }
          const state = e.txHash ? txStates.get(e.txHash) : 'unknown';
          if (state === 'pending') return { id: e.id, settled: false, inFlight: true, reason: 'Its transaction is still waiting to be mined.' };
          return {
            id: e.id,
            settled: false,
            reason:
              state === 'reverted'
                ? 'Its settlement transaction reverted; nothing was paid. Settle it again.'
                : 'Its settlement was not completed (the page was closed or the transaction was never sent); nothing was paid. Settle it again.',
          };
        });
        ({ settled, reverted } = await resolveSubmitting(db, verdicts, this.#deps.now()));
      }
      const expired = await expireEntries(db, chain.chainId, await reader.latestTimestamp(), this.#deps.now());
      return { settled, reverted, expired };
    } catch (e) {
      throw chainUnreachable(chain, e);
    }
  }

  /** Keeps the payer's receipt signatures, so a retry does not ask the wallet again. */
  async saveSignatures(signatures: { id: Hex; signature: Hex }[]): Promise<void> {
    const db = this.#db;
    const now = this.#deps.now();
    await db.transaction('rw', db.ledgerEntries, async () => {
      for (const { id, signature } of signatures) {
        await db.ledgerEntries.where('id').equals(id).filter((e) => e.status === 'pending').modify({ signature, updatedAt: now });
      }
    });
  }

  /** The payer withdraws a pending receipt (see store/ledger `cancelPendingEntry`). */
  cancelReceipt(id: Hex, payer: Address): Promise<LedgerEntry> {
    return cancelPendingEntry(this.#db, id, payer, this.#deps.now());
  }

  /** Marks the receipts `submitting` in a new batch (all or nothing). Call before sending. */
  beginSettlement(chainId: number, payer: Address, receiptIds: Hex[], payoutMode: PayoutMode): Promise<SettlementRecord> {
    return beginSettlement(this.#db, {
      id: `st-${randomHex(this.#deps.randomBytes, 8)}`,
      chainId,
      payer: canonicalAddress(payer),
      receiptIds,
      payoutMode,
      now: this.#deps.now(),
    });
  }

  settlementSent(settlementId: string, txHash: Hex): Promise<void> {
    return settlementSent(this.#db, settlementId, txHash, this.#deps.now());
  }

  settlementConfirmed(settlementId: string, txHash: Hex): Promise<void> {
    return settlementConfirmed(this.#db, settlementId, txHash, this.#deps.now());
  }

  settlementFailed(settlementId: string, error: string): Promise<void> {
    return settlementFailed(this.#db, settlementId, error, this.#deps.now());
  }

  /** Records a claim about to be sent; returns its id. */
  async beginClaim(chainId: number, account: Address, epoch: bigint, cumulativeAmount: bigint, amount: bigint): Promise<string> {
    const now = this.#deps.now();
    const claim: ClaimRecord = {
      id: `cl-${randomHex(this.#deps.randomBytes, 8)}`,
      chainId,
      account: canonicalAddress(account),
      epoch,
      cumulativeAmount,
      amount,
      status: 'submitting',
      createdAt: now,
      updatedAt: now,
    };
    await addClaim(this.#db, claim);
    return claim.id;
  }

  async claimFinished(id: string, outcome: { txHash: Hex } | { error: string; txHash?: Hex }): Promise<void> {
    const now = this.#deps.now();
    if ('error' in outcome) await updateClaim(this.#db, id, { status: 'failed', error: outcome.error, ...(outcome.txHash ? { txHash: outcome.txHash } : {}), updatedAt: now });
    else await updateClaim(this.#db, id, { status: 'confirmed', txHash: outcome.txHash, updatedAt: now });
  }

  async planClaim(chain: LedgerChainRef, account: Address): Promise<ClaimPlanInfo> {
    try {
      return await this.#deps.reader(chain).planClaim(canonicalAddress(account));
    } catch (e) {
      throw chainUnreachable(chain, e);
    }
  }

  async saveChainSettings(settings: ChainSettings): Promise<void> {
    if (!['local', 'openledger', 'custom'].includes(settings?.kind)) throw new TributaryError('chain/config', `Unknown chain kind ${String(settings?.kind)}.`);
    await setSetting(this.#db, CHAIN_SETTINGS_KEY, settings);
  }

  async claimSent(id: string, txHash: Hex): Promise<void> {
    await updateClaim(this.#db, id, { txHash, updatedAt: this.#deps.now() });
  }
}

function chainUnreachable(chain: LedgerChainRef, e: unknown): TributaryError {
  if (e instanceof TributaryError) return e;
  const detail = e instanceof Error ? e.message.split('\n')[0] : String(e);
  return new TributaryError(
    'chain/unreachable',
    `${chain.name} (${chain.rpcUrl}) did not answer: ${detail}. Start the local chain with \`npm start\`, or check the RPC URL in Settings.`,
  );
}
