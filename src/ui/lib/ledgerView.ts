/**
 * Live data for the Ledger page: the ledger entries of the configured chain (Dexie, live), the token's
 * symbol/decimals, and on-chain balances of an account (refreshed after every action and every 10 s).
 */
import { createResource, createSignal, onCleanup, type Accessor } from 'solid-js';
import { settlementAbi } from '../../chain/generated/Settlement.ts';
import { publicClientFor } from '../../chain/wallet/connect.ts';
import { readTokenInfo, tokenBalance, type TokenInfo } from '../../chain/wallet/settleWithWallet.ts';
import { toWalletError } from '../../chain/wallet/walletErrors.ts';
import { readableAmount } from '../../core/readableAmount.ts';
import type { Address } from '../../core/types.ts';
import { getDb } from '../../store/db.ts';
import { readKnownBalances, readKnownToken, type KnownBalances } from '../../store/knownChain.ts';
import { getLedgerApi } from '../../client/ledgerClient.ts';
import { listLedgerEntries } from '../../store/ledger.ts';
import { chainConfig, isUnreachableError, noteChainReached, noteChainUnreachable } from './ledgerChain.ts';
import { createLiveQuery } from './liveQuery.ts';

const [tick, setTick] = createSignal(0);

/** Re-read balances now (after a transaction). */
export function refreshBalances(): void {
  setTick((n) => n + 1);
}

/** Every ledger entry of the configured chain, newest first (live). */
export function createLedgerEntries() {
  return createLiveQuery(
    () => chainConfig()?.chainId,
    (chainId) => listLedgerEntries(getDb(), chainId),
  );
}

/** Settlement batches and claims of the configured chain, newest first (live). */
export function createLedgerHistory() {
  return createLiveQuery(
    () => chainConfig()?.chainId,
    async (chainId) => {
      const db = getDb();
      const [settlements, claims] = await Promise.all([
        db.settlements.where('chainId').equals(chainId).toArray(),
        db.claims.where('chainId').equals(chainId).toArray(),
      ]);
      return { settlements: settlements.sort((a, b) => b.createdAt - a.createdAt), claims: claims.sort((a, b) => b.createdAt - a.createdAt) };
    },
  );
}

const FALLBACK_TOKEN = { symbol: 'tOPEN', decimals: 18 };

/** The chain token's symbol and decimals (tOPEN/18 until read). */
export function createTokenInfo(): Accessor<Pick<TokenInfo, 'symbol' | 'decimals'>> {
  const [info] = createResource(
    () => chainConfig(),
    async (c) => {
      try {
        // readTokenInfo falls back to tOPEN/18 per field when the token does not say; a network failure throws
        const pc = publicClientFor(c);
        await pc.getChainId();
        const info = await readTokenInfo(pc, c.token);
        void getLedgerApi()
          .rememberToken(c.chainId, c.token, { symbol: info.symbol, decimals: info.decimals })
          .catch(() => undefined);
        return info;
      } catch {
        // unreachable: the symbol and decimals last read, so amounts keep their unit
        const known = await readKnownToken(getDb(), c.chainId, c.token).catch(() => undefined);
        return { ...(known ?? FALLBACK_TOKEN), address: c.token };
      }
    },
  );
  return () => info() ?? FALLBACK_TOKEN;
}

export interface Balances {
  token: bigint;
  native: bigint;
  /** `claimed(account)` in the Settlement contract. */
  claimed: bigint;
}

/** What was last remembered per chain and account (JSON of the balances), so unchanged reads write nothing. */
const remembered = new Map<string, string>();

/**
 * On-chain balances of `account` (undefined while unknown). When the chain does not answer: `{ error }`, with
 * `known`, the balances last read in this browser and when, if any.
 */
export function createBalances(account: Accessor<Address | undefined>) {
  const timer = setInterval(() => setTick((n) => n + 1), 10_000);
  onCleanup(() => clearInterval(timer));
  const [balances] = createResource(
    () => {
      const c = chainConfig();
      const a = account();
      return c && a ? { c, a, t: tick() } : undefined;
    },
    async ({ c, a }): Promise<Balances | { error: unknown; known?: KnownBalances }> => {
      try {
        const pc = publicClientFor(c);
        const [token, native, claimed] = await Promise.all([
          tokenBalance(pc, c.token, a),
          pc.getBalance({ address: a }),
          pc.readContract({ address: c.settlement, abi: settlementAbi, functionName: 'claimed', args: [a] }),
        ]);
        noteChainReached();
        const key = `${c.chainId}:${a.toLowerCase()}`;
        const json = `${token}:${native}:${claimed}`;
        if (remembered.get(key) !== json) {
          remembered.set(key, json);
          void getLedgerApi()
            .rememberBalances(c.chainId, a, { token, native, claimed, at: Date.now() })
            .catch(() => remembered.delete(key));
        }
        return { token, native, claimed };
      } catch (e) {
        const error = toWalletError(e, { action: 'Reading balances' });
        if (isUnreachableError(error)) noteChainUnreachable(error);
        const known = await readKnownBalances(getDb(), c.chainId, a).catch(() => undefined);
        return known ? { error, known } : { error };
      }
    },
  );
  return balances;
}

/** The balances to show: read now, or (chain unreachable) the last known ones with their time. */
export function shownBalances(b: Balances | { error: unknown; known?: KnownBalances } | undefined): (Balances & { at?: number }) | undefined {
  if (!b) return undefined;
  return 'error' in b ? b.known : b;
}

/** `11.3143 tOPEN`: rounded for reading (messages); displays use TokenAmount (exact on hover and copy). */
export function fmtToken(v: bigint, t: Pick<TokenInfo, 'symbol' | 'decimals'>): string {
  return `${readableAmount(v, t.decimals)} ${t.symbol}`;
}
