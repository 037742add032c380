/**
 * Turns whatever a chain call threw (viem errors, contract custom errors, wallet rejections) into a
 * `TributaryError` whose message says what went wrong and what to do.
 */
import {
  BaseError,
  ChainMismatchError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  HttpRequestError,
  InsufficientFundsError,
  TimeoutError,
  UserRejectedRequestError,
  WebSocketRequestError,
  type Abi,
  type Hex,
} from 'viem';
import { TributaryError, isTributaryError, type ErrorCode } from '../core/errors.ts';
import { datanetRegistryAbi } from './generated/DatanetRegistry.ts';
import { settlementAbi } from './generated/Settlement.ts';
import { testTokenAbi } from './generated/TestToken.ts';

/** Every custom error Tributary's contracts (and the token under them) can revert with. */
export const TRIBUTARY_ERRORS_ABI = [...settlementAbi, ...datanetRegistryAbi, ...testTokenAbi].filter((x) => x.type === 'error') as Abi;

type Args = readonly unknown[];
const fmt = (v: unknown) => String(v);

/** Error name -> [code, message from the decoded args]. */
const CONTRACT_ERRORS: Record<string, [ErrorCode, (a: Args) => string]> = {
  // settlement: payments
  InvalidSignature: ['chain/bad-signature', (a) => `The signature of payment ${fmt(a[0])} is not its payer's for this chain and contract: sign it again with the payer's wallet on this network.`],
  PaymentExpired: ['chain/expired', (a) => `Payment ${fmt(a[0])} expired (deadline ${fmt(a[1])}): it can no longer be settled; settle its fees again in a new payment.`],
  AlreadySettled: ['chain/already-settled', (a) => `Payment ${fmt(a[0])} is already settled on chain: nothing more to pay for it.`],
  ZeroTotal: ['chain/payment-invalid', (a) => `Payment ${fmt(a[0])} has a total of 0: it must pay a positive amount.`],
  NoFees: ['chain/payment-invalid', (a) => `Payment ${fmt(a[0])} commits to no fee (zero root or count): rebuild it from its fees.`],
  SplitSumMismatch: ['chain/payment-invalid', (a) => `Payment ${fmt(a[0])}: its splits add up to ${fmt(a[2])}, not its total ${fmt(a[1])}. Rebuild the payment.`],
  InvalidRecipient: ['chain/payment-invalid', (a) => `Payment ${fmt(a[0])}: split ${fmt(a[1])} pays the zero address or the contract itself.`],
  InvalidRole: ['chain/payment-invalid', (a) => `Payment ${fmt(a[0])}: split ${fmt(a[1])} has an unknown role ${fmt(a[2])}.`],
  TreasuryMismatch: ['chain/payment-invalid', (a) => `Payment ${fmt(a[0])}: its treasury split pays ${fmt(a[2])}, which is not this contract's treasury. Rebuild it with the current treasury.`],
  EmptyBatch: ['chain/payment-invalid', () => 'There is no payment to settle.'],
  LengthMismatch: ['chain/payment-invalid', (a) => `${fmt(a[0])} payments but ${fmt(a[1])} signatures: every payment needs its signature.`],
  InvalidPayoutMode: ['chain/payment-invalid', (a) => `Payment ${fmt(a[0])} has an unknown payout mode ${fmt(a[1])} (0 direct, 1 pooled).`],
  // settlement: claims and roots
  NoRootPosted: ['chain/nothing-to-claim', () => 'No earnings root has been posted yet: wait for the first epoch, then claim.'],
  NothingToClaim: ['chain/nothing-to-claim', (a) => `Nothing new to claim for ${fmt(a[0])}: ${fmt(a[2])} already claimed of ${fmt(a[1])}.`],
  InvalidProof: ['chain/bad-proof', (a) => `The proof for ${fmt(a[0])} (${fmt(a[1])}) does not match the current earnings root: a newer root may have been posted; refresh and claim again.`],
  InvalidClaimAuthorization: ['chain/bad-signature', (a) => `The claim authorisation is not ${fmt(a[0])}'s signature of exactly this claim (recipient, amount, what it claimed before, deadline) on this chain and contract: sign a new authorisation with that key.`],
  ClaimAuthorizationExpired: ['chain/expired', (a) => `The claim authorisation of ${fmt(a[0])} expired (deadline ${fmt(a[1])}): sign a new one.`],
  InvalidClaimRecipient: ['chain/claim-invalid', (a) => `A claim cannot be paid to ${fmt(a[0])} (the zero address or the settlement contract): choose a wallet address.`],
  RootTotalExceedsPool: ['chain/reverted', (a) => `The root's total ${fmt(a[0])} is more than was ever pooled (${fmt(a[1])}): rebuild it from the logs.`],
  EpochNotIncreasing: ['chain/reverted', (a) => `Epoch ${fmt(a[0])} is not after the current epoch ${fmt(a[1])}.`],
  EpochInFuture: ['chain/reverted', (a) => `Epoch ${fmt(a[0])} names a block that is not yet mined (current ${fmt(a[1])}).`],
  RootTotalDecreasing: ['chain/reverted', (a) => `The root's total ${fmt(a[0])} is below the current root's ${fmt(a[1])}: cumulative credits never shrink; rebuild it from the logs.`],
  ClaimExceedsRootTotal: ['chain/root-mismatch', (a) => `Paying this claim would take all claims to ${fmt(a[0])}, past the current root's declared total ${fmt(a[1])}: the root is wrong; wait for a corrected root.`],
  ZeroRoot: ['chain/reverted', () => 'An epoch root must not be zero.'],
  ZeroAddress: ['chain/reverted', () => 'An address must not be zero.'],
  ReentrancyGuardReentrantCall: ['chain/reverted', () => 'The token called back into the settlement contract during a transfer; the contract refused it.'],
  SafeERC20FailedOperation: ['chain/reverted', (a) => `The token ${fmt(a[0])} refused the transfer.`],
  // token
  ERC20InsufficientBalance: ['chain/insufficient-funds', (a) => `Not enough tokens: ${fmt(a[0])} has ${fmt(a[1])} but ${fmt(a[2])} are needed. Top up the wallet, or settle fewer fees.`],
  ERC20InsufficientAllowance: ['chain/insufficient-funds', (a) => `The settlement contract may spend ${fmt(a[1])} of the payer's tokens but needs ${fmt(a[2])}: approve it (or sign the permit) again.`],
  ERC2612ExpiredSignature: ['chain/expired', (a) => `The token permit expired at ${fmt(a[0])}: sign a new one.`],
  ERC2612InvalidSigner: ['chain/bad-signature', () => 'The token permit was not signed by the payer: sign it again.'],
  // access control
  AccessControlUnauthorizedAccount: ['chain/not-authorized', (a) => `${fmt(a[0])} lacks the role needed for this (role ${fmt(a[1])}).`],
  OwnableUnauthorizedAccount: ['chain/not-authorized', (a) => `${fmt(a[0])} is not the owner of this contract.`],
  AccessControlEnforcedDefaultAdminRules: ['chain/not-authorized', () => 'The admin role moves in two steps only: beginDefaultAdminTransfer, then acceptDefaultAdminTransfer by the new admin.'],
  NotPendingOwner: ['chain/not-authorized', (a) => `${fmt(a[1])} was not offered Datanet ${fmt(a[0])}: only the account its owner offered it to can accept it.`],
  InvalidOwnerSignature: ['chain/bad-signature', (a) => `Registering Datanet id ${fmt(a[0])} for ${fmt(a[1])} needs that owner's consent: send it from the owner's wallet or attach the owner's signature.`],
  NotDatanetOwner: ['chain/not-authorized', (a) => `${fmt(a[1])} is not the on-chain owner of Datanet ${fmt(a[0])}: switch to the owner's account.`],
  // registry
  DatanetAlreadyRegistered: ['chain/registry', (a) => `Datanet ${fmt(a[0])} is already registered on chain.`],
  DatanetNotRegistered: ['chain/registry', (a) => `Datanet ${fmt(a[0])} is not registered on chain: register it first.`],
  VersionNotIncreasing: ['chain/registry', (a) => `Version ${fmt(a[1])} is not after the latest anchored version ${fmt(a[2])}.`],
  EmptyVersion: ['chain/registry', (a) => `Version ${fmt(a[1])} has no root or no contributions: nothing to anchor.`],
  EmptyName: ['chain/registry', () => 'A Datanet needs a name to be registered.'],
  ZeroValue: ['chain/registry', () => 'A key or address must not be zero.'],
};

