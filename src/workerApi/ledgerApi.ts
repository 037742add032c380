/**
 * The typed surface of the ledger worker (`workers/ledger.worker.ts`, implemented by
 * `services/ledgerService`): the settlement ledger's writes and its reconciliation with the chain. Reads
 * for display go straight to Dexie (`store/ledger`). Transactions are sent by the user's wallet on the
 * main thread; this API keeps the books around them (see services/ledgerService for the order).
 */
import type { LedgerEntry, PayoutMode, SettlementRecord } from '../core/ledger.ts';
import type { AnswerFeeSplit } from '../core/answerFee.ts';
import type { AttributionRecord } from '../core/attribution/types.ts';
import type { StoredAttributionRecord } from '../store/db.ts';
import type { KnownBalances, KnownChain, KnownToken } from '../store/knownChain.ts';
import type { Address, Hex } from '../core/types.ts';

/** The chain a ledger operation is about (`ChainConfig` of src/chain satisfies it). */
export interface LedgerChainRef {
  chainId: number;
  name: string;
  rpcUrl: string;
  token: Address;
  settlement: Address;
  deployedAtBlock?: bigint;
  treasury?: Address;
}

export interface RecordAnswerInput {
  /** The chat answer's id (one record per answer). */
  answerId: string;
  prompt: string;
  answer: string;
  record: AttributionRecord;
  /** Who pays for priced answers (the active identity or wallet); null: nobody, no fee. */
  payer: Address | null;
  /** The ids the prices are kept under (the model record id; the adapter id). */
  modelId: string;
  adapterId: string | null;
  /** The answer's int8 vector the record's embedding evidence committed to (AttributedAnswer), kept for export. */
  embeddingQuery?: { int8: Int8Array; scale: number } | null;
  /** The projected answer gradient the record's influence evidence committed to (AttributedAnswer), kept for export. */
  influenceGradient?: Float32Array | null;
}

export interface RecordedAnswer {
  stored: StoredAttributionRecord;
  /** The pending fee, when the answer is priced and a chain and payer are set. */
  fee: LedgerEntry | null;
  /** The split the price gets (also when no fee could be added), null for a free answer. */
  split: AnswerFeeSplit | null;
  /** Why no fee was added although the answer is priced. */
  unbilled?: string;
}

export interface SetPriceInput {
  kind: 'model' | 'adapter';
  id: string;
  /** Token base units per answer. */
  amount: bigint;
  /** Who sets it and receives the owner's cut (an adapter's price can only be set by its owner). */
  owner: Address;
  ownerBps?: number;
}

export interface PayDatanetInput {
  datanetId: string;
  payer: Address;
  /** Base units of the chain's token; > 0. */
  fee: bigint;
}

export interface ReconcileReport {
  settled: number;
  reverted: number;
  expired: number;
}

/** What `claim(account, cumulativeAmount, proof)` needs now (rebuilt from the chain's logs, root checked). */
export interface ClaimPlanInfo {
  epoch: bigint;
  account: Address;
  cumulativeAmount: bigint;
  proof: Hex[];
  alreadyClaimed: bigint;
  claimable: bigint;
}

/** What a claim authorisation signs (the same fields as src/chain/claimAuthorization's `ClaimAuthorization`). */
export interface ClaimAuthorization {
  account: Address;
  recipient: Address;
  cumulativeAmount: bigint;
  claimedBefore: bigint;
  deadline: bigint;
}

/** A local key's signed authorisation to claim its earnings to `authorization.recipient` (`Settlement.claimFor`). */
export interface SignedClaimAuthorization {
  authorization: ClaimAuthorization;
  signature: Hex;
  /** The leaf's proof under the current root (of `epoch`). */
  proof: Hex[];
  epoch: bigint;
  /** What it pays: cumulativeAmount − claimedBefore. */
  payout: bigint;
}

