/**
 * Submission: sign previews with the contributor's local key and store each one (contribution,
 * chunks, upload record) in its own transaction, re-checking duplicates and daily limits inside it.
 */
import type { PreparedContribution, ProgressCallback, SubmitResult } from '../workerApi/dataApi.ts';
import { TributaryError } from '../core/errors.ts';
import { hashPassageList } from '../core/hash.ts';
import { checkDailyLimits, utcDay } from '../core/limits.ts';
import { contributionPayloadOf, hashContribution, signContribution, verifyContribution } from '../core/signing.ts';
import type { Address, Passage, Contribution, ContributionPayload, Hex, Identity } from '../core/types.ts';
import { findPassageDuplicates, findNearDuplicate, findTextDuplicate } from '../store/duplicates.ts';
import { addUpload, uploadsToday } from '../store/uploads.ts';
import type { ServiceContext } from './context.ts';
import { exactDuplicate, nearDuplicate } from './preview.ts';
import type { PreviewEntry } from './previewStore.ts';
import { asTributaryError, canonicalAddress, requireLocalIdentity, sameAddress, toErrorInfo } from './util.ts';
import { addPassages, addContribution } from '../store/contributions.ts';

export async function submitContributions(
  ctx: ServiceContext,
  previewIds: string[],
  contributorInput: Address,
  onProgress?: ProgressCallback,
): Promise<SubmitResult> {
  const result: SubmitResult = { submitted: [], failed: [] };
  let identity: Identity;
  try {
    identity = await requireLocalIdentity(ctx.db, contributorInput);
  } catch (e) {
    return { submitted: [], failed: previewIds.map((previewId) => ({ previewId, error: toErrorInfo(e) })) };
  }
  for (const [i, previewId] of previewIds.entries()) {
    try {
      const entry = ctx.previews.get(previewId, ctx.deps.now());
      if (!entry) {
        throw new TributaryError('contribution/not-found', 'This preview is no longer available: preview the file again, then submit.', previewId);
      }
      if (!sameAddress(entry.contributor, identity.address)) {
        throw new TributaryError('identity/not-found', 'This preview was made for another identity: preview it again as this one.', entry.title);
      }
      onProgress?.({ stage: 'signing', done: i, total: previewIds.length, subject: entry.title });
      const contribution = await submitOne(ctx, entry, identity);
      ctx.previews.delete(previewId);
      result.submitted.push(contribution);
    } catch (e) {
      result.failed.push({ previewId, error: toErrorInfo(e) });
    }
    onProgress?.({ stage: 'writing', done: i + 1, total: previewIds.length });
  }
  return result;
}

/** The passages still new in the Datanet and the payload to sign over them (nothing written). */
async function buildPayload(ctx: ServiceContext, entry: PreviewEntry, contributor: Address): Promise<{ payload: ContributionPayload; kept: PreviewEntry['chunks'] }> {
  const { db } = ctx;
  const datanet = await db.datanets.get(entry.datanetId);
  if (!datanet) throw new TributaryError('datanet/not-found', 'The Datanet of this preview no longer exists.', entry.datanetId);

  // Passage duplicates as of now (earlier submissions of the same batch included); they are left out.
  const existing = await findPassageDuplicates(db, datanet.id, entry.chunks.map((c) => c.dedupeHash));
  const kept = entry.chunks.filter((c) => !existing.has(c.dedupeHash));
  if (kept.length === 0) {
    const first = existing.values().next().value;
    throw first
      ? exactDuplicate(entry.title, first)
      : new TributaryError('file/no-text', 'No text left to submit.', entry.title);
  }
  const payload: ContributionPayload = {
    datanetId: datanet.id,
    contributor,
    title: entry.title,
    mediaType: entry.mediaType,
    textHash: entry.textHash,
    // Over the exact-text hashes: the signature covers the exact text of every kept passage.
    chunksHash: hashPassageList(kept.map((c) => c.hash)),
    chunkCount: kept.length,
    createdAt: ctx.deps.now(),
  };
  return { payload, kept };
}

async function submitOne(ctx: ServiceContext, entry: PreviewEntry, identity: Identity): Promise<Contribution> {
  const { payload, kept } = await buildPayload(ctx, entry, identity.address);
  // Signing is asynchronous work outside IndexedDB: it must finish before the transaction opens.
  const { id, signature } = await signContribution(payload, identity.privateKey);
  return storeContribution(ctx, entry, payload, kept, id, signature);
}

