/**
 * The ledger's service (runs in the chain worker, `workers/ledger.worker.ts`): creates fees ("Pay a
 * Datanet", and answer fees from attribution records), builds the one payment that settles a payer's
 * pending fees, keeps the bookkeeping around settlements and claims, and reconciles it with the chain.
 * Chain reads go through an injected `LedgerChainReader` (the worker builds it from `src/chain`), so this
 * layer stays free of network code and tests can use a real anvil or a fake.
 *
 * Signing and sending are not done here: only the user's wallet (main thread) can. The UI calls
 * `prepareSettlement` (fees -> `submitting`, the payment built and recorded) BEFORE it asks the wallet
 * to sign, `settlementSigned` / `settlementSent` as soon as it has the signature / hash, then
 * `settlementConfirmed` / `settlementFailed`. A tab closed in between leaves a settlement `submitting`;
 * `reconcile` (on start and before every settlement) asks the chain what happened to its payment.
 */
import {
  CHAIN_SETTINGS_KEY,
  type ChainSettings,
  type ClaimPlanInfo,
  type LedgerApi,
  type LedgerChainRef,
  type PayDatanetInput,
  type ReconcileReport,
  type SetPriceInput,
  type SignedClaimAuthorization,
} from '../workerApi/ledgerApi.ts';
import { verifyClaimAuthorization } from '../chain/claimAuthorization.ts';
import { localKeyOf, signClaimAuthorization } from './claimForLocalKey.ts';
import { paymentId, settlementDomain } from '../chain/payment.ts';
import { TributaryError } from '../core/errors.ts';
import type { ClaimRecord, LedgerEntry, PayoutMode, SettlementRecord } from '../core/ledger.ts';
import { buildDatanetFee } from '../core/feeSplit.ts';
import { buildPayment, datanetFeeSubject } from '../core/payment.ts';
import type { Address, Hex } from '../core/types.ts';
import type { TributaryDB } from '../store/db.ts';
import { adaptersTable } from '../store/adapters.ts';
import { setPrice } from '../store/prices.ts';
import { setSetting } from '../store/settings.ts';
import { saveKnownBalances, saveKnownChain, saveKnownToken, type KnownBalances, type KnownChain, type KnownToken } from '../store/knownChain.ts';
import {
  addClaim,
  addLedgerEntry,
  beginSettlement,
  entriesOfPayer,
  cancelPendingEntry,
  expireEntries,
  resolveSubmitting,
  settlementConfirmed,
  settlementFailed,
  settlementSent,
  settlementSigned,
  submittingSettlements,
  updateClaim,
  type ChainVerdict,
} from '../store/ledger.ts';
import { recordAnswer, type RecordAnswerInput, type RecordedAnswer } from './answerFees.ts';
import { asTributaryError, canonicalAddress, randomHex } from './util.ts';

export type TxState = 'success' | 'reverted' | 'pending' | 'unknown';

/** What the service reads from the chain. */
export interface LedgerChainReader {
  /** The Settlement contract's treasury (TREASURY splits must pay it). */
  treasury(): Promise<Address>;
  /** `settled(paymentId)` for each id, in order. */
  settled(ids: Hex[]): Promise<boolean[]>;
  /** The settling transaction and payout mode of each id with a `PaymentSettled` log of `payer`. */
  settlementOf(ids: Hex[], payer: Address): Promise<Map<Hex, { txHash: Hex; payoutMode: PayoutMode }>>;
  transactionState(hash: Hex): Promise<TxState>;
  /** The latest block's timestamp (Unix seconds). */
  latestTimestamp(): Promise<bigint>;
  /** The claim of `account` under the current epoch root, rebuilt from logs and checked against the root. */
  planClaim(account: Address): Promise<ClaimPlanInfo>;
  /** The native (gas) balance of `account`. */
  gasBalance(account: Address): Promise<bigint>;
}

/** Sends an authorised `claimFor` from a local key (it pays the gas) and waits for it; the transaction hash. */
export type LocalKeyClaimSender = (chain: LedgerChainRef, privateKey: Hex, signed: SignedClaimAuthorization) => Promise<Hex>;

