/**
 * The "Dev wallet (local chain only)": an EIP-1193 provider over anvil's well-known dev accounts. Their
 * keys are PUBLIC (derived from the test mnemonic); anyone can take what they hold. It refuses any chain
 * but the local one (31337).
 */
import { TributaryError } from '../../core/errors.ts';
import { LOCAL_CHAIN_ID } from './discovery.ts';
import { createLocalKeyProvider, type LocalKeyProvider } from './localKeyProvider.ts';

/** A dev wallet provider on the local chain's RPC; `accountIndex` picks the anvil account (0..9). */
export async function createDevWallet(rpcUrl: string, chainId: number, accountIndex = 0): Promise<LocalKeyProvider> {
  if (chainId !== LOCAL_CHAIN_ID) {
    throw new TributaryError('wallet/unavailable', `The dev wallet works only on the local chain (${LOCAL_CHAIN_ID}); this chain is ${chainId}. Connect a real wallet.`);
  }
  // Loaded on demand: the mnemonic derivation (and its word list) stays out of the main bundle.
  const { anvilDevAccounts } = await import('../devAccounts.ts');
  const accounts = anvilDevAccounts(10);
  return createLocalKeyProvider({ privateKeys: accounts.map((a) => a.privateKey), rpcUrl, chainId, accountIndex });
}
