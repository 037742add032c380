/**
 * Turns whatever a wallet, an RPC or viem throws into a `TributaryError` a person can act on:
 * - 4001 (the user pressed Reject) -> `wallet/rejected`;
 * - 4902 / unknown chain, or a wallet on another chain -> `wallet/wrong-chain`;
 * - a revert with a custom error -> `chain/reverted` naming the error and its arguments (ERC-20
 *   balance and allowance errors -> `chain/insufficient-funds`);
 * - not enough native coin for gas -> `chain/insufficient-funds`;
 * - the RPC cannot be reached -> `chain/unreachable`.
 */
import { BaseError, ContractFunctionRevertedError, decodeErrorResult, formatUnits, type Abi } from 'viem';
import { isTributaryError, TributaryError } from '../../core/errors.ts';

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

/** Revert data (hex) carried by `e` or one of its causes, if any. */
function revertData(e: unknown): `0x${string}` | undefined {
  return findInChain(e, (x) => {
    const d = x.data;
    if (typeof d === 'string' && /^0x[0-9a-f]{8}/i.test(d)) return d as `0x${string}`;
    if (d && typeof d === 'object' && typeof (d as { data?: unknown }).data === 'string') {
      const inner = (d as { data: string }).data;
      if (/^0x[0-9a-f]{8}/i.test(inner)) return inner as `0x${string}`;
    }
    return undefined;
  });
}

function fmtArg(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return `[${v.map(fmtArg).join(', ')}]`;
  return String(v);
}

export interface DecodedRevert {
  errorName: string;
  args: readonly unknown[];
}

/** The custom error of a revert, decoded with `abi` (several contracts' ABIs may be concatenated). */
export function decodeRevert(e: unknown, abi: Abi): DecodedRevert | undefined {
  const fromViem = findInChain(e, (x) =>
    x instanceof ContractFunctionRevertedError && x.data?.errorName ? { errorName: x.data.errorName, args: x.data.args ?? [] } : undefined,
  );
  if (fromViem && fromViem.errorName !== 'Error') return fromViem;
  const data = revertData(e);
  if (!data) return fromViem;
  try {
    const d = decodeErrorResult({ abi, data });
    return { errorName: d.errorName, args: (d.args ?? []) as readonly unknown[] };
  } catch {
    return fromViem;
  }
}

/** Plain words for the contracts' custom errors. */
const EXPLAIN: Record<string, (args: readonly unknown[], units: (v: unknown) => string) => string> = {
  AlreadySettled: (a) => `Receipt ${fmtArg(a[0])} was already settled on chain; it is not paid twice. Refresh the ledger.`,
  ReceiptExpired: (a) => `Receipt ${fmtArg(a[0])} expired (deadline ${fmtArg(a[1])}); the contract no longer accepts it.`,
  InvalidSignature: (a) => `The payer's signature of receipt ${fmtArg(a[0])} does not match: sign it again with ${fmtArg(a[1])}.`,
  SplitSumMismatch: (a) => `Receipt ${fmtArg(a[0])}: its splits add up to ${fmtArg(a[2])}, not to its fee ${fmtArg(a[1])}.`,
  TreasuryMismatch: (a) => `Receipt ${fmtArg(a[0])} pays an old treasury (${fmtArg(a[2])}); the treasury changed, so it must be made again.`,
  MixedPayers: () => 'A batch can only hold receipts of one payer.',
  ZeroFee: (a) => `Receipt ${fmtArg(a[0])} has a fee of 0; the contract refuses it.`,
  NoRootPosted: () => 'No epoch root has been posted yet, so there is nothing to claim. On the local chain, post one first.',
  InvalidProof: () => 'The claim proof does not match the current epoch root: refresh and claim again.',
  NothingToClaim: (a, u) => `Nothing new to claim: you already claimed ${u(a[2])} and the current root credits you ${u(a[1])}.`,
  PoolExhausted: () => 'The claim pool holds less than this claim: the posted root is wrong. Ask the root poster to post a correct one.',
  EpochNotIncreasing: (a) => `An epoch root through block ${fmtArg(a[1])} is already posted; wait for new settlements, then post again.`,
  EpochInFuture: () => 'The epoch names a block that is not mined yet; try again in a moment.',
  RootTotalExceedsPool: () => 'The root credits more than was ever pooled: it was built from wrong data.',
  AccessControlUnauthorizedAccount: (a) => `Account ${fmtArg(a[0])} may not do this (it lacks the role the contract requires).`,
  ERC20InsufficientBalance: (a, u) => `Not enough tokens: the account holds ${u(a[1])} but ${u(a[2])} is needed.`,
  ERC20InsufficientAllowance: (a, u) => `The settlement contract may spend ${u(a[1])} of your tokens but needs ${u(a[2])}: approve it first.`,
  NotDatanetOwner: (a) => `Only the Datanet's owner can do this (${fmtArg(a[1])} is not).`,
  DatanetAlreadyRegistered: () => 'This Datanet is already registered on chain.',
  DatanetNotRegistered: () => 'This Datanet is not registered on chain yet: register it first.',
  VersionNotIncreasing: (a) => `Version ${fmtArg(a[1])} is not newer than the anchored version ${fmtArg(a[2])}.`,
};

