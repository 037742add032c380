/**
 * The well-known dev accounts of anvil (and Hardhat): derived from the public test mnemonic, funded with
 * 10,000 ETH each on a fresh anvil. Their keys are PUBLIC: use them only on the local chain (31337), and
 * label them as such anywhere a user can see them.
 */
import { mnemonicToAccount } from 'viem/accounts';
import { bytesToHex } from 'viem';
import type { Address, Hex } from '../core/types.ts';

export const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk';

export interface DevAccount {
  index: number;
  address: Address;
  privateKey: Hex;
}

/** The first `count` anvil dev accounts (index 0 is anvil's default sender). */
export function anvilDevAccounts(count = 10): DevAccount[] {
  const out: DevAccount[] = [];
  for (let index = 0; index < count; index++) {
    const account = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: index });
    const key = account.getHdKey().privateKey;
    if (!key) throw new Error(`no private key for dev account ${index}`);
    out.push({ index, address: account.address, privateKey: bytesToHex(key) });
  }
  return out;
}
