/**
 * The Ledger page's actions, each a sequence of wallet prompts and ledger bookkeeping that never loses
 * or double-counts a fee:
 *
 * Settle: reconcile -> build ONE payment for every pending fee and mark them `submitting` -> sign it
 * (one EIP-712 prompt, whatever the number of answers) -> allowance or permit -> dry run -> send (one
 * transaction) -> store its hash -> wait -> `settled`. A rejection or a revert puts the fees back to
 * `pending`; a tab closed in between is reconciled from `settled(paymentId)` on the next start.
 *
 * Claim: rebuild the current epoch's tree from the logs (root checked) -> send `claim` -> wait.
 * Claim to wallet (a local key's earnings): the ledger worker signs the key's EIP-712 claim authorisation
 * (the key never reaches the page) -> the connected wallet sends `claimFor` (it pays the gas), or the key
 * itself does when it holds gas -> the tokens go to the signed recipient.
 * Post epoch root (local chain only): the dev account holding ROOT_POSTER_ROLE posts the root of every
 * pooled credit so far, as the root-poster service does on a real chain.
 */
import type { Account, Chain, Transport, WalletClient } from 'viem';
import { choosePayoutMode } from '../../chain/payout.ts';
import { settlementAbi } from '../../chain/generated/Settlement.ts';
import { postLatestEpochRoot } from '../../chain/rootPoster.ts';
import { publicClientFor, walletClientFor } from '../../chain/wallet/connect.ts';
import { createDevWallet } from '../../chain/wallet/devWallet.ts';
import {
  formatAmount,
  fundBatch,
  sendClaim,
  sendSettlement,
  signPayment,
  simulateSettlement,
  tokenBalance,
  waitForSuccess,
} from '../../chain/wallet/settleWithWallet.ts';
import { toWalletError } from '../../chain/wallet/walletErrors.ts';
import { sendClaimFor } from '../../chain/wallet/claimForWithWallet.ts';
import { getLedgerApi } from '../../client/ledgerClient.ts';
import { isTributaryError, TributaryError } from '../../core/errors.ts';
import type { LedgerEntry, PayoutMode } from '../../core/ledger.ts';
import type { Address, Hex } from '../../core/types.ts';
import { getDb } from '../../store/db.ts';
import { entriesOfPayer } from '../../store/ledger.ts';
import { chainConfig } from './ledgerChain.ts';
import { walletContext, walletSession } from './walletState.ts';

export type PayoutChoice = 'auto' | PayoutMode;

export interface SettleResult {
  txHash: Hex;
  count: number;
  total: bigint;
  mode: PayoutMode;
}

function requireChain() {
  const chain = chainConfig();
  if (!chain) throw new TributaryError('chain/config', 'No chain is configured: start the local chain with `npm start`, or set one in Settings → Chain.');
  return chain;
}

/** The payer's fees that can be settled now on the configured chain and deployment. */
export async function settleableEntries(payer: Address): Promise<LedgerEntry[]> {
  const chain = requireChain();
  const rows = await entriesOfPayer(getDb(), chain.chainId, payer, 'pending');
  return rows.filter((e) => e.settlementContract.toLowerCase() === chain.settlement.toLowerCase());
}

/** The payout mode for a batch: the user's choice, or the cheaper one by src/chain/payout's gas model. */
export async function payoutModeFor(entries: LedgerEntry[], choice: PayoutChoice): Promise<{ mode: PayoutMode; why: string }> {
  if (choice !== 'auto') return { mode: choice, why: choice === 'direct' ? 'chosen: direct transfers' : 'chosen: pooled (recipients claim)' };
  const recipients = [...new Set(entries.flatMap((e) => e.splits.map((s) => s.recipient.toLowerCase())))] as Address[];
  const splits = entries.reduce((n, e) => n + e.splits.length, 0);
  let returning = 0;
  const chain = chainConfig();
  if (chain) {
    const pc = publicClientFor(chain);
    const balances = await Promise.all(recipients.map((r) => tokenBalance(pc, chain.token, r).catch(() => 0n)));
    returning = balances.filter((b) => b > 0n).length;
  }
  const c = choosePayoutMode({ distinctRecipients: recipients.length, returningRecipients: returning, splits: Math.max(splits, recipients.length) });
  return { mode: c.mode, why: `automatic: ${c.mode} (estimated ${c.directGas.toLocaleString()} gas direct vs ${c.pooledGas.toLocaleString()} pooled)` };
}