export interface WalletErrorContext {
  /** What was being done, e.g. "Settling 3 receipts". */
  action: string;
  /** ABIs to decode custom errors with. */
  abi?: Abi;
  /** Token symbol and decimals, to show amounts. */
  token?: { symbol: string; decimals: number };
  /** What stays as it was when the action fails (appended to the message). */
  unchanged?: string;
}

/** The `TributaryError` for `e` (see the module comment). A TributaryError passes through unchanged. */
export function toWalletError(e: unknown, ctx: WalletErrorContext): TributaryError {
  if (e instanceof TributaryError) return e;
  if (isTributaryError(e)) return new TributaryError(e.code, e.message, e.subject);
  const tail = ctx.unchanged ? ` ${ctx.unchanged}` : '';
  const units = (v: unknown) =>
    typeof v === 'bigint' && ctx.token ? `${formatUnits(v, ctx.token.decimals)} ${ctx.token.symbol}` : fmtArg(v);
  if (isUserRejection(e)) {
    return new TributaryError('wallet/rejected', `You rejected the request in your wallet. ${ctx.action} was cancelled.${tail}`);
  }
  const code = errorCode(e);
  if (code === 4902) {
    return new TributaryError('wallet/wrong-chain', `Your wallet does not know this chain: add it in the wallet (or pick another chain in Settings).${tail}`);
  }
  if (findInChain(e, (x) => (x.name === 'ChainMismatchError' || x.name === 'ChainNotFoundError' ? true : undefined))) {
    return new TributaryError(
      'wallet/wrong-chain',
      `${ctx.action} needs your wallet on the configured chain, but it is on another one: switch the wallet's network (or reconnect to switch it).${tail}`,
    );
  }
  if (code === 4100) {
    return new TributaryError('wallet/not-connected', `The wallet did not authorise this account: connect it again.${tail}`);
  }
  const decoded = ctx.abi ? decodeRevert(e, ctx.abi) : undefined;
  if (decoded) {
    const explain = EXPLAIN[decoded.errorName];
    const text = explain ? explain(decoded.args, units) : `${decoded.errorName}(${decoded.args.map(fmtArg).join(', ')})`;
    const funds = decoded.errorName === 'ERC20InsufficientBalance' || decoded.errorName === 'ERC20InsufficientAllowance';
    return new TributaryError(funds ? 'chain/insufficient-funds' : 'chain/reverted', `${ctx.action} was refused by the contract: ${text}${tail}`);
  }
  const message = e instanceof BaseError ? e.shortMessage : e instanceof Error ? e.message : String(e);
  const name = findInChain(e, (x) => (typeof x.name === 'string' && x.name !== 'Error' ? (x.name as string) : undefined)) ?? '';
  if (/InsufficientFunds/.test(name) || /insufficient funds/i.test(message)) {
    return new TributaryError('chain/insufficient-funds', `${ctx.action} failed: the account has not enough native coin to pay for gas.${tail}`);
  }
  if (/HttpRequestError|TimeoutError|WebSocketRequestError/.test(name) || /fetch failed|Failed to fetch|ECONNREFUSED|NetworkError/i.test(message)) {
    return new TributaryError('chain/unreachable', `${ctx.action} failed: the chain's RPC cannot be reached (${message}). Check the RPC URL in Settings and that the chain is running.${tail}`);
  }
  if (/revert/i.test(message) || /ContractFunction/.test(name)) {
    return new TributaryError('chain/reverted', `${ctx.action} was refused by the contract: ${message}${tail}`);
  }
  return new TributaryError('chain/reverted', `${ctx.action} failed: ${message}${tail}`);
}
