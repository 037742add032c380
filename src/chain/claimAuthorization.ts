/**
 * Claim authorisations: how an account that cannot send its own claim (a browser's local key: no wallet,
 * no gas) has its pooled earnings paid to another address. The account signs a `ClaimAuthorization`
 * (EIP-712, the Settlement contract's domain) and anyone submits it with `Settlement.claimFor`.
 *
 * ```
 * ClaimAuthorization(address account,address recipient,uint256 cumulativeAmount,uint256 claimedBefore,uint64 deadline)
 * ```
 * - `account` signs and is the epoch leaf's account; `recipient` receives the tokens (signed: nobody can
 *   redirect them);
 * - `cumulativeAmount` is the leaf's credit; with `claimedBefore` (the contract's `claimed(account)` when
 *   signing) the payout `cumulativeAmount − claimedBefore` is fixed by the signature;
 * - replay: the contract hashes its CURRENT `claimed(account)` as `claimedBefore`, and every claim moves it,
 *   so a used authorisation (or one outdated by another claim) no longer verifies;
 * - the domain binds the chain id and the contract; `deadline` bounds how long it may wait.
 *
 * One definition (the types below) serves the signer (`claimAuthorizationTypedData`) and the verifier
 * (`recoverClaimAuthorizer`, the contract's type hash is checked against it in tests). Pure: no network.
 */
import { getAddress, hashTypedData, isAddress, recoverTypedDataAddress, type TypedDataDomain } from 'viem';
import { TributaryError } from '../core/errors.ts';
import { isCanonicalSignature } from '../core/signing.ts';
import type { Address, Hex } from '../core/types.ts';
import type { SettlementDomain } from './payment.ts';

export const CLAIM_AUTHORIZATION_TYPES = {
  ClaimAuthorization: [
    { name: 'account', type: 'address' },
    { name: 'recipient', type: 'address' },
    { name: 'cumulativeAmount', type: 'uint256' },
    { name: 'claimedBefore', type: 'uint256' },
    { name: 'deadline', type: 'uint64' },
  ],
} as const;

/** The type string the contract hashes (`CLAIM_AUTHORIZATION_TYPEHASH`), derived from the types above. */
export const CLAIM_AUTHORIZATION_TYPE = `ClaimAuthorization(${CLAIM_AUTHORIZATION_TYPES.ClaimAuthorization.map((f) => `${f.type} ${f.name}`).join(',')})`;

export interface ClaimAuthorization {
  account: Address;
  recipient: Address;
  cumulativeAmount: bigint;
  claimedBefore: bigint;
  /** Unix seconds (block timestamp) after which it can no longer be used. */
  deadline: bigint;
}

const MAX_UINT256 = (1n << 256n) - 1n;
const MAX_UINT64 = (1n << 64n) - 1n;
const ZERO = '0x0000000000000000000000000000000000000000';

function invalid(message: string, subject?: string): never {
  throw new TributaryError('chain/claim-invalid', message, subject);
}

function addressOf(v: unknown, what: string): Address {
  if (typeof v !== 'string' || !isAddress(v, { strict: false }) || v.toLowerCase() === ZERO) {
    invalid(`The ${what} is not a usable address (got ${String(v).slice(0, 60)}): enter a 0x address of 40 hex digits.`, what);
  }
  return getAddress(v);
}

/**
 * Checks an authorisation as the contract will (addresses non-zero, the recipient not the contract,
 * amounts within uint256, something to claim, deadline within uint64) and returns it with checksummed
 * addresses.
 * @throws TributaryError `chain/claim-invalid` naming the field.
 */
