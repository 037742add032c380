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
import { listLedgerEntries } from '../../store/ledger.ts';
import { chainConfig } from './ledgerChain.ts';
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
    (c) => readTokenInfo(publicClientFor(c), c.token).catch(() => ({ ...FALLBACK_TOKEN, address: c.token })),
  );
  return () => info() ?? FALLBACK_TOKEN;
}

export interface Balances {
  token: bigint;
  native: bigint;
  /** `claimed(account)` in the Settlement contract. */
  claimed: bigint;
}

/** On-chain balances of `account` (undefined while unknown; `{ error }` when the chain does not answer). */
export function createBalances(account: Accessor<Address | undefined>) {
  const timer = setInterval(() => setTick((n) => n + 1), 10_000);
  onCleanup(() => clearInterval(timer));
  const [balances] = createResource(
    () => {
      const c = chainConfig();
      const a = account();
      return c && a ? { c, a, t: tick() } : undefined;
    },
    async ({ c, a }): Promise<Balances | { error: unknown }> => {
      try {
        const pc = publicClientFor(c);
        const [token, native, claimed] = await Promise.all([
          tokenBalance(pc, c.token, a),
          pc.getBalance({ address: a }),
          pc.readContract({ address: c.settlement, abi: settlementAbi, functionName: 'claimed', args: [a] }),
        ]);
        return { token, native, claimed };
      } catch (error) {
        return { error: toWalletError(error, { action: 'Reading balances' }) };
      }
    },
  );
  return balances;
}

/** `11.3143 tOPEN`: rounded for reading (messages); displays use TokenAmount (exact on hover and copy). */
export function fmtToken(v: bigint, t: Pick<TokenInfo, 'symbol' | 'decimals'>): string {
  return `${readableAmount(v, t.decimals)} ${t.symbol}`;
}
