/**
 * Helpers shared by the chain tests and the gas benchmark (Node only; not for the app).
 */
import { BaseError, ContractFunctionRevertedError, decodeErrorResult, keccak256, toHex, type Hash, type PublicClient } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import type { Address, Hex } from '../../core/types.ts';
import { TRIBUTARY_ERRORS_ABI } from '../../chain/errors.ts';
import { paymentTypedData, type PaymentInput, type SettlementDomain } from '../../chain/payment.ts';
import type { DevWallet } from './localStack.ts';

let counter = 0;

/** A fresh, unique 32-byte value (payment nonces, fee ids, roots). */
export function freshBytes32(): Hex {
  counter += 1;
  return keccak256(toHex(`fresh-${process.pid}-${Date.now()}-${counter}`));
}

/** A fresh address nobody has used (never held tokens). */
export function freshAddress(): Address {
  return privateKeyToAccount(generatePrivateKey()).address;
}

/** Signs a payment with the payer's wallet over `domain`. */
export function signPayment(wallet: DevWallet, payment: PaymentInput, domain: SettlementDomain): Promise<Hex> {
  return wallet.signTypedData({ account: wallet.account, ...paymentTypedData(payment, domain) });
}

/** The custom error name a call reverted with (decoding token errors bubbled through Settlement too). */
export function revertName(e: unknown): string | undefined {
  if (!(e instanceof BaseError)) return undefined;
  const reverted = e.walk((x) => x instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
  if (!reverted) return undefined;
  if (reverted.data?.errorName) return reverted.data.errorName;
  if (reverted.raw) {
    try {
      return decodeErrorResult({ abi: TRIBUTARY_ERRORS_ABI, data: reverted.raw }).errorName;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Runs `fn`, expecting it to revert with custom error `name`; returns the error. */
export async function expectRevert(fn: () => Promise<unknown>, name: string): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    const got = revertName(e);
    if (got !== name) throw new Error(`expected revert ${name}, got ${got ?? 'another error'}: ${(e as Error).message.slice(0, 600)}`);
    return e;
  }
  throw new Error(`expected revert ${name}, but the call succeeded`);
}

/** Waits for a transaction and fails loudly if it reverted; returns its receipt. */
export async function mined(publicClient: PublicClient, hash: Hash) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`transaction ${hash} reverted`);
  return receipt;
}
