/**
 * The wallet's part of settling and claiming: sign receipts (EIP-712), pay for the batch (allowance,
 * EIP-2612 permit or an `approve` transaction), send `settleBatch`, send `claim`, wait for receipts.
 * Every step maps its failures to `TributaryError`s (see walletErrors): rejected, wrong chain, not
 * enough tokens, reverted with the contract's reason.
 *
 * The ledger bookkeeping around these calls (pending -> submitting -> settled) is the caller's.
 */
import { parseSignature, type Abi, type PublicClient, type WalletClient } from 'viem';
import { TributaryError } from '../../core/errors.ts';
import type { Address, Hex } from '../../core/types.ts';
import { datanetRegistryAbi } from '../generated/DatanetRegistry.ts';
import { settlementAbi } from '../generated/Settlement.ts';
import { testTokenAbi } from '../generated/TestToken.ts';
import { receiptTypedData, settlementDomain, toContractReceipt, type ReceiptInput } from '../receipt.ts';
import { toWalletError } from './walletErrors.ts';

/** Every custom error the app may meet: settlement, token (OZ ERC-20 / permit) and registry. */
export const ALL_ERRORS_ABI = [...settlementAbi, ...testTokenAbi, ...datanetRegistryAbi].filter((x) => x.type === 'error') as Abi;

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

const tokenCtx = (c: WalletContext) => ({ symbol: c.token.symbol, decimals: c.token.decimals });

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

/** The payer's EIP-712 signature of each receipt, in order (one wallet prompt each). */
export async function signReceipts(c: WalletContext, settlement: Address, receipts: ReceiptInput[]): Promise<Hex[]> {
  const domain = settlementDomain(c.chainId, settlement);
  const out: Hex[] = [];
  for (const r of receipts) {
    try {
      out.push(await c.wallet.signTypedData({ account: c.account, ...receiptTypedData(r, domain) }));
    } catch (e) {
      throw toWalletError(e, { action: `Signing receipt ${r.receiptId.slice(0, 10)}…`, unchanged: 'Your receipts stay pending; nothing was paid.' });
    }
  }
  return out;
}

export type Funding = { kind: 'allowance' } | { kind: 'permit'; deadline: bigint; v: number; r: Hex; s: Hex };

/**
 * Makes sure the settlement contract may pull `total` from the payer: checks the balance (not enough ->
 * `chain/insufficient-funds` with the amounts), uses an existing allowance, else signs an EIP-2612
 * permit (no gas), else sends an `approve` transaction and waits for it.
 */
export async function fundBatch(c: WalletContext, settlement: Address, total: bigint, nowSeconds: bigint): Promise<Funding> {
  const unchanged = 'Your receipts stay pending; nothing was paid.';
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
      `Not enough tokens: settling needs ${fmt(total)} but ${c.account} holds ${fmt(balance)}. Get more ${c.token.symbol}, or settle fewer receipts. ${unchanged}`,
    );
  }
  if (allowance >= total) return { kind: 'allowance' };

  const permitDomain = await c.publicClient
    .readContract({ address: c.token.address, abi: testTokenAbi, functionName: 'eip712Domain' })
    .catch(() => undefined);
  const nonce = permitDomain
    ? await c.publicClient.readContract({ address: c.token.address, abi: testTokenAbi, functionName: 'nonces', args: [c.account] }).catch(() => undefined)
    : undefined;
  if (permitDomain && nonce !== undefined) {
    const [, name, version, chainId, verifyingContract] = permitDomain;
    const deadline = nowSeconds + 3600n;
    try {
      const signature = await c.wallet.signTypedData({
        account: c.account,
        domain: { name, version, chainId: Number(chainId), verifyingContract },
        types: {
          Permit: [
            { name: 'owner', type: 'address' },
            { name: 'spender', type: 'address' },
            { name: 'value', type: 'uint256' },
            { name: 'nonce', type: 'uint256' },
            { name: 'deadline', type: 'uint256' },
          ],
        },
        primaryType: 'Permit',
        message: { owner: c.account, spender: settlement, value: total, nonce, deadline },
      });
      const { r, s, v, yParity } = parseSignature(signature);
      return { kind: 'permit', deadline, r, s, v: Number(v ?? BigInt(yParity + 27)) };
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
    throw toWalletError(e, { action: `Approving ${fmt(total)} for settlement`, abi: ALL_ERRORS_ABI, token: tokenCtx(c), unchanged });
  }
}

/** Payout mode numbers of the contract. */
export const PAYOUT_MODE = { direct: 0, pooled: 1 } as const;

export interface SettleCall {
  settlement: Address;
  receipts: ReceiptInput[];
  signatures: Hex[];
  payoutMode: keyof typeof PAYOUT_MODE;
  funding: Funding;
}

