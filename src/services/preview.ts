/**
 * Preview: run each source through extraction, normalisation, chunking and hashing, then check
 * duplicates and daily limits. Writes nothing; ok previews wait in memory for `submitContributions`.
 */
import type { ContributionPreview, ContributionSource, PreviewPassage, ProgressCallback } from '../workerApi/dataApi.ts';
import { TributaryError } from '../core/errors.ts';
import { checkDailyLimits, checkFileSize, utcDay } from '../core/limits.ts';
import { estimateJaccard, NEAR_DUPLICATE_THRESHOLD } from '../core/minhash.ts';
import { normalizeText } from '../core/normalize.ts';
import { prepareText } from '../core/prepareText.ts';
import type { Address, Datanet, Hex } from '../core/types.ts';
import { extractText } from '../ingest/extractText.ts';
import { findPassageDuplicates, findNearDuplicate, findTextDuplicate, type DuplicateRef } from '../store/duplicates.ts';
import { uploadsToday } from '../store/uploads.ts';
import type { ServiceContext } from './context.ts';
import type { PreviewEntry } from './previewStore.ts';
import { canonicalAddress, randomHex, toErrorInfo, utf8Length, withSubject } from './util.ts';

export const PASTED_TEXT_TITLE = 'Pasted text';

/** An earlier ok source of the same batch, for in-batch duplicate checks. */
interface BatchItem {
  entry: PreviewEntry;
}

export function percent(similarity: number): string {
  return `${Math.round(similarity * 100)} %`;
}

export async function requireDatanet(ctx: ServiceContext, datanetId: string): Promise<Datanet> {
  const datanet = await ctx.db.datanets.get(datanetId);
  if (!datanet) throw new TributaryError('datanet/not-found', 'This Datanet does not exist in this browser: pick one from the list.', datanetId);
  return datanet;
}

export async function previewContributions(
  ctx: ServiceContext,
  datanetId: string,
  contributorInput: Address,
  sources: ContributionSource[],
  onProgress?: ProgressCallback,
): Promise<ContributionPreview[]> {
  const datanet = await requireDatanet(ctx, datanetId);
  const contributor = canonicalAddress(contributorInput);
  const now = ctx.deps.now();
  // Uploads already stored today, plus the ok sources of this batch as they are accepted.
  const used = { ...(await uploadsToday(ctx.db, datanet.id, contributor, utcDay(now))) };
  const batch: BatchItem[] = [];
  const results: ContributionPreview[] = [];

  for (const [i, source] of sources.entries()) {
    const title = sourceTitle(source);
    try {
      const entry = await prepareSource(ctx, datanet, contributor, source, title, now, onProgress);
      onProgress?.({ stage: 'checking', done: i, total: sources.length, subject: title });
      const chunks = await checkDuplicates(ctx, datanet, entry, batch);
      checkDailyLimits(used, [{ name: title, bytes: entry.sourceBytes }]);
      used.files += 1;
      used.bytes += entry.sourceBytes;
      batch.push({ entry });
      ctx.previews.put(entry, now);
      results.push({
        ok: true,
        previewId: entry.previewId,
        title,
        mediaType: entry.mediaType,
        sourceBytes: entry.sourceBytes,
        textHash: entry.textHash,
        textLength: entry.textLength,
        chunks,
        newChunkCount: chunks.filter((c) => !c.duplicateOf).length,
      });
    } catch (e) {
      results.push({ ok: false, title, error: toErrorInfo(withSubject(e, title)) });
    }
    onProgress?.({ stage: 'checking', done: i + 1, total: sources.length, subject: title });
  }
  return results;
}

function sourceTitle(source: ContributionSource): string {
  if (source.kind === 'file') return String(source.name);
  const t = String(source.title ?? '').trim();
  return t || PASTED_TEXT_TITLE;
}

