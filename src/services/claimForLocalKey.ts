/**
 * The ledger worker's part of a local key's claim to a wallet (`Settlement.claimFor`): the key never
 * leaves the workers, so the worker signs the `ClaimAuthorization` (src/chain/claimAuthorization) for
 * the current epoch's leaf, and, when the key itself holds gas, sends the transaction too. Submitting
 * from the connected wallet is the page's job (the wallet lives there).
 */
import { privateKeyToAccount } from 'viem/accounts';
import { claimAuthorizationTypedData, checkClaimAuthorization, type ClaimAuthorization } from '../chain/claimAuthorization.ts';
import { settlementDomain } from '../chain/payment.ts';
import { TributaryError } from '../core/errors.ts';
import type { Address, Hex } from '../core/types.ts';
import type { TributaryDB } from '../store/db.ts';
import type { LedgerChainRef, SignedClaimAuthorization } from '../workerApi/ledgerApi.ts';
import { canonicalAddress } from './util.ts';

/** How long a claim authorisation may wait to be submitted (it is signed just before). */
export const CLAIM_AUTHORIZATION_LIFETIME_SECONDS = 3600n;

/** The local key of `account` (identities table); `identity/not-found` for a wallet account or an unknown one. */
export async function localKeyOf(db: TributaryDB, account: Address): Promise<Hex> {
  const who = canonicalAddress(account);
  const row = await db.identities.get(who);
  if (!row) {
    throw new TributaryError('identity/not-found', `${who} is not a local key of this browser: a wallet's account claims with "Claim" from the wallet itself.`, who);
  }
  return row.privateKey;
}

/**
 * Signs, with the local key of `plan.account`, the authorisation to pay its claimable earnings under the
 * current root to `recipient`. `claimedBefore` is the contract's `claimed(account)` now: once this (or any)
 * claim of the account goes through, the signature is spent.
 */
export async function signClaimAuthorization(
  db: TributaryDB,
  chain: LedgerChainRef,
  plan: { account: Address; epoch: bigint; cumulativeAmount: bigint; alreadyClaimed: bigint; proof: Hex[] },
  recipient: Address,
  chainTime: bigint,
): Promise<SignedClaimAuthorization> {
  const key = await localKeyOf(db, plan.account);
  const domain = settlementDomain(chain.chainId, chain.settlement);
  const authorization: ClaimAuthorization = checkClaimAuthorization(
    { account: plan.account, recipient, cumulativeAmount: plan.cumulativeAmount, claimedBefore: plan.alreadyClaimed, deadline: chainTime + CLAIM_AUTHORIZATION_LIFETIME_SECONDS },
    domain,
  );
  const signer = privateKeyToAccount(key);
  if (signer.address.toLowerCase() !== authorization.account.toLowerCase()) {
    throw new TributaryError('identity/not-found', `The key stored for ${authorization.account} belongs to ${signer.address}: this identity's record is damaged.`);
  }
  const signature = await signer.signTypedData(claimAuthorizationTypedData(authorization, domain));
  return { authorization, signature, proof: plan.proof, epoch: plan.epoch, payout: authorization.cumulativeAmount - authorization.claimedBefore };
}
