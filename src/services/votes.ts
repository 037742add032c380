/**
 * Votes: a signed validation, and when it decides the contribution, in the same transaction: the
 * contribution's status, the reputations (core/reputation `applyOutcome`) and, on acceptance, the
 * Datanet's next version.
 */
import type { VoteResult } from '../workerApi/dataApi.ts';
import { TributaryError } from '../core/errors.ts';
import { versionMerkleRoot } from '../core/merkle.ts';
import { quorumStatus } from '../core/quorum.ts';
import { applyOutcome, validatorWeight } from '../core/reputation.ts';
import { hashValidation, signValidation, verifyValidation } from '../core/signing.ts';
import type { Address, Contribution, DatanetVersion, Hex, Validation, ValidationPayload, Verdict } from '../core/types.ts';
import { addValidation, getValidationBy, updateContribution } from '../store/contributions.ts';
import { getReputations, putReputations } from '../store/reputations.ts';
import type { ServiceContext } from './context.ts';
import { requireDatanet } from './preview.ts';
import { asTributaryError, canonicalAddress, requireLocalIdentity, sameAddress } from './util.ts';
import { addVersion } from '../store/versions.ts';
import { setCurrentVersion } from '../store/datanets.ts';

export const REASON_MAX = 500;

function checkReason(verdict: Verdict, reason: unknown): string {
  if (verdict !== 'approve' && verdict !== 'reject') {
    throw new TributaryError('validation/invalid', `A vote is 'approve' or 'reject' (got ${String(verdict)}).`);
  }
  const text = typeof reason === 'string' ? reason.trim() : '';
  if (verdict === 'reject' && text.length === 0) {
    throw new TributaryError('validation/invalid', 'Say why you reject it: a reason is required for a rejection.');
  }
  const length = [...text].length;
  if (length > REASON_MAX) {
    throw new TributaryError('validation/invalid', `The reason must be at most ${REASON_MAX} characters (it has ${length}); shorten it.`);
  }
  return text;
}

async function requireContribution(ctx: ServiceContext, id: Hex): Promise<Contribution> {
  const c = await ctx.db.contributions.get(id);
  if (!c) throw new TributaryError('contribution/not-found', 'This contribution does not exist in this browser.', id);
  return c;
}

function refuseIfClosed(c: Contribution): void {
  if (c.status !== 'pending') {
    throw new TributaryError('contribution/closed', `This contribution was already ${c.status}: votes are closed.`, c.id);
  }
}

/** Who may vote and how: checks everything but the signature; returns the payload to sign. */
async function checkVote(
  ctx: ServiceContext,
  contributionId: Hex,
  validator: Address,
  verdict: Verdict,
  reasonInput: string,
  createdAt: number,
): Promise<{ payload: ValidationPayload; role: Validation['role'] }> {
  const { db } = ctx;
  const reason = checkReason(verdict, reasonInput);
  const contribution = await requireContribution(ctx, contributionId);
  refuseIfClosed(contribution);
  const datanet = await requireDatanet(ctx, contribution.datanetId);
  const isOwner = sameAddress(validator, datanet.owner);
  if (datanet.moderation === 'owner') {
    // The owner decides alone, including on their own contributions.
    if (!isOwner) throw new TributaryError('validation/not-owner', 'Only the owner of this Datanet decides on its contributions.', contribution.id);
  } else if (sameAddress(validator, contribution.contributor)) {
    throw new TributaryError('validation/own-contribution', 'You cannot validate your own contribution: another validator must.', contribution.id);
  }
  if (await getValidationBy(db, contribution.id, validator)) {
    throw new TributaryError('validation/already-voted', 'You already voted on this contribution: one vote per validator.', contribution.id);
  }
  const payload: ValidationPayload = { contributionId: contribution.id, validator, verdict, reason, createdAt };
  const role: Validation['role'] = datanet.moderation === 'owner' && isOwner ? 'owner' : 'validator';
  return { payload, role };
}

export async function castVote(
  ctx: ServiceContext,
  contributionId: Hex,
  validatorInput: Address,
  verdict: Verdict,
  reasonInput: string,
): Promise<VoteResult> {
  const identity = await requireLocalIdentity(ctx.db, validatorInput);
  const { payload, role } = await checkVote(ctx, contributionId, identity.address, verdict, reasonInput, ctx.deps.now());
  // Signing finishes before the transaction opens (non-IndexedDB async work would end it).
  const { id, signature } = await signValidation(payload, identity.privateKey);
  return storeVote(ctx, payload, role, id, signature);
}

