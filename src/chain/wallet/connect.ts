/**
 * Connecting a wallet (any EIP-1193 provider) to the configured chain, and viem clients over it.
 *
 * - `requestAccounts` asks the wallet for its accounts (a connection prompt in a real wallet).
 * - `ensureChain` switches the wallet to the configured chain (`wallet_switchEthereumChain`), adding it
 *   first when the wallet does not know it (4902 -> `wallet_addEthereumChain`).
 * - `walletClientFor` is viem's `createWalletClient({ transport: custom(provider) })`.
 */
import { createPublicClient, createWalletClient, custom, http, numberToHex, type Chain, type PublicClient, type WalletClient } from 'viem';
import { TributaryError } from '../../core/errors.ts';
import type { Address } from '../../core/types.ts';
import type { ChainConfig } from '../chains.ts';
import type { Eip1193Provider } from './localKeyProvider.ts';
import { errorCode, toWalletError } from './walletErrors.ts';

/** What the wallet code needs to know about the configured chain (a part of `ChainConfig`). */
export type WalletChain = Pick<ChainConfig, 'chainId' | 'name' | 'rpcUrl'> & Partial<Pick<ChainConfig, 'nativeCurrency' | 'explorer'>>;

const ETHER = { name: 'Ether', symbol: 'ETH', decimals: 18 };

/** A viem `Chain` for the configured chain. */
export function viemChain(c: WalletChain): Chain {
  return {
    id: c.chainId,
    name: c.name,
    nativeCurrency: c.nativeCurrency ?? ETHER,
    rpcUrls: { default: { http: [c.rpcUrl] } },
    ...(c.explorer ? { blockExplorers: { default: { name: 'Explorer', url: c.explorer } } } : {}),
  };
}

export function parseAccounts(v: unknown): Address[] {
  return Array.isArray(v) ? v.filter((a): a is Address => typeof a === 'string' && /^0x[0-9a-fA-F]{40}$/.test(a)) : [];
}

/** The wallet's accounts after asking for them (`eth_requestAccounts`). */
export async function requestAccounts(provider: Eip1193Provider): Promise<Address[]> {
  let accounts: Address[];
  try {
    accounts = parseAccounts(await provider.request({ method: 'eth_requestAccounts' }));
  } catch (e) {
    throw toWalletError(e, { action: 'Connecting the wallet' });
  }
  if (accounts.length === 0) throw new TributaryError('wallet/not-connected', 'The wallet gave no account: unlock it, then connect again.');
  return accounts;
}

/** The chain the wallet is on now. */
export async function walletChainId(provider: Eip1193Provider): Promise<number> {
  return Number(await provider.request({ method: 'eth_chainId' }));
}

/**
 * Makes the wallet use `chain`: nothing when it already does; else asks it to switch, adding the chain
 * when the wallet does not know it.
 * @throws TributaryError `wallet/rejected` or `wallet/wrong-chain` when the wallet stays elsewhere.
 */
export async function ensureChain(provider: Eip1193Provider, chain: WalletChain): Promise<void> {
  const current = await walletChainId(provider).catch(() => undefined);
  if (current === chain.chainId) return;
  const chainIdHex = numberToHex(chain.chainId);
  try {
    await provider.request({ method: 'wallet_switchEthereumChain', params: [{ chainId: chainIdHex }] });
  } catch (e) {
    if (errorCode(e) !== 4902) throw wrongChain(e, chain, current);
    try {
      await provider.request({
        method: 'wallet_addEthereumChain',
        params: [
          {
            chainId: chainIdHex,
            chainName: chain.name,
            rpcUrls: [chain.rpcUrl],
            nativeCurrency: chain.nativeCurrency ?? ETHER,
            ...(chain.explorer ? { blockExplorerUrls: [chain.explorer] } : {}),
          },
        ],
      });
      await provider.request({ method: 'wallet_switchEthereumChain', params: [{ chainId: chainIdHex }] });
    } catch (e2) {
      throw wrongChain(e2, chain, current);
    }
  }
  const after = await walletChainId(provider).catch(() => undefined);
  if (after !== chain.chainId) throw wrongChain(undefined, chain, after);
}

function wrongChain(e: unknown, chain: WalletChain, current: number | undefined): TributaryError {
  if (e !== undefined) {
    const err = toWalletError(e, { action: `Switching the wallet to ${chain.name}` });
    if (err.code === 'wallet/rejected') return err;
  }
  return new TributaryError(
    'wallet/wrong-chain',
    `Your wallet is on chain ${current ?? 'unknown'}, but the app is set to ${chain.name} (chain ${chain.chainId}). Switch the wallet to chain ${chain.chainId}, or pick its chain in Settings.`,
  );
}

/** viem's wallet client over the wallet, acting as `account` on `chain`. */
export function walletClientFor(provider: Eip1193Provider, account: Address, chain: WalletChain): WalletClient {
  return createWalletClient({ account, chain: viemChain(chain), transport: custom(provider) });
}

/** A public client reading the chain straight from its RPC URL (not through the wallet). */
export function publicClientFor(chain: WalletChain): PublicClient {
  return createPublicClient({ chain: viemChain(chain), transport: http(chain.rpcUrl) });
}