export function checkClaimAuthorization(auth: ClaimAuthorization, domain?: SettlementDomain): ClaimAuthorization {
  const account = addressOf(auth.account, 'account');
  const recipient = addressOf(auth.recipient, 'recipient');
  if (domain && recipient.toLowerCase() === domain.verifyingContract.toLowerCase()) {
    invalid('The recipient is the settlement contract itself: choose a wallet address.', 'recipient');
  }
  for (const [name, v, max] of [
    ['cumulative amount', auth.cumulativeAmount, MAX_UINT256],
    ['claimed-before amount', auth.claimedBefore, MAX_UINT256],
    ['deadline', auth.deadline, MAX_UINT64],
  ] as const) {
    if (typeof v !== 'bigint' || v < 0n || v > max) invalid(`The ${name} must be a whole number ≥ 0 within range (got ${String(v).slice(0, 60)}).`, name);
  }
  if (auth.cumulativeAmount <= auth.claimedBefore) {
    throw new TributaryError('chain/nothing-to-claim', `Nothing to authorise: ${account} has already claimed ${auth.claimedBefore} of ${auth.cumulativeAmount}.`);
  }
  return { account, recipient, cumulativeAmount: auth.cumulativeAmount, claimedBefore: auth.claimedBefore, deadline: auth.deadline };
}

/** What the authorisation pays: `cumulativeAmount − claimedBefore`. */
export function authorizedPayout(auth: Pick<ClaimAuthorization, 'cumulativeAmount' | 'claimedBefore'>): bigint {
  return auth.cumulativeAmount - auth.claimedBefore;
}

/**
 * The typed data the account signs (`account.signTypedData(data)` or a wallet's `signTypedData`).
 *
 * @example
 * const data = claimAuthorizationTypedData(auth, settlementDomain(31337, chain.settlement));
 * const signature = await privateKeyToAccount(key).signTypedData(data);
 */
export function claimAuthorizationTypedData(auth: ClaimAuthorization, domain: SettlementDomain) {
  const a = checkClaimAuthorization(auth, domain);
  return {
    domain: domain satisfies TypedDataDomain,
    types: CLAIM_AUTHORIZATION_TYPES,
    primaryType: 'ClaimAuthorization',
    message: { account: a.account, recipient: a.recipient, cumulativeAmount: a.cumulativeAmount, claimedBefore: a.claimedBefore, deadline: a.deadline },
  } as const;
}

/** The EIP-712 digest (equals `Settlement.claimAuthorizationDigest(...)` on chain). */
export function claimAuthorizationDigest(auth: ClaimAuthorization, domain: SettlementDomain): Hex {
  return hashTypedData(claimAuthorizationTypedData(auth, domain));
}

/**
 * Who signed `signature` over `auth`, as the contract sees it: undefined for a malformed or malleable
 * (high-s, v not 27/28) signature, which the contract refuses too. Never throws on a bad signature.
 */
export async function recoverClaimAuthorizer(auth: ClaimAuthorization, domain: SettlementDomain, signature: Hex): Promise<Address | undefined> {
  if (!isCanonicalSignature(signature)) return undefined;
  try {
    return await recoverTypedDataAddress({ ...claimAuthorizationTypedData(auth, domain), signature });
  } catch {
    return undefined;
  }
}

/**
 * Checks that `signature` is `auth.account`'s authorisation of `auth` (before submitting it).
 * @throws TributaryError `chain/bad-signature` otherwise.
 */
export async function verifyClaimAuthorization(auth: ClaimAuthorization, domain: SettlementDomain, signature: Hex): Promise<void> {
  const signer = await recoverClaimAuthorizer(auth, domain, signature);
  if (!signer || signer.toLowerCase() !== auth.account.toLowerCase()) {
    throw new TributaryError('chain/bad-signature', `This claim authorisation was not signed by ${auth.account} for this recipient, amount and contract: sign it again with that key.`);
  }
}

/** The `claimFor` arguments, in the contract's order. */
export function claimForArgs(auth: ClaimAuthorization, proof: readonly Hex[], signature: Hex) {
  return [auth.account, auth.recipient, auth.cumulativeAmount, [...proof], auth.deadline, signature] as const;
}
