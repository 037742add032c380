/**
 * Submitting a signed claim authorisation (`Settlement.claimFor`, see ../claimAuthorization.ts): from the
 * connected wallet (it pays the gas; the tokens go to the signed recipient), or from the local key itself
 * when it holds gas (the ledger worker, which keeps the key). Both dry-run the call first, so a refused
 * authorisation costs nothing, and map failures to TributaryErrors.
 */
import { createPublicClient, createWalletClient, http, type PublicClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { Address, Hex } from '../../core/types.ts';
import { claimForArgs, type ClaimAuthorization } from '../claimAuthorization.ts';
import { settlementAbi } from '../generated/Settlement.ts';
import { viemChain, type WalletChain } from './connect.ts';
import { waitForSuccess, type WalletContext } from './settleWithWallet.ts';
import { toWalletError } from './walletErrors.ts';

export interface ClaimForCall {
  authorization: ClaimAuthorization;
  proof: Hex[];
  signature: Hex;
}

const UNCHANGED = 'Nothing was claimed.';

/** Sends `claimFor` from the connected wallet; returns the transaction hash. */
export async function sendClaimFor(c: WalletContext, settlement: Address, call: ClaimForCall): Promise<Hex> {
  const args = claimForArgs(call.authorization, call.proof, call.signature);
  try {
    await c.publicClient.simulateContract({ account: c.account, address: settlement, abi: settlementAbi, functionName: 'claimFor', args });
    return await c.wallet.writeContract({ account: c.account, chain: c.wallet.chain, address: settlement, abi: settlementAbi, functionName: 'claimFor', args });
  } catch (e) {
    throw toWalletError(e, { action: 'Submitting the claim', unchanged: UNCHANGED });
  }
}

/**
 * Sends `claimFor` from the authorising local key itself (it pays the gas) and waits until it is mined.
 * Returns the transaction hash.
 */
export async function sendClaimForWithKey(chain: WalletChain & { settlement: Address }, privateKey: Hex, call: ClaimForCall, client?: PublicClient): Promise<Hex> {
  const account = privateKeyToAccount(privateKey);
  const transport = http(chain.rpcUrl, { retryCount: 1 });
  const publicClient = client ?? (createPublicClient({ chain: viemChain(chain), transport }) as PublicClient);
  const wallet = createWalletClient({ account, chain: viemChain(chain), transport });
  const args = claimForArgs(call.authorization, call.proof, call.signature);
  let hash: Hex;
  try {
    await publicClient.simulateContract({ account, address: chain.settlement, abi: settlementAbi, functionName: 'claimFor', args });
    hash = await wallet.writeContract({ address: chain.settlement, abi: settlementAbi, functionName: 'claimFor', args });
  } catch (e) {
    throw toWalletError(e, { action: 'Submitting the claim from the local key', unchanged: UNCHANGED });
  }
  await waitForSuccess({ publicClient }, hash, 'Claiming');
  return hash;
}