/** Which chain the app settles on, as kept in the settings table (key `chain`). */
export interface ChainSettings {
  /** local: the anvil chain of `npm start` (read from /chain.json); openledger: 161201; custom: any EVM chain. */
  kind: 'local' | 'openledger' | 'custom';
  openledger?: { rpcUrl: string; token: string; registry: string; settlement: string; explorer?: string; deployedAtBlock?: string };
  custom?: { chainId: string; name: string; rpcUrl: string; token: string; registry: string; settlement: string; explorer?: string; deployedAtBlock?: string };
  /** WalletConnect Cloud projectId (mobile wallets); WalletConnect is disabled without it. */
  walletConnectProjectId?: string;
}

export const CHAIN_SETTINGS_KEY = 'chain';

export interface LedgerApi {
  ping(): Promise<'pong'>;
  /** A pending "Pay a Datanet" fee (settled later, in one signed payment with the payer's other fees). */
  payDatanet(chain: LedgerChainRef, input: PayDatanetInput): Promise<LedgerEntry>;
  /** Stores an answer's attribution record; adds its fee when the model/adapter is priced (needs a chain and payer). */
  recordAnswer(chain: LedgerChainRef | null, input: RecordAnswerInput): Promise<RecordedAnswer>;
  /** Sets the price per answer of a model or adapter (its owner's; 0 makes it free). */
  setPrice(input: SetPriceInput): Promise<void>;
  /** Resolve settlements left `submitting` from the chain; lapse pending fees past their deadline. */
  reconcile(chain: LedgerChainRef): Promise<ReconcileReport>;
  /**
   * Build the one payment for the payer's pending fees (or `feeIds` of them), record it and mark the fees
   * `submitting` (all or nothing): call before the wallet signs.
   */
  /** Withdraw a pending fee of `payer` (final: `cancelled`); `ledger/not-pending` otherwise. */
  cancelFee(id: Hex, payer: Address): Promise<LedgerEntry>;
  prepareSettlement(chain: LedgerChainRef, payer: Address, payoutMode: PayoutMode, feeIds?: Hex[]): Promise<SettlementRecord>;
  settlementSigned(settlementId: string, signature: Hex): Promise<void>;
  settlementSent(settlementId: string, txHash: Hex): Promise<void>;
  settlementConfirmed(settlementId: string, txHash: Hex): Promise<void>;
  settlementFailed(settlementId: string, error: string): Promise<void>;
  /** Records a claim about to be sent (`recipient`: where the tokens go when not to `account`); returns its id. */
  beginClaim(chainId: number, account: Address, epoch: bigint, cumulativeAmount: bigint, amount: bigint, recipient?: Address): Promise<string>;
  claimSent(id: string, txHash: Hex): Promise<void>;
  claimFinished(id: string, outcome: { txHash: Hex } | { error: string; txHash?: Hex }): Promise<void>;
  /** The claim for `account` under the current epoch root (`chain/nothing-to-claim` when there is none). */
  planClaim(chain: LedgerChainRef, account: Address): Promise<ClaimPlanInfo>;
  /**
   * Signs with the local key `account` the authorisation to pay its claimable earnings under the current root
   * to `recipient` (the key stays in the worker). `identity/not-found` for an account that is not a local key,
   * `chain/nothing-to-claim` when nothing is claimable.
   */
  authorizeClaim(chain: LedgerChainRef, account: Address, recipient: Address): Promise<SignedClaimAuthorization>;
  /** The gas balance (native currency) of `account` on `chain`: can a local key send its own claim? */
  gasBalance(chain: LedgerChainRef, account: Address): Promise<bigint>;
  /** Sends the authorised claim from the local key itself (it pays the gas) and waits for it; returns the hash. */
  submitClaimWithLocalKey(chain: LedgerChainRef, signed: SignedClaimAuthorization): Promise<Hex>;
  saveChainSettings(settings: ChainSettings): Promise<void>;
  /** Remembers the chain resolved under the chain setting `settingKind` and that it answered (for offline use). */
  rememberChain(settingKind: ChainSettings['kind'], known: KnownChain): Promise<void>;
  /** Remembers the balances just read for `account` (shown, with their time, while the chain is unreachable). */
  rememberBalances(chainId: number, account: Address, balances: KnownBalances): Promise<void>;
  /** Remembers a token's symbol and decimals (amounts keep their unit while the chain is unreachable). */
  rememberToken(chainId: number, token: Address, info: KnownToken): Promise<void>;
}
