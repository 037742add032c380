/**
 * Wallet discovery. Browser extension wallets announce themselves by EIP-6963 (`mipd` keeps the list);
 * WalletConnect (mobile wallets) and the local dev wallet are offered beside them.
 *
 * The dev wallet holds anvil's PUBLIC dev keys: it is offered only when the configured chain is the
 * local one (31337), and always labelled "Dev wallet (local chain only)".
 */
import { createStore, type EIP6963ProviderDetail, type Store } from 'mipd';
import { LOCAL_CHAIN_ID } from '../chains.ts';
import type { Eip1193Provider } from './localKeyProvider.ts';

export { LOCAL_CHAIN_ID };
export const DEV_WALLET_LABEL = 'Dev wallet (local chain only)';

export type WalletKind = 'injected' | 'walletconnect' | 'dev';

/** A wallet the user can pick. */
export interface WalletOption {
  /** `injected:<rdns>`, `walletconnect`, `dev`. */
  id: string;
  kind: WalletKind;
  name: string;
  /** data: URI of the wallet's icon (EIP-6963), if any. */
  icon?: string;
  /** Why it cannot be used now (e.g. no WalletConnect projectId); undefined when usable. */
  disabledReason?: string;
}

export interface InjectedWallet extends WalletOption {
  kind: 'injected';
  rdns: string;
  provider: Eip1193Provider;
}

let store: Store | undefined;

/** The EIP-6963 store (created on first use; it asks wallets to announce themselves). */
export function walletStore(): Store {
  store ??= createStore();
  return store;
}

export function toInjectedWallet(detail: EIP6963ProviderDetail): InjectedWallet {
  return {
    id: `injected:${detail.info.rdns}`,
    kind: 'injected',
    name: detail.info.name,
    icon: detail.info.icon,
    rdns: detail.info.rdns,
    provider: detail.provider as unknown as Eip1193Provider,
  };
}

/** Calls `listener` with every announced wallet now and whenever one is announced; returns unsubscribe. */
export function watchInjectedWallets(listener: (wallets: InjectedWallet[]) => void): () => void {
  const s = walletStore();
  return s.subscribe((details) => listener(details.map(toInjectedWallet)), { emitImmediately: true });
}

/** The wallets to offer for a chain: injected ones, WalletConnect, and the dev wallet on the local chain. */
export function walletOptions(injected: InjectedWallet[], chainId: number, walletConnectProjectId: string | undefined): WalletOption[] {
  const out: WalletOption[] = [...injected];
  out.push({
    id: 'walletconnect',
    kind: 'walletconnect',
    name: 'WalletConnect (mobile wallets)',
    ...(walletConnectProjectId?.trim()
      ? {}
      : { disabledReason: 'Set a WalletConnect projectId in Settings → Wallet to use mobile wallets (get one at cloud.reown.com).' }),
  });
  if (chainId === LOCAL_CHAIN_ID) out.push({ id: 'dev', kind: 'dev', name: DEV_WALLET_LABEL });
  return out;
}