function fromRevert(name: string, args: Args): TributaryError {
  const known = CONTRACT_ERRORS[name];
  if (known) return new TributaryError(known[0], known[1](args));
  return new TributaryError('chain/reverted', `The transaction was refused by the contract (${name}${args.length ? `: ${args.map(fmt).join(', ')}` : ''}).`);
}

/** Decodes raw revert data (`0x` + selector + args) of Tributary's contracts; undefined when unknown. */
export function decodeRevertData(data: Hex): TributaryError | undefined {
  try {
    const { errorName, args } = decodeErrorResult({ abi: TRIBUTARY_ERRORS_ABI, data });
    return fromRevert(errorName, (args ?? []) as Args);
  } catch {
    return undefined;
  }
}

/**
 * Maps any error from a chain call to a TributaryError:
 * wallet rejection -> `wallet/rejected`; wrong network -> `wallet/wrong-chain`; contract custom errors ->
 * their code (`chain/bad-signature`, `chain/already-settled`, `chain/insufficient-funds`, …); no gas money ->
 * `chain/insufficient-funds`; RPC down -> `chain/unreachable`; anything else -> `chain/reverted`.
 * A TributaryError passes through unchanged.
 */
export function decodeChainError(e: unknown): TributaryError {
  if (isTributaryError(e)) return e;
  if (e instanceof BaseError) {
    if (e.walk((x) => x instanceof UserRejectedRequestError || (x as { code?: unknown }).code === UserRejectedRequestError.code)) {
      return new TributaryError('wallet/rejected', 'You rejected the request in your wallet; nothing was sent.');
    }
    const mismatch = e.walk((x) => x instanceof ChainMismatchError);
    if (mismatch) return new TributaryError('wallet/wrong-chain', `Your wallet is on another network: ${(mismatch as BaseError).shortMessage} Switch networks and try again.`);
    const reverted = e.walk((x) => x instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
    if (reverted) {
      if (reverted.data?.errorName && CONTRACT_ERRORS[reverted.data.errorName]) return fromRevert(reverted.data.errorName, (reverted.data.args ?? []) as Args);
      if (reverted.raw) {
        const decoded = decodeRevertData(reverted.raw);
        if (decoded) return decoded;
      }
      if (reverted.data?.errorName) return fromRevert(reverted.data.errorName, (reverted.data.args ?? []) as Args);
      return new TributaryError('chain/reverted', `The transaction was refused by the contract: ${reverted.reason ?? reverted.shortMessage}`);
    }
    const raw = e.walk((x) => typeof (x as { data?: unknown }).data === 'string' && /^0x[0-9a-fA-F]{8,}$/.test((x as { data: string }).data));
    if (raw) {
      const decoded = decodeRevertData((raw as unknown as { data: Hex }).data);
      if (decoded) return decoded;
    }
    if (e.walk((x) => x instanceof InsufficientFundsError)) {
      return new TributaryError('chain/insufficient-funds', 'Not enough native coin for gas in this account: top it up and try again.');
    }
    if (e.walk((x) => x instanceof HttpRequestError || x instanceof WebSocketRequestError || x instanceof TimeoutError)) {
      return new TributaryError('chain/unreachable', `The chain's RPC did not answer (${e.shortMessage}): check the network and the RPC URL, then retry.`);
    }
    return new TributaryError('chain/reverted', e.shortMessage);
  }
  if (e instanceof TypeError && /fetch/i.test(e.message)) {
    return new TributaryError('chain/unreachable', `The chain's RPC did not answer (${e.message}): check the network and the RPC URL, then retry.`);
  }
  return new TributaryError('chain/reverted', e instanceof Error ? e.message : String(e));
}
