/**
 * The typed surface of the ledger worker (`workers/ledger.worker.ts`, implemented by
 * `services/ledgerService`): the settlement ledger's writes and its reconciliation with the chain. Reads
 * for display go straight to Dexie (`store/ledger`). Transactions are sent by the user's wallet on the
 * main thread; this API keeps the books around them (see services/ledgerService for the order).
 */
import type { LedgerEntry, PayoutMode, SettlementRecord } from '../core/ledger.ts';
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
  /** A pending "Pay a Datanet" receipt (signed later, when settling). */
  payDatanet(chain: LedgerChainRef, input: PayDatanetInput): Promise<LedgerEntry>;
  /** Resolve entries left `submitting` from the chain; expire pending ones past their deadline. */
  reconcile(chain: LedgerChainRef): Promise<ReconcileReport>;
  /** Withdraw a pending receipt of `payer` (final: `cancelled`); `ledger/not-pending` otherwise. */
  cancelReceipt(id: Hex, payer: Address): Promise<LedgerEntry>;
  saveSignatures(signatures: { id: Hex; signature: Hex }[]): Promise<void>;
  /** Mark the receipts `submitting` in a new batch (all or nothing): call before the wallet sends. */
  beginSettlement(chainId: number, payer: Address, receiptIds: Hex[], payoutMode: PayoutMode): Promise<SettlementRecord>;
  settlementSent(settlementId: string, txHash: Hex): Promise<void>;
  settlementConfirmed(settlementId: string, txHash: Hex): Promise<void>;
  settlementFailed(settlementId: string, error: string): Promise<void>;
  beginClaim(chainId: number, account: Address, epoch: bigint, cumulativeAmount: bigint, amount: bigint): Promise<string>;
  claimSent(id: string, txHash: Hex): Promise<void>;
  claimFinished(id: string, outcome: { txHash: Hex } | { error: string; txHash?: Hex }): Promise<void>;
  /** The claim for `account` under the current epoch root (`chain/nothing-to-claim` when there is none). */
  planClaim(chain: LedgerChainRef, account: Address): Promise<ClaimPlanInfo>;
  saveChainSettings(settings: ChainSettings): Promise<void>;
}
