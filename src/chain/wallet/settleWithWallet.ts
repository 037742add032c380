/**
 * The wallet's part of settling and claiming: sign the payment (EIP-712, ONE prompt for any number of
 * fees), pay for it (allowance, EIP-2612 permit or an `approve` transaction), send `settleBatch` /
 * `settleWithPermit`, send `claim`, wait for the transactions.
 * Every step maps its failures to `TributaryError`s (see walletErrors): rejected, wrong chain, not
 * enough tokens, reverted with the contract's reason.
 *
 * The ledger bookkeeping around these calls (pending -> submitting -> settled) is the caller's.
 */
import type { PublicClient, WalletClient } from 'viem';
import { TributaryError } from '../../core/errors.ts';
import type { Address, Hex } from '../../core/types.ts';
import { settlementAbi } from '../generated/Settlement.ts';
import { testTokenAbi } from '../generated/TestToken.ts';
import { permitTypedData, readPermitDomain, readPermitNonce, splitSignature } from '../permit.ts';
import { paymentTypedData, settlementDomain, toContractPayment, type PaymentInput } from '../payment.ts';
import { toWalletError } from './walletErrors.ts';

export interface TokenInfo {
  address: Address;
  symbol: string;
  decimals: number;
}

export interface WalletContext {
  wallet: WalletClient;
  publicClient: PublicClient;
  account: Address;
  chainId: number;
  token: TokenInfo;
}

/** Reads a token's symbol and decimals (tOPEN / 18 when the token does not say). */
export async function readTokenInfo(publicClient: PublicClient, token: Address): Promise<TokenInfo> {
  const [symbol, decimals] = await Promise.all([
    publicClient.readContract({ address: token, abi: testTokenAbi, functionName: 'symbol' }).catch(() => 'tOPEN'),
    publicClient.readContract({ address: token, abi: testTokenAbi, functionName: 'decimals' }).catch(() => 18),
  ]);
  return { address: token, symbol: String(symbol), decimals: Number(decimals) };
}

export function tokenBalance(publicClient: PublicClient, token: Address, account: Address): Promise<bigint> {
  return publicClient.readContract({ address: token, abi: testTokenAbi, functionName: 'balanceOf', args: [account] });
}

/** The payer's EIP-712 signature of the payment: one wallet prompt, whatever the number of fees it settles. */
export async function signPayment(c: WalletContext, settlement: Address, payment: PaymentInput, feeCount = payment.feeCount): Promise<Hex> {
  const domain = settlementDomain(c.chainId, settlement);
  try {
    return await c.wallet.signTypedData({ account: c.account, ...paymentTypedData(payment, domain) });
  } catch (e) {
    throw toWalletError(e, { action: `Signing the payment of ${feeCount} fee${feeCount === 1 ? '' : 's'}`, unchanged: 'Your fees stay pending; nothing was paid.' });
  }
}

export type Funding = { kind: 'allowance' } | { kind: 'permit'; deadline: bigint; v: number; r: Hex; s: Hex };

/**
 * Makes sure the settlement contract may pull `total` from the payer: checks the balance (not enough ->
 * `chain/insufficient-funds` with the amounts), uses an existing allowance, else signs an EIP-2612
 * permit (no gas), else sends an `approve` transaction and waits for it.
 */
export async function fundBatch(c: WalletContext, settlement: Address, total: bigint, nowSeconds: bigint): Promise<Funding> {
  const unchanged = 'Your fees stay pending; nothing was paid.';
  const fmt = (v: bigint) => `${formatAmount(v, c.token.decimals)} ${c.token.symbol}`;
  let balance: bigint;
  let allowance: bigint;
  try {
    [balance, allowance] = await Promise.all([
      tokenBalance(c.publicClient, c.token.address, c.account),
      c.publicClient.readContract({ address: c.token.address, abi: testTokenAbi, functionName: 'allowance', args: [c.account, settlement] }),
    ]);
  } catch (e) {
    throw toWalletError(e, { action: 'Reading your token balance', unchanged });
  }
  if (balance < total) {
    throw new TributaryError(
      'chain/insufficient-funds',
      `Not enough tokens: settling needs ${fmt(total)} but ${c.account} holds ${fmt(balance)}. Get more ${c.token.symbol}, or settle fewer fees. ${unchanged}`,
    );
  }
  if (allowance >= total) return { kind: 'allowance' };

  // EIP-2612 permit when the token has one (a signature, no gas); else an approve transaction.
  const permit = await Promise.all([readPermitDomain(c.publicClient, c.token.address), readPermitNonce(c.publicClient, c.token.address, c.account)]).catch(
    () => undefined,
  );
  if (permit) {
    const [domain, nonce] = permit;
    const deadline = nowSeconds + 3600n;
    try {
      const signature = await c.wallet.signTypedData({
        account: c.account,
        ...permitTypedData(domain, { owner: c.account, spender: settlement, value: total, nonce, deadline }),
      });
      return { kind: 'permit', deadline, ...splitSignature(signature) };
    } catch (e) {
      throw toWalletError(e, { action: `Allowing the settlement contract to take ${fmt(total)}`, unchanged });
    }
  }
  // No permit: an approve transaction first.
  try {
    const hash = await c.wallet.writeContract({
      account: c.account,
      chain: c.wallet.chain,
      address: c.token.address,
      abi: testTokenAbi,
      functionName: 'approve',
      args: [settlement, total],
    });
    await waitForSuccess(c, hash, `Approving ${fmt(total)}`);
    return { kind: 'allowance' };
  } catch (e) {
    throw toWalletError(e, { action: `Approving ${fmt(total)} for settlement`, unchanged });
  }
}