export interface LedgerDeps {
  now(): number;
  randomBytes(n: number): Uint8Array;
  reader(chain: LedgerChainRef): LedgerChainReader;
  /** How a local key sends its own claim (the worker builds it from src/chain); absent: only wallets submit. */
  sendClaimAsLocalKey?: LocalKeyClaimSender;
}

export type { LedgerChainRef };

/** How long a fee can wait to be settled before it lapses. */
export const FEE_LIFETIME_SECONDS = 30n * 24n * 3600n;
/** How long a signed payment stays valid: it is signed just before it is sent. */
export const PAYMENT_LIFETIME_SECONDS = 24n * 3600n;

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
   * A pending "Pay a Datanet" fee: `fee` from `payer` to the Datanet's current version, split by
   * core/feeSplit (treasury, the Datanet's policy, contributors by accepted passages). Nothing is
   * signed or sent yet: the payer signs one payment for all pending fees when settling.
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
    const built = buildDatanetFee({
      fee: input.fee,
      payer,
      datanet: { id: datanet.id, owner: datanet.owner, rewardPolicy: datanet.rewardPolicy },
      version: datanet.currentVersion,
      contributions: accepted.map((c) => ({ id: c.id, contributor: c.contributor })),
      chunkCounts: new Map(accepted.map((c) => [c.id, c.chunkCount])),
      treasury,
      deadline: BigInt(Math.floor(now / 1000)) + FEE_LIFETIME_SECONDS,
      feeId: `0x${randomHex(this.#deps.randomBytes, 32)}`,
    });
    const entry: LedgerEntry = {
      id: built.feeId,
      kind: 'pay-datanet',
      subject: datanetFeeSubject(datanet.id, built.version),
      payer,
      fee: built.fee,
      deadline: built.deadline,
      splits: built.splits,
      lines: built.lines,
      recipients: [...new Set(built.splits.map((s) => s.recipient))],
      datanetId: datanet.id,
      datanetName: datanet.name,
      version: built.version,
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
   * Sets the price per answer of a model or adapter. An adapter that names its owner can only be priced
   * by that owner; a model (or an adapter without an owner) is priced by whoever sets it here, who then
   * receives the owner's cut.
   * @throws TributaryError `fee/invalid` for a bad amount, `validation/not-owner` for someone else's adapter.
   */
  async setPrice(input: SetPriceInput): Promise<void> {
    const owner = canonicalAddress(input.owner);
    if (input.kind === 'adapter') {
      const a = await adaptersTable(this.#db).get(input.id as Hex);
      if (!a) throw new TributaryError('lora/not-found', 'This adapter is not installed here.', input.id);
      if (a.owner && a.owner.toLowerCase() !== owner.toLowerCase()) {
        throw new TributaryError('validation/not-owner', `Only the adapter's owner ${a.owner} can set its price: switch to that identity.`, a.name);
      }
    }
    await setPrice(this.#db, { kind: input.kind, id: input.id, amount: input.amount, owner, ...(input.ownerBps === undefined ? {} : { ownerBps: input.ownerBps }) }, this.#deps.now());
  }

  /**
   * Stores an answer's attribution record and, when its model or adapter is priced, adds its pending fee
   * (split by the record, core/answerFee) for `input.payer` on `chain` (none without a chain or payer).
   */
  async recordAnswer(chain: LedgerChainRef | null, input: RecordAnswerInput): Promise<RecordedAnswer> {
    const now = this.#deps.now();
    let feeChain: { chainId: number; settlement: Address; treasury: Address } | null = null;
    if (chain) {
      try {
        feeChain = { chainId: chain.chainId, settlement: chain.settlement, treasury: chain.treasury ?? (await this.#deps.reader(chain).treasury()) };
      } catch (e) {
        throw chainUnreachable(chain, e);
      }
    }
    try {
      return await recordAnswer(this.#db, { ...input, payer: input.payer ? canonicalAddress(input.payer) : null }, {
        chain: feeChain,
        now,
        feeId: `0x${randomHex(this.#deps.randomBytes, 32)}`,
        deadline: BigInt(Math.floor(now / 1000)) + FEE_LIFETIME_SECONDS,
      });
    } catch (e) {
      throw asTributaryError(e);
    }
  }

  /**
   * Brings the ledger in line with the chain: settlements left `submitting` are confirmed (with their
   * transaction, from the payer's logs) when `settled(paymentId)` is true, else failed and their fees
   * `pending` again (unless their transaction is still waiting to be mined); pending fees past their
   * deadline lapse (`failed`).
   */
  async reconcile(chain: LedgerChainRef): Promise<ReconcileReport> {
    const db = this.#db;
    const reader = this.#deps.reader(chain);
    const stuck = await submittingSettlements(db, chain.chainId);
    let settled = 0;
    let reverted = 0;
    try {
      if (stuck.length > 0) {
        const onChain = await reader.settled(stuck.map((s) => s.paymentId));
        const verdicts: ChainVerdict[] = [];
        for (const [i, s] of stuck.entries()) {
          if (onChain[i]) {
            const log = (await reader.settlementOf([s.paymentId], s.payer)).get(s.paymentId);
            verdicts.push({ settlementId: s.id, settled: true, ...(log ? { txHash: log.txHash } : {}) });
            continue;
          }
          const state = s.txHash ? await reader.transactionState(s.txHash) : 'unknown';
          if (state === 'pending') verdicts.push({ settlementId: s.id, settled: false, inFlight: true, reason: 'Its transaction is still waiting to be mined.' });
          else
            verdicts.push({
              settlementId: s.id,
              settled: false,
              reason:
                state === 'reverted'
                  ? 'Its settlement transaction reverted; nothing was paid. Settle it again.'
                  : 'Its settlement was not completed (the page was closed or the transaction was never sent); nothing was paid. Settle it again.',
            });
        }
        ({ settled, reverted } = await resolveSubmitting(db, verdicts, this.#deps.now()));
      }
      const expired = await expireEntries(db, chain.chainId, await reader.latestTimestamp(), this.#deps.now());
      return { settled, reverted, expired };
    } catch (e) {
      throw chainUnreachable(chain, e);
    }
  }

  /**
   * Builds the one payment that settles every pending fee of `payer` on this chain and deployment
   * (their total, their splits added up per recipient, the Merkle root of the fees), records it and
   * marks the fees `submitting` — all before the wallet is asked to sign. Returns the settlement
   * (with the payment to sign and its id).
   * @throws TributaryError `ledger/invalid` when there is nothing to settle.
   */
  async prepareSettlement(chain: LedgerChainRef, payer: Address, payoutMode: PayoutMode, feeIds?: Hex[]): Promise<SettlementRecord> {
    const who = canonicalAddress(payer);
    const pending = (await entriesOfPayer(this.#db, chain.chainId, who, 'pending')).filter(
      (e) => e.settlementContract.toLowerCase() === chain.settlement.toLowerCase() && (!feeIds || feeIds.includes(e.id)),
    );
    if (pending.length === 0) throw new TributaryError('ledger/invalid', `Nothing to settle: ${who} has no pending fees on ${chain.name}.`);
    const now = this.#deps.now();
    const payment = buildPayment({
      payer: who,
      nonce: `0x${randomHex(this.#deps.randomBytes, 32)}`,
      deadline: BigInt(Math.floor(now / 1000)) + PAYMENT_LIFETIME_SECONDS,
      payoutMode,
      fees: pending.map((e) => ({ id: e.id, subject: e.subject, fee: e.fee, splits: e.splits })),
    });
    return beginSettlement(this.#db, {
      id: `st-${randomHex(this.#deps.randomBytes, 8)}`,
      chainId: chain.chainId,
      payer: who,
      feeIds: pending.map((e) => e.id),
      payoutMode,
      payment,
      paymentId: paymentId(payment, settlementDomain(chain.chainId, chain.settlement)),
      now,
    });
  }

  /** The payer withdraws a pending fee (see store/ledger `cancelPendingEntry`). */
  cancelFee(id: Hex, payer: Address): Promise<LedgerEntry> {
    return cancelPendingEntry(this.#db, id, payer, this.#deps.now());
  }

  settlementSigned(settlementId: string, signature: Hex): Promise<void> {
    return settlementSigned(this.#db, settlementId, signature, this.#deps.now());
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
  async beginClaim(chainId: number, account: Address, epoch: bigint, cumulativeAmount: bigint, amount: bigint, recipient?: Address): Promise<string> {
    const now = this.#deps.now();
    const claim: ClaimRecord = {
      id: `cl-${randomHex(this.#deps.randomBytes, 8)}`,
      chainId,
      account: canonicalAddress(account),
      epoch,
      cumulativeAmount,
      amount,
      ...(recipient && recipient.toLowerCase() !== account.toLowerCase() ? { recipient: canonicalAddress(recipient) } : {}),
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

  async authorizeClaim(chain: LedgerChainRef, account: Address, recipient: Address): Promise<SignedClaimAuthorization> {
    await localKeyOf(this.#db, account); // before any chain read: a wallet account is told at once
    const reader = this.#deps.reader(chain);
    let plan: ClaimPlanInfo;
    let chainTime: bigint;
    try {
      [plan, chainTime] = await Promise.all([reader.planClaim(canonicalAddress(account)), reader.latestTimestamp()]);
    } catch (e) {
      throw chainUnreachable(chain, e);
    }
    if (plan.claimable === 0n) {
      throw new TributaryError('chain/nothing-to-claim', `Nothing new to claim: the current root credits ${plan.account} with ${plan.cumulativeAmount} base units, all claimed already.`);
    }
    return signClaimAuthorization(this.#db, chain, plan, recipient, chainTime);
  }

  async gasBalance(chain: LedgerChainRef, account: Address): Promise<bigint> {
    try {
      return await this.#deps.reader(chain).gasBalance(canonicalAddress(account));
    } catch (e) {
      throw chainUnreachable(chain, e);
    }
  }

  async submitClaimWithLocalKey(chain: LedgerChainRef, signed: SignedClaimAuthorization): Promise<Hex> {
    const send = this.#deps.sendClaimAsLocalKey;
    if (!send) throw new TributaryError('wallet/unavailable', 'This ledger cannot send transactions from a local key: submit the claim with a connected wallet.');
    await verifyClaimAuthorization(signed.authorization, settlementDomain(chain.chainId, chain.settlement), signed.signature);
    return send(chain, await localKeyOf(this.#db, signed.authorization.account), signed);
  }

  async saveChainSettings(settings: ChainSettings): Promise<void> {
    if (!['local', 'openledger', 'custom'].includes(settings?.kind)) throw new TributaryError('chain/config', `Unknown chain kind ${String(settings?.kind)}.`);
    await setSetting(this.#db, CHAIN_SETTINGS_KEY, settings);
  }

  async rememberChain(settingKind: ChainSettings['kind'], known: KnownChain): Promise<void> {
    if (!['local', 'openledger', 'custom'].includes(settingKind)) throw new TributaryError('chain/config', `Unknown chain kind ${String(settingKind)}.`);
    await saveKnownChain(this.#db, settingKind, known);
  }

  async rememberBalances(chainId: number, account: Address, balances: KnownBalances): Promise<void> {
    await saveKnownBalances(this.#db, chainId, canonicalAddress(account), balances);
  }

  async rememberToken(chainId: number, token: Address, info: KnownToken): Promise<void> {
    if (typeof info?.symbol !== 'string' || !Number.isInteger(info.decimals) || info.decimals < 0 || info.decimals > 255) {
      throw new TributaryError('chain/config', `A token needs a symbol and 0…255 decimals (got ${String(info?.symbol)}, ${String(info?.decimals)}).`);
    }
    await saveKnownToken(this.#db, chainId, canonicalAddress(token), info);
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
    `${chain.name} (${chain.rpcUrl}) did not answer: ${detail}. Check the network (offline?)${chain.chainId === 31337 ? ' and that `npm start` (the local chain) is running' : ''}, or the RPC URL in Settings → Chain.`,
  );
}
