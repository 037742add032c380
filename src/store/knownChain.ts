/**
 * What this browser last knew of the chain, for when it cannot be reached (offline, RPC down, the
 * `npm start` server stopped): the resolved chain configuration of each chain setting (so the Ledger
 * still knows which chain its fees, earnings and history belong to), when the chain last answered, and
 * the last balances read per account. Kept in the settings table (no schema change).
 */
import type { Address } from '../core/types.ts';
import type { TributaryDB } from './db.ts';
import { getSetting, setSetting } from './settings.ts';

/** A resolved chain configuration as stored (src/chain `ChainConfig`, structurally). */
export interface StoredChainConfig {
  chainId: number;
  name: string;
  rpcUrl: string;
  token: Address;
  registry: Address;
  settlement: Address;
  explorer?: string;
  deployedAtBlock?: bigint;
  treasury?: Address;
  nativeCurrency?: { name: string; symbol: string; decimals: number };
}

export interface KnownChain {
  config: StoredChainConfig;
  /** When the configuration was last resolved and its RPC answered (ms since the epoch). */
  reachedAt: number;
}

export interface KnownBalances {
  token: bigint;
  native: bigint;
  claimed: bigint;
  /** When they were read (ms since the epoch). */
  at: number;
}

/** A token's symbol and decimals as last read (amounts are shown with them while the chain is unreachable). */
export interface KnownToken {
  symbol: string;
  decimals: number;
}

const tokenKey = (chainId: number, token: Address) => `knownToken:${chainId}:${token.toLowerCase()}`;
const chainKey = (settingKind: string) => `knownChain:${settingKind}`;
const balancesKey = (chainId: number, account: Address) => `knownBalances:${chainId}:${account.toLowerCase()}`;

/** The chain last resolved and reached under the chain setting `settingKind` (`local`, `openledger`, `custom`). */
export function readKnownChain(db: TributaryDB, settingKind: string): Promise<KnownChain | undefined> {
  return getSetting<KnownChain>(db, chainKey(settingKind));
}

export function saveKnownChain(db: TributaryDB, settingKind: string, known: KnownChain): Promise<void> {
  return setSetting(db, chainKey(settingKind), known);
}

/** The last balances read for `account` on `chainId`. */
export function readKnownBalances(db: TributaryDB, chainId: number, account: Address): Promise<KnownBalances | undefined> {
  return getSetting<KnownBalances>(db, balancesKey(chainId, account));
}

export function saveKnownBalances(db: TributaryDB, chainId: number, account: Address, balances: KnownBalances): Promise<void> {
  return setSetting(db, balancesKey(chainId, account), balances);
}

export function readKnownToken(db: TributaryDB, chainId: number, token: Address): Promise<KnownToken | undefined> {
  return getSetting<KnownToken>(db, tokenKey(chainId, token));
}

export function saveKnownToken(db: TributaryDB, chainId: number, token: Address, info: KnownToken): Promise<void> {
  return setSetting(db, tokenKey(chainId, token), { symbol: info.symbol, decimals: info.decimals });
}