export interface SettleCall {
  settlement: Address;
  payment: PaymentInput;
  signature: Hex;
  funding: Funding;
}

function settleArgs(call: SettleCall) {
  const payment = toContractPayment(call.payment);
  return call.funding.kind === 'permit'
    ? ({ functionName: 'settleWithPermit', args: [payment, call.signature, call.funding.deadline, call.funding.v, call.funding.r, call.funding.s] } as const)
    : ({ functionName: 'settleBatch', args: [[payment], [call.signature]] } as const);
}

const what = (call: SettleCall) => `Settling ${call.payment.feeCount} fee${call.payment.feeCount === 1 ? '' : 's'} in one payment`;

/** Dry-runs the settlement (no wallet prompt): a revert shows its reason before anything is sent. */
export async function simulateSettlement(c: WalletContext, call: SettleCall): Promise<void> {
  const a = settleArgs(call);
  try {
    if (a.functionName === 'settleWithPermit') {
      await c.publicClient.simulateContract({ account: c.account, address: call.settlement, abi: settlementAbi, functionName: a.functionName, args: a.args });
    } else {
      await c.publicClient.simulateContract({ account: c.account, address: call.settlement, abi: settlementAbi, functionName: a.functionName, args: a.args });
    }
  } catch (e) {
    throw toWalletError(e, { action: what(call), unchanged: 'Nothing was sent; the fees stay pending.' });
  }
}

/** Sends the settlement through the wallet (one transaction); returns its hash. */
export async function sendSettlement(c: WalletContext, call: SettleCall): Promise<Hex> {
  const a = settleArgs(call);
  try {
    return a.functionName === 'settleWithPermit'
      ? await c.wallet.writeContract({ account: c.account, chain: c.wallet.chain, address: call.settlement, abi: settlementAbi, functionName: a.functionName, args: a.args })
      : await c.wallet.writeContract({ account: c.account, chain: c.wallet.chain, address: call.settlement, abi: settlementAbi, functionName: a.functionName, args: a.args });
  } catch (e) {
    throw toWalletError(e, { action: what(call), unchanged: 'The fees stay pending; nothing was paid.' });
  }
}

/**
 * Waits for a transaction; a reverted one throws `chain/reverted` with the contract's reason when the
 * call can be replayed.
 */
export async function waitForSuccess(c: Pick<WalletContext, 'publicClient'>, hash: Hex, action: string): Promise<bigint> {
  const receipt = await c.publicClient.waitForTransactionReceipt({ hash, timeout: 120_000 });
  if (receipt.status === 'success') return receipt.blockNumber;
  // Replay the call at its block to learn the contract's reason.
  try {
    const tx = await c.publicClient.getTransaction({ hash });
    await c.publicClient.call({ account: tx.from, to: tx.to ?? undefined, data: tx.input, blockNumber: receipt.blockNumber });
  } catch (e) {
    const err = toWalletError(e, { action });
    throw new TributaryError(err.code, `${err.message} (transaction ${hash})`);
  }
  throw new TributaryError('chain/reverted', `${action} failed: the transaction ${hash} reverted.`);
}

/** Sends `claim(account, cumulativeAmount, proof)` through the wallet; returns the transaction hash. */
export async function sendClaim(c: WalletContext, settlement: Address, cumulativeAmount: bigint, proof: Hex[]): Promise<Hex> {
  const args = [c.account, cumulativeAmount, proof] as const;
  const action = 'Claiming your earnings';
  try {
    await c.publicClient.simulateContract({ account: c.account, address: settlement, abi: settlementAbi, functionName: 'claim', args });
    return await c.wallet.writeContract({ account: c.account, chain: c.wallet.chain, address: settlement, abi: settlementAbi, functionName: 'claim', args });
  } catch (e) {
    throw toWalletError(e, { action, unchanged: 'Nothing was claimed.' });
  }
}

/** Sends `postEpochRoot(epoch, root, total)` (needs ROOT_POSTER_ROLE); returns the transaction hash. */
export async function sendPostEpochRoot(c: WalletContext, settlement: Address, epoch: bigint, root: Hex, total: bigint): Promise<Hex> {
  const args = [epoch, root, total] as const;
  try {
    await c.publicClient.simulateContract({ account: c.account, address: settlement, abi: settlementAbi, functionName: 'postEpochRoot', args });
    return await c.wallet.writeContract({ account: c.account, chain: c.wallet.chain, address: settlement, abi: settlementAbi, functionName: 'postEpochRoot', args });
  } catch (e) {
    throw toWalletError(e, { action: 'Posting the epoch root' });
  }
}

/** `1234500000000000000n, 18` -> `1.2345`: exact (every significant decimal), thousands separated. */
export function formatAmount(v: bigint, decimals: number): string {
  const neg = v < 0n;
  const abs = neg ? -v : v;
  const base = 10n ** BigInt(decimals);
  const frac = decimals === 0 ? '' : (abs % base).toString().padStart(decimals, '0').replace(/0+$/, '');
  const whole = (abs / base).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${neg ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}