function settleArgs(call: SettleCall) {
  const receipts = call.receipts.map(toContractReceipt);
  const mode = PAYOUT_MODE[call.payoutMode];
  return call.funding.kind === 'permit'
    ? ({
        functionName: 'settleBatchWithPermit',
        args: [receipts, call.signatures, mode, call.funding.deadline, call.funding.v, call.funding.r, call.funding.s],
      } as const)
    : ({ functionName: 'settleBatch', args: [receipts, call.signatures, mode] } as const);
}

/** Dry-runs the settlement (no wallet prompt): a revert shows its reason before anything is sent. */
export async function simulateSettlement(c: WalletContext, call: SettleCall): Promise<void> {
  const a = settleArgs(call);
  try {
    if (a.functionName === 'settleBatchWithPermit') {
      await c.publicClient.simulateContract({ account: c.account, address: call.settlement, abi: settlementAbi, functionName: a.functionName, args: a.args });
    } else {
      await c.publicClient.simulateContract({ account: c.account, address: call.settlement, abi: settlementAbi, functionName: a.functionName, args: a.args });
    }
  } catch (e) {
    throw toWalletError(e, {
      action: `Settling ${call.receipts.length} receipt${call.receipts.length === 1 ? '' : 's'}`,
      abi: ALL_ERRORS_ABI,
      token: tokenCtx(c),
      unchanged: 'Nothing was sent; the receipts stay pending.',
    });
  }
}

/** Sends the settlement through the wallet (one transaction); returns its hash. */
export async function sendSettlement(c: WalletContext, call: SettleCall): Promise<Hex> {
  const a = settleArgs(call);
  try {
    return a.functionName === 'settleBatchWithPermit'
      ? await c.wallet.writeContract({ account: c.account, chain: c.wallet.chain, address: call.settlement, abi: settlementAbi, functionName: a.functionName, args: a.args })
      : await c.wallet.writeContract({ account: c.account, chain: c.wallet.chain, address: call.settlement, abi: settlementAbi, functionName: a.functionName, args: a.args });
  } catch (e) {
    throw toWalletError(e, {
      action: `Settling ${call.receipts.length} receipt${call.receipts.length === 1 ? '' : 's'}`,
      abi: ALL_ERRORS_ABI,
      token: tokenCtx(c),
      unchanged: 'The receipts stay pending; nothing was paid.',
    });
  }
}

/**
 * Waits for a transaction; a reverted one throws `chain/reverted` with the contract's reason when the
 * call can be replayed.
 */
export async function waitForSuccess(c: Pick<WalletContext, 'publicClient' | 'account' | 'token'>, hash: Hex, action: string): Promise<bigint> {
  const receipt = await c.publicClient.waitForTransactionReceipt({ hash, timeout: 120_000 });
  if (receipt.status === 'success') return receipt.blockNumber;
  let reason = 'reverted';
  try {
    const tx = await c.publicClient.getTransaction({ hash });
    await c.publicClient.call({ account: tx.from, to: tx.to ?? undefined, data: tx.input, blockNumber: receipt.blockNumber });
  } catch (e) {
    const err = toWalletError(e, { action, abi: ALL_ERRORS_ABI, token: { symbol: c.token.symbol, decimals: c.token.decimals } });
    reason = err.message;
    throw new TributaryError(err.code === 'chain/insufficient-funds' ? err.code : 'chain/reverted', `${reason} (transaction ${hash})`);
  }
  throw new TributaryError('chain/reverted', `${action} failed: the transaction ${hash} ${reason}.`);
}

/** Sends `claim(account, cumulativeAmount, proof)` through the wallet; returns the transaction hash. */
export async function sendClaim(c: WalletContext, settlement: Address, cumulativeAmount: bigint, proof: Hex[]): Promise<Hex> {
  const args = [c.account, cumulativeAmount, proof] as const;
  const action = 'Claiming your earnings';
  try {
    await c.publicClient.simulateContract({ account: c.account, address: settlement, abi: settlementAbi, functionName: 'claim', args });
    return await c.wallet.writeContract({ account: c.account, chain: c.wallet.chain, address: settlement, abi: settlementAbi, functionName: 'claim', args });
  } catch (e) {
    throw toWalletError(e, { action, abi: ALL_ERRORS_ABI, token: tokenCtx(c), unchanged: 'Nothing was claimed.' });
  }
}

/** Sends `postEpochRoot(epoch, root, total)` (needs ROOT_POSTER_ROLE); returns the transaction hash. */
export async function sendPostEpochRoot(c: WalletContext, settlement: Address, epoch: bigint, root: Hex, total: bigint): Promise<Hex> {
  const args = [epoch, root, total] as const;
  try {
    await c.publicClient.simulateContract({ account: c.account, address: settlement, abi: settlementAbi, functionName: 'postEpochRoot', args });
    return await c.wallet.writeContract({ account: c.account, chain: c.wallet.chain, address: settlement, abi: settlementAbi, functionName: 'postEpochRoot', args });
  } catch (e) {
    throw toWalletError(e, { action: 'Posting the epoch root', abi: ALL_ERRORS_ABI, token: tokenCtx(c) });
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