/**
 * Settles pending fees of the connected account in one payment (one signature, one transaction): those
 * in `only` when given (the ones ticked on the Ledger), else every pending one.
 */
export async function settlePending(choice: PayoutChoice, onStatus: (s: string) => void, only?: ReadonlyArray<Hex>): Promise<SettleResult> {
  const chain = requireChain();
  const api = getLedgerApi();
  const c = await walletContext();
  const fmt = (v: bigint) => `${formatAmount(v, c.token.decimals)} ${c.token.symbol}`;
  onStatus('Checking the ledger against the chain…');
  await api.reconcile(chain);
  const pending = await settleableEntries(c.account);
  const chosen = only && new Set(only.map((id) => id.toLowerCase()));
  const entries = chosen ? pending.filter((e) => chosen.has(e.id.toLowerCase())) : pending;
  if (entries.length === 0) {
    throw new TributaryError(
      'ledger/invalid',
      chosen ? 'Nothing to settle: none of the chosen fees is pending any more. Tick pending fees to settle.' : `Nothing to settle: ${c.account} has no pending fees on ${chain.name}.`,
    );
  }
  const { mode, why } = await payoutModeFor(entries, choice);

  // Recorded before any prompt: a tab closed from here on is reconciled from the chain.
  const batch = await api.prepareSettlement(chain, c.account, mode, entries.map((e) => e.id));
  const payment = batch.payment;
  const n = payment.feeCount;
  const fail = async (e: unknown) => {
    await api.settlementFailed(batch.id, messageOf(e));
    return e;
  };
  let txHash: Hex;
  try {
    onStatus(`Sign one payment for ${n} fee${n === 1 ? '' : 's'} (${fmt(payment.total)}) in your wallet…`);
    const signature = await signPayment(c, chain.settlement, payment);
    await api.settlementSigned(batch.id, signature);
    onStatus(`Allowing the settlement contract to take ${fmt(payment.total)}…`);
    const now = (await c.publicClient.getBlock()).timestamp;
    const funding = await fundBatch(c, chain.settlement, payment.total, now);
    const call = { settlement: chain.settlement, payment, signature, funding };
    onStatus('Checking the transaction before sending it…');
    await simulateSettlement(c, call);
    onStatus(`Confirm the settlement of ${n} fee${n === 1 ? '' : 's'} (${fmt(payment.total)}, ${why}) in your wallet…`);
    txHash = await sendSettlement(c, call);
  } catch (e) {
    throw await fail(e);
  }
  await api.settlementSent(batch.id, txHash);
  onStatus(`Waiting for transaction ${txHash.slice(0, 10)}… to be mined…`);
  try {
    await waitForSuccess(c, txHash, 'Settling');
  } catch (e) {
    const err = isTributaryError(e) ? e : toWalletError(e, { action: 'Settling' });
    if (err.code === 'chain/unreachable') throw err; // unknown outcome: stays submitting until reconciled
    await api.settlementFailed(batch.id, err.message);
    throw err;
  }
  await api.settlementConfirmed(batch.id, txHash);
  return { txHash, count: n, total: payment.total, mode };
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Withdraws a pending fee of the connected account (final; nothing had moved). */
export async function cancelFee(id: Hex): Promise<LedgerEntry> {
  const account = walletSession()?.account;
  if (!account) throw new TributaryError('wallet/not-connected', 'Connect the wallet that pays this fee to cancel it.');
  return getLedgerApi().cancelFee(id, account);
}

/** Claims the connected account's pooled earnings under the current epoch root. */
export async function claimEarnings(onStatus: (s: string) => void): Promise<{ txHash: Hex; amount: bigint }> {
  const chain = requireChain();
  const api = getLedgerApi();
  const c = await walletContext();
  onStatus('Rebuilding the current earnings root from the chain…');
  const plan = await api.planClaim(chain, c.account);
  if (plan.claimable === 0n) {
    throw new TributaryError('chain/nothing-to-claim', `Nothing new to claim: the current root credits ${c.account} with ${formatAmount(plan.cumulativeAmount, c.token.decimals)} ${c.token.symbol}, all claimed already.`);
  }
  const id = await api.beginClaim(chain.chainId, c.account, plan.epoch, plan.cumulativeAmount, plan.claimable);
  onStatus(`Confirm the claim of ${formatAmount(plan.claimable, c.token.decimals)} ${c.token.symbol} in your wallet…`);
  let txHash: Hex | undefined;
  try {
    txHash = await sendClaim(c, chain.settlement, plan.cumulativeAmount, plan.proof);
    await api.claimSent(id, txHash);
    onStatus('Waiting for the claim to be mined…');
    await waitForSuccess(c, txHash, 'Claiming');
  } catch (e) {
    await api.claimFinished(id, { error: messageOf(e), ...(txHash ? { txHash } : {}) });
    throw e;
  }
  await api.claimFinished(id, { txHash });
  return { txHash, amount: plan.claimable };
}

/** Who sends a local key's claim: the connected wallet, or the local key itself (when it holds gas). */
export type ClaimSubmitter = 'wallet' | 'local-key';

/**
 * Claims the pooled earnings of the local key `account` to `recipient`: the ledger worker signs the
 * key's authorisation, then `submitter` sends `claimFor`. Recorded like a claim (with its recipient).
 */
export async function claimToWallet(
  account: Address,
  recipient: Address,
  submitter: ClaimSubmitter,
  onStatus: (s: string) => void,
  token: { symbol: string; decimals: number },
): Promise<{ txHash: Hex; amount: bigint; recipient: Address }> {
  const chain = requireChain();
  const fmt = (v: bigint) => `${formatAmount(v, token.decimals)} ${token.symbol}`;
  const api = getLedgerApi();
  onStatus('Signing the claim authorisation with the local key…');
  const signed = await api.authorizeClaim(chain, account, recipient);
  const to = signed.authorization.recipient;
  const id = await api.beginClaim(chain.chainId, account, signed.epoch, signed.authorization.cumulativeAmount, signed.payout, to);
  let txHash: Hex | undefined;
  try {
    if (submitter === 'wallet') {
      const c = await walletContext();
      onStatus(`Confirm in your wallet: submit the claim of ${fmt(signed.payout)} to ${to} (your wallet pays the gas)…`);
      txHash = await sendClaimFor(c, chain.settlement, signed);
      await api.claimSent(id, txHash);
      onStatus('Waiting for the claim to be mined…');
      await waitForSuccess(c, txHash, 'Claiming');
    } else {
      onStatus(`Sending the claim of ${fmt(signed.payout)} from the local key (it pays the gas)…`);
      txHash = await api.submitClaimWithLocalKey(chain, signed);
    }
  } catch (e) {
    await api.claimFinished(id, { error: messageOf(e), ...(txHash ? { txHash } : {}) });
    throw e;
  }
  await api.claimFinished(id, { txHash });
  return { txHash, amount: signed.payout, recipient: to };
}

/**
 * Local chain only: posts the epoch root of every pooled credit so far from the dev account that holds
 * ROOT_POSTER_ROLE (the deployer). Returns null when the current root already covers everything.
 */
export async function postEpochRootLocally(onStatus: (s: string) => void): Promise<{ epoch: bigint; total: bigint; txHash: Hex } | null> {
  const chain = requireChain();
  if (chain.chainId !== 31337) throw new TributaryError('wallet/unavailable', 'Posting roots from a dev account works on the local chain only.');
  const publicClient = publicClientFor(chain);
  const role = await publicClient.readContract({ address: chain.settlement, abi: settlementAbi, functionName: 'ROOT_POSTER_ROLE' });
  const dev = await createDevWallet(chain.rpcUrl, chain.chainId, 0);
  let index = -1;
  for (const [i, a] of dev.accounts.entries()) {
    if (await publicClient.readContract({ address: chain.settlement, abi: settlementAbi, functionName: 'hasRole', args: [role, a] })) {
      index = i;
      break;
    }
  }
  if (index < 0) throw new TributaryError('chain/not-authorized', 'None of the dev accounts holds ROOT_POSTER_ROLE on this deployment.');
  dev.selectAccount(index);
  await dev.request({ method: 'eth_requestAccounts' });
  const wallet = walletClientFor(dev, dev.account(), chain) as unknown as WalletClient<Transport, Chain | undefined, Account>;
  onStatus(`Posting the root from dev account ${index} (${dev.account()})…`);
  try {
    const posted = await postLatestEpochRoot(publicClient, wallet, { settlement: chain.settlement, fromBlock: chain.deployedAtBlock ?? 0n });
    return posted && { epoch: posted.epoch, total: posted.total, txHash: posted.txHash };
  } catch (e) {
    throw toWalletError(e, { action: 'Posting the epoch root' });
  }
}
