/**
 * WalletConnect (mobile wallets) through the dapp-side `@walletconnect/ethereum-provider`, imported only
 * when the user picks it. It needs a WalletConnect Cloud projectId (Settings → Wallet) and the relay
 * (wss://relay.walletconnect.com), so it cannot work offline and is not covered by the offline tests.
 * (`@walletconnect/web3wallet` / `@reown/walletkit` are the WALLET-side SDKs: not for this app.)
 */
import { TributaryError } from '../../core/errors.ts';
import type { WalletChain } from './connect.ts';
import type { Eip1193Provider } from './localKeyProvider.ts';
import { toWalletError } from './walletErrors.ts';

type WalletConnectModule = typeof import('@walletconnect/ethereum-provider'); // eslint-disable-line @typescript-eslint/consistent-type-imports -- type of a lazily imported module

export async function connectWalletConnect(projectId: string | undefined, chain: WalletChain, appUrl: string): Promise<Eip1193Provider & { disconnect(): Promise<void> }> {
  const id = projectId?.trim();
  if (!id) {
    throw new TributaryError('wallet/unavailable', 'WalletConnect needs a projectId: set one in Settings → Wallet (free at cloud.reown.com).');
  }
  let mod: WalletConnectModule;
  try {
    mod = await import('@walletconnect/ethereum-provider');
  } catch (e) {
    throw new TributaryError('wallet/unavailable', `WalletConnect could not be loaded (${e instanceof Error ? e.message : String(e)}). Are you offline?`);
  }
  try {
    const provider = await mod.EthereumProvider.init({
      projectId: id,
      optionalChains: [chain.chainId],
      rpcMap: { [chain.chainId]: chain.rpcUrl },
      showQrModal: true,
      metadata: { name: 'Tributary', description: 'Pays the people whose data shapes AI answers.', url: appUrl, icons: [] },
    });
    await provider.connect();
    return provider as unknown as Eip1193Provider & { disconnect(): Promise<void> };
  } catch (e) {
    throw toWalletError(e, { action: 'Connecting through WalletConnect' });
  }
}