/** The wallet path, step 1: the validation payload to sign (after every check). Writes nothing. */
export async function prepareVote(ctx: ServiceContext, contributionId: Hex, validatorInput: Address, verdict: Verdict, reasonInput: string): Promise<ValidationPayload> {
  return (await checkVote(ctx, contributionId, canonicalAddress(validatorInput), verdict, reasonInput, ctx.deps.now())).payload;
}

/** How far a wallet-signed vote's `createdAt` may be from the time it is stored. */
export const SIGNED_VOTE_MAX_AGE_MS = 30 * 60_000;

/**
 * The wallet path, step 2: store a vote its validator's wallet signed (signature verified, every check
 * done again), then decide the contribution exactly as `castVote` does.
 */
export async function castSignedVote(ctx: ServiceContext, signed: ValidationPayload, signature: Hex): Promise<VoteResult> {
  const validator = canonicalAddress(signed.validator);
  if (Math.abs(signed.createdAt - ctx.deps.now()) > SIGNED_VOTE_MAX_AGE_MS) {
    throw new TributaryError('signature/invalid', 'This signed vote is too old (or from the future): vote again.', signed.contributionId);
  }
  const { payload, role } = await checkVote(ctx, signed.contributionId, validator, signed.verdict, signed.reason, signed.createdAt);
  if (payload.reason !== signed.reason) throw new TributaryError('validation/invalid', 'The signed reason is not in its final form (trimmed): vote again.', signed.contributionId);
  if (!(await verifyValidation(payload, signature))) {
    throw new TributaryError('signature/invalid', `The signature is not ${validator}'s signature of this vote: sign it again in your wallet.`, signed.contributionId);
  }
  return storeVote(ctx, payload, role, hashValidation(payload), signature);
}

async function storeVote(ctx: ServiceContext, payload: ValidationPayload, role: Validation['role'], id: Hex, signature: Hex): Promise<VoteResult> {
  const { db } = ctx;
  const validator = payload.validator;
  const contribution = { id: payload.contributionId };
  try {
    return await db.transaction(
      'rw',
      [db.contributions, db.validations, db.reputations, db.versions, db.datanets, db.attributionIndexes],
      async (): Promise<VoteResult> => {
        // Re-read everything inside the transaction: another tab may have voted meanwhile.
        const current = await requireContribution(ctx, contribution.id);
        refuseIfClosed(current);
        if (await getValidationBy(db, current.id, validator)) {
          throw new TributaryError('validation/already-voted', 'You already voted on this contribution: one vote per validator.', current.id);
        }
        const weight = validatorWeight(await db.reputations.get(validator));
        const validation: Validation = { ...payload, id, signature, datanetId: current.datanetId, weight, role };
        await addValidation(db, validation);

        const votes = await db.validations.where('contributionId').equals(current.id).toArray();
        const dn = await requireDatanet(ctx, current.datanetId);
        const status = quorumStatus(votes, dn.moderation);
        if (status.state === 'pending') return { validation, pending: status };
        const outcome = status.outcome;

        const now = ctx.deps.now();
        const reputations = await getReputations(db, [current.contributor, ...votes.map((v) => v.validator)]);
        await putReputations(db, applyOutcome({ outcome, contributor: current.contributor, votes, reputations, now }));

        if (outcome === 'rejected') {
          await updateContribution(db, current.id, { status: 'rejected', decidedAt: now });
          return { validation, outcome };
        }

        const versionNumber = dn.currentVersion + 1;
        const accepted = await db.contributions.where('[datanetId+status]').equals([dn.id, 'accepted']).toArray();
        accepted.sort(
          (a, b) =>
            (a.acceptedInVersion ?? Infinity) - (b.acceptedInVersion ?? Infinity) ||
            (a.decidedAt ?? 0) - (b.decidedAt ?? 0) ||
            (a.id < b.id ? -1 : 1),
        );
        const members = [...accepted, current];
        const version: DatanetVersion = {
          datanetId: dn.id,
          version: versionNumber,
          merkleRoot: versionMerkleRoot(members.map((c) => ({ contributionId: c.id, contributor: c.contributor }))),
          contributionIds: members.map((c) => c.id),
          addedIds: [current.id],
          createdAt: now,
        };
        await updateContribution(db, current.id, { status: 'accepted', decidedAt: now, acceptedInVersion: versionNumber });
        await addVersion(db, version);
        await setCurrentVersion(db, dn.id, version);
        return { validation, outcome, version };
      },
    );
  } catch (e) {
    throw asTributaryError(e);
  }
}
