/**
 * Wallet-side error handling on top of `src/chain/errors.ts` (`decodeChainError`, which decodes the
 * contracts' custom errors): also understands raw EIP-1193 errors that viem did not wrap (4001 user
 * rejected, 4902 unknown chain, 4100 unauthorised), and says which action failed and what stayed
 * unchanged ("Your receipts stay pending; nothing was paid.").
 */
import { BaseError } from 'viem';
import { isTributaryError, TributaryError } from '../../core/errors.ts';
import { decodeChainError, decodeRevertData } from '../errors.ts';

/** Walks `e` and its causes (viem's `cause`, an RPC error's `data`) looking for `test`. */
function findInChain<T>(e: unknown, test: (x: Record<string, unknown>) => T | undefined): T | undefined {
  const seen = new Set<unknown>();
  let cur: unknown = e;
  while (cur && typeof cur === 'object' && !seen.has(cur)) {
    seen.add(cur);
    const hit = test(cur as Record<string, unknown>);
    if (hit !== undefined) return hit;
    cur = (cur as { cause?: unknown }).cause ?? (cur as { error?: unknown }).error;
  }
  return undefined;
}

/** The EIP-1193 / JSON-RPC error code of `e` or one of its causes. */
export function errorCode(e: unknown): number | undefined {
  return findInChain(e, (x) => (typeof x.code === 'number' ? x.code : undefined));
}

export function isUserRejection(e: unknown): boolean {
  return (
    findInChain(e, (x) => (x.code === 4001 || x.name === 'UserRejectedRequestError' ? true : undefined)) === true ||
    /user (rejected|denied)|rejected by user/i.test(String((e as { message?: unknown })?.message ?? ''))
  );
}

export interface WalletErrorContext {
  /** What was being done, e.g. "Settling 3 receipts". */
  action: string;
  /** What stays as it was when the action fails (appended to the message). */
  unchanged?: string;
}

/** The `TributaryError` for `e` (see the module comment). A TributaryError passes through unchanged. */
export function toWalletError(e: unknown, ctx: WalletErrorContext): TributaryError {
  if (e instanceof TributaryError) return e;
  if (isTributaryError(e)) return new TributaryError((e as TributaryError).code, (e as TributaryError).message, (e as TributaryError).subject);
  const tail = ctx.unchanged ? ` ${ctx.unchanged}` : '';
  if (isUserRejection(e)) {
    return new TributaryError('wallet/rejected', `You rejected the request in your wallet: ${lower(ctx.action)} was cancelled.${tail}`);
  }
  const code = errorCode(e);
  if (code === 4902) {
    return new TributaryError('wallet/wrong-chain', `Your wallet does not know this chain: add it in the wallet (or pick another chain in Settings).${tail}`);
  }
  if (code === 4100) {
    return new TributaryError('wallet/not-connected', `The wallet did not authorise this account: connect it again.${tail}`);
  }
  // Plain EIP-1193 errors (not wrapped by viem): decode their revert data when they carry some.
  const data = findInChain(e, (x) => (typeof x.data === 'string' && /^0x[0-9a-fA-F]{8,}$/.test(x.data) ? (x.data as `0x${string}`) : undefined));
  const decoded = !(e instanceof BaseError) && data ? decodeRevertData(data) : undefined;
  const err =
    decoded ??
    (e instanceof BaseError ? decodeChainError(e) : typeof code === 'number' && e instanceof Error ? new TributaryError('chain/reverted', e.message) : decodeChainError(e));
  return new TributaryError(err.code, `${ctx.action} failed: ${err.message}${tail}`, err.subject);
}

function lower(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
