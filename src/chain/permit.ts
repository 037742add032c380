/**
 * EIP-2612 permits: the payer signs an allowance for the Settlement contract instead of sending an
 * `approve` transaction first. `Settlement.settleBatchWithPermit` uses a permit for exactly the batch
 * total (sum of the fees) to the Settlement contract.
 */
import { parseSignature, type PublicClient } from 'viem';
import { testTokenAbi } from './generated/TestToken.ts';
import type { Address, Hex } from '../core/types.ts';

export const PERMIT_TYPES = {
  Permit: [
    { name: 'owner', type: 'address' },
    { name: 'spender', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'nonce', type: 'uint256' },
    { name: 'deadline', type: 'uint256' },
  ],
} as const;

export interface PermitDomain {
  name: string;
  version: string;
  chainId: number;
  verifyingContract: Address;
}

export interface PermitMessage {
  owner: Address;
  spender: Address;
  value: bigint;
  nonce: bigint;
  deadline: bigint;
}

/**
 * The token's EIP-712 domain, read through ERC-5267 `eip712Domain()` (OpenZeppelin's ERC20Permit has it),
 * falling back to `{ name: name(), version: '1' }` for tokens without it.
 */
export async function readPermitDomain(client: PublicClient, token: Address): Promise<PermitDomain> {
  try {
    const [, name, version, chainId, verifyingContract] = await client.readContract({ address: token, abi: testTokenAbi, functionName: 'eip712Domain' });
    return { name, version, chainId: Number(chainId), verifyingContract };
  } catch {
    const [name, chainId] = await Promise.all([client.readContract({ address: token, abi: testTokenAbi, functionName: 'name' }), client.getChainId()]);
    return { name, version: '1', chainId, verifyingContract: token };
  }
}

/** The payer's current permit nonce at `token`. */
export function readPermitNonce(client: PublicClient, token: Address, owner: Address): Promise<bigint> {
  return client.readContract({ address: token, abi: testTokenAbi, functionName: 'nonces', args: [owner] });
}

/** Typed data for `walletClient.signTypedData` of a permit. */
export function permitTypedData(domain: PermitDomain, message: PermitMessage) {
  return { domain, types: PERMIT_TYPES, primaryType: 'Permit', message } as const;
}

/** `{ v, r, s }` of a 65-byte signature, as `permit` and `settleBatchWithPermit` take them. */
export function splitSignature(signature: Hex): { v: number; r: Hex; s: Hex } {
  const { r, s, v, yParity } = parseSignature(signature);
  return { v: v !== undefined ? Number(v) : yParity + 27, r, s };
}