/** Extract (files) or normalise (pasted text), then chunk and hash with the Datanet's options. */
async function prepareSource(
  ctx: ServiceContext,
  datanet: Datanet,
  contributor: Address,
  source: ContributionSource,
  title: string,
  now: number,
  onProgress?: ProgressCallback,
): Promise<PreviewEntry & { textLength: number }> {
  let text: string;
  let mediaType: string;
  let sourceBytes: number;
  if (source.kind === 'file') {
    sourceBytes = source.bytes.byteLength;
    onProgress?.({ stage: 'reading', done: 0, total: sourceBytes, subject: title });
    checkFileSize(title, sourceBytes);
    const extracted = await extractText(title, source.bytes, onProgress && ((p) => onProgress({ ...p, subject: title })));
    text = extracted.text;
    mediaType = extracted.mediaType;
  } else {
    sourceBytes = utf8Length(String(source.text ?? ''));
    onProgress?.({ stage: 'reading', done: sourceBytes, total: sourceBytes, subject: title });
    checkFileSize(title, sourceBytes);
    text = normalizeText(String(source.text ?? ''));
    mediaType = 'text/plain';
    if (text.length === 0) throw new TributaryError('file/no-text', 'The pasted text is empty: paste some text first.', title);
  }
  onProgress?.({ stage: 'chunking', done: 0, total: text.length, subject: title });
  const prepared = prepareText(text, datanet.chunking);
  onProgress?.({ stage: 'hashing', done: prepared.chunks.length, total: prepared.chunks.length, subject: title });
  if (prepared.chunks.length === 0) throw new TributaryError('file/no-text', 'No text was found in it: check that it contains text.', title);
  return {
    previewId: `0x${randomHex(ctx.deps.randomBytes, 32)}`,
    datanetId: datanet.id,
    contributor,
    title,
    mediaType,
    sourceBytes,
    textHash: prepared.textHash,
    textLength: prepared.normalized.length,
    chunks: prepared.chunks.map((c) => ({ index: c.index, start: c.start, end: c.end, text: c.text, hash: c.hash, dedupeHash: c.dedupeHash })),
    minhash: prepared.minhash,
    createdAt: now,
  };
}

/**
 * Exact, near and passage duplicates against the Datanet (pending and accepted contributions) and
 * against the earlier sources of the same batch. Throws for a whole-text duplicate; returns the
 * preview chunks with passage duplicates marked.
 */
async function checkDuplicates(ctx: ServiceContext, datanet: Datanet, entry: PreviewEntry, batch: BatchItem[]): Promise<PreviewPassage[]> {
  const exact = await findTextDuplicate(ctx.db, datanet.id, entry.textHash);
  if (exact) throw exactDuplicate(entry.title, { contributionId: exact.id, title: exact.title });
  const sameInBatch = batch.find((b) => b.entry.textHash === entry.textHash);
  if (sameInBatch) throw exactDuplicateInBatch(entry.title, sameInBatch.entry.title);

  const near = await findNearDuplicate(ctx.db, datanet.id, entry.minhash);
  if (near) throw nearDuplicate(entry.title, { contributionId: near.contribution.id, title: near.contribution.title }, near.similarity);
  for (const b of batch) {
    const similarity = estimateJaccard(entry.minhash, b.entry.minhash);
    if (similarity >= NEAR_DUPLICATE_THRESHOLD) {
      throw new TributaryError(
        'duplicate/near',
        `It is ${percent(similarity)} similar to "${b.entry.title}" in this same batch: hand in only one of them.`,
        entry.title,
      );
    }
  }

  // Passage duplicates go by dedupe hash: case and whitespace layout do not make a passage new.
  const stored = await findPassageDuplicates(ctx.db, datanet.id, entry.chunks.map((c) => c.dedupeHash));
  const inBatch = new Map<Hex, DuplicateRef>();
  for (const b of batch) {
    for (const c of b.entry.chunks) {
      // A batch source has no contribution id before it is signed: its preview id stands in.
      if (!inBatch.has(c.dedupeHash)) inBatch.set(c.dedupeHash, { contributionId: b.entry.previewId as Hex, title: b.entry.title });
    }
  }
  const chunks: PreviewPassage[] = entry.chunks.map((c) => {
    const base = { index: c.index, text: c.text, hash: c.hash, dedupeHash: c.dedupeHash };
    const dup = stored.get(c.dedupeHash) ?? inBatch.get(c.dedupeHash);
    return dup ? { ...base, duplicateOf: dup } : base;
  });
  const firstDup = chunks.find((c) => c.duplicateOf)?.duplicateOf;
  if (firstDup && chunks.every((c) => c.duplicateOf)) {
    throw new TributaryError(
      'duplicate/exact',
      `Every passage of it is already in this Datanet (e.g. in "${firstDup.title}", ${firstDup.contributionId}): nothing new to add.`,
      entry.title,
    );
  }
  return chunks;
}

export function exactDuplicate(title: string, existing: DuplicateRef): TributaryError {
  return new TributaryError(
    'duplicate/exact',
    `The same text is already in this Datanet as "${existing.title}" (${existing.contributionId}): it is not added twice.`,
    title,
  );
}

function exactDuplicateInBatch(title: string, other: string): TributaryError {
  return new TributaryError('duplicate/exact', `It has the same text as "${other}" in this same batch: hand in only one of them.`, title);
}

export function nearDuplicate(title: string, existing: DuplicateRef, similarity: number): TributaryError {
  return new TributaryError(
    'duplicate/near',
    `It is ${percent(similarity)} similar to "${existing.title}" (${existing.contributionId}) already in this Datanet: hand in only texts that add something new.`,
    title,
  );
}