async function storeContribution(
  ctx: ServiceContext,
  entry: PreviewEntry,
  payload: ContributionPayload,
  kept: PreviewEntry['chunks'],
  id: Hex,
  signature: Hex,
): Promise<Contribution> {
  const { db } = ctx;
  const datanet = { id: payload.datanetId };
  const identity = { address: payload.contributor };
  const now = payload.createdAt;
  const contribution: Contribution = {
    ...payload,
    id,
    signature,
    sourceBytes: entry.sourceBytes,
    status: 'pending',
    minhash: entry.minhash,
  };
  const chunks: Passage[] = kept.map((c, index) => ({
    hash: c.hash,
    dedupeHash: c.dedupeHash,
    contributionId: id,
    datanetId: datanet.id,
    index,
    text: c.text,
    start: c.start,
    end: c.end,
  }));

  try {
    await db.transaction('rw', [db.datanets, db.contributions, db.chunks, db.uploads], async () => {
      // Re-check inside the transaction: another tab (or an earlier preview of this batch) may have
      // written since the preview, or the owner deleted the Datanet meanwhile (no contribution may outlive it).
      if (!(await db.datanets.get(datanet.id))) throw new TributaryError('datanet/not-found', 'The Datanet of this preview was deleted meanwhile: nothing was saved.', datanet.id);
      const exact = await findTextDuplicate(db, datanet.id, entry.textHash);
      if (exact) throw exactDuplicate(entry.title, { contributionId: exact.id, title: exact.title });
      const near = await findNearDuplicate(db, datanet.id, entry.minhash);
      if (near) throw nearDuplicate(entry.title, { contributionId: near.contribution.id, title: near.contribution.title }, near.similarity);
      const dupChunks = await findPassageDuplicates(db, datanet.id, chunks.map((c) => c.dedupeHash));
      const dup = dupChunks.values().next().value;
      if (dup) {
        throw new TributaryError(
          'duplicate/exact',
          `A passage of it was added to this Datanet meanwhile (in "${dup.title}", ${dup.contributionId}): preview it again.`,
          entry.title,
        );
      }
      const day = utcDay(now);
      checkDailyLimits(await uploadsToday(db, datanet.id, identity.address, day), [{ name: entry.title, bytes: entry.sourceBytes }]);
      await addContribution(db, contribution);
      await addPassages(db, chunks);
      await addUpload(db, {
        datanetId: datanet.id,
        contributor: identity.address,
        day,
        bytes: entry.sourceBytes,
        contributionId: id,
        createdAt: now,
      });
    });
  } catch (e) {
    throw asTributaryError(e);
  }
  return contribution;
}

/**
 * The wallet path, step 1: the payloads to sign for these previews (passages that became duplicates
 * meanwhile are left out, as in `submitContributions`). Writes nothing.
 */
export async function prepareContributions(
  ctx: ServiceContext,
  previewIds: string[],
  contributorInput: Address,
): Promise<{ prepared: PreparedContribution[]; failed: SubmitResult['failed'] }> {
  const prepared: PreparedContribution[] = [];
  const failed: SubmitResult['failed'] = [];
  let contributor: Address;
  try {
    contributor = canonicalAddress(contributorInput);
  } catch (e) {
    return { prepared, failed: previewIds.map((previewId) => ({ previewId, error: toErrorInfo(e) })) };
  }
  for (const previewId of previewIds) {
    try {
      const entry = requirePreview(ctx, previewId, contributor);
      prepared.push({ previewId, payload: (await buildPayload(ctx, entry, contributor)).payload });
    } catch (e) {
      failed.push({ previewId, error: toErrorInfo(e) });
    }
  }
  return { prepared, failed };
}

/**
 * The wallet path, step 2: store contributions whose payloads the contributor's wallet signed. Each
 * signature is verified (EIP-712, recovered signer = contributor) and each payload must still match its
 * preview and the passages still new in the Datanet; then it is stored exactly like a locally signed one.
 */
export async function submitSignedContributions(
  ctx: ServiceContext,
  items: { previewId: string; payload: ContributionPayload; signature: Hex }[],
  onProgress?: ProgressCallback,
): Promise<SubmitResult> {
  const result: SubmitResult = { submitted: [], failed: [] };
  for (const [i, item] of items.entries()) {
    try {
      const contributor = canonicalAddress(item.payload.contributor);
      const entry = requirePreview(ctx, item.previewId, contributor);
      onProgress?.({ stage: 'signing', done: i, total: items.length, subject: entry.title });
      const payload = contributionPayloadOf({ ...item.payload, contributor });
      if (!(await verifyContribution(payload, item.signature))) {
        throw new TributaryError('signature/invalid', `The signature is not ${contributor}'s signature of this contribution: sign it again in your wallet.`, entry.title);
      }
      const { payload: fresh, kept } = await buildPayload(ctx, entry, contributor);
      if (
        payload.datanetId !== fresh.datanetId ||
        payload.title !== fresh.title ||
        payload.mediaType !== fresh.mediaType ||
        payload.textHash !== fresh.textHash ||
        payload.chunksHash !== fresh.chunksHash ||
        payload.chunkCount !== fresh.chunkCount
      ) {
        throw new TributaryError('contribution/not-found', 'The signed contribution no longer matches its preview (passages changed meanwhile): preview it again.', entry.title);
      }
      if (Math.abs(payload.createdAt - ctx.deps.now()) > SIGNED_PAYLOAD_MAX_AGE_MS) {
        throw new TributaryError('signature/invalid', 'This signature is too old (or from the future): sign it again.', entry.title);
      }
      const contribution = await storeContribution(ctx, entry, payload, kept, hashContribution(payload), item.signature);
      ctx.previews.delete(item.previewId);
      result.submitted.push(contribution);
    } catch (e) {
      result.failed.push({ previewId: item.previewId, error: toErrorInfo(e) });
    }
    onProgress?.({ stage: 'writing', done: i + 1, total: items.length });
  }
  return result;
}

/** How far a wallet-signed payload's `createdAt` may be from the time it is stored. */
export const SIGNED_PAYLOAD_MAX_AGE_MS = 30 * 60_000;

function requirePreview(ctx: ServiceContext, previewId: string, contributor: Address): PreviewEntry {
  const entry = ctx.previews.get(previewId, ctx.deps.now());
  if (!entry) {
    throw new TributaryError('contribution/not-found', 'This preview is no longer available: preview the file again, then submit.', previewId);
  }
  if (!sameAddress(entry.contributor, contributor)) {
    throw new TributaryError('identity/not-found', 'This preview was made for another identity: preview it again as this one.', entry.title);
  }
  return entry;
}
