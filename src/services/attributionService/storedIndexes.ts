/**
 * A Datanet version's attribution indexes, loaded from the store when they are there (a pack's verified `indexes/`,
 * or what was built here before) and built — with progress — and stored when they are not. A stored file is
 * re-verified against the passages it must cover (header, corpus hash, O(n) suffix-array check, passages hash): one
 * that fails is dropped and rebuilt, never used. Embeddings are kept per encoder and only ever queried with it.
 */
import { isTributaryError } from '../../core/errors.ts';
import type { Corpus } from '../../attribution/corpus.ts';
import { corpusOf, embedCorpus, type DatanetSource, type EmbeddingIndex, type IndexBuildProgress } from '../../attribution/datanetIndex.ts';
import type { PassageEncoder } from '../../attribution/encoder.ts';
import { decodeEmbeddingIndex, decodeSpanIndex, encodeEmbeddingIndex, encodeSpanIndex } from '../../attribution/indexFiles.ts';
import { buildSuffixArray } from '../../attribution/suffixArray.ts';
import { deleteIndexFile, getIndexFile, indexFileKey, putIndexFile } from '../../store/attributionIndexes.ts';
import type { TributaryDB } from '../../store/db.ts';

export type IndexSource = 'pack' | 'local';

/** Loads a stored file through `decode` (which verifies it); a file that fails is deleted and null returned. */
async function loadVerified<T>(db: TributaryDB, key: string, decode: (bytes: Uint8Array) => T): Promise<{ value: T; source: IndexSource } | null> {
  const row = await getIndexFile(db, key).catch(() => undefined);
  if (!row) return null;
  try {
    return { value: decode(row.bytes), source: row.source };
  } catch (e) {
    if (!isTributaryError(e)) throw e;
    console.warn(`[attribution] stored index ${key} was not used: ${(e as Error).message}`);
    await deleteIndexFile(db, key).catch(() => undefined);
    return null;
  }
}

/** The corpus and suffix array of a version: the stored one (verified) or built here and stored. */
export async function loadOrBuildSpans(db: TributaryDB, src: DatanetSource, now: () => number, onProgress?: IndexBuildProgress): Promise<{ corpus: Corpus; sa: Int32Array; source: IndexSource }> {
  const corpus = corpusOf(src, onProgress);
  const key = indexFileKey(src, 'spans');
  onProgress?.('verify', 0, 1);
  const stored = await loadVerified(db, key, (b) => decodeSpanIndex(b, src, corpus));
  if (stored) return { corpus, sa: stored.value, source: stored.source };
  onProgress?.('suffix-array', 0, corpus.text.length);
  const sa = buildSuffixArray(corpus.text, corpus.vocab.length);
  onProgress?.('suffix-array', corpus.text.length, corpus.text.length);
  await putIndexFile(db, { datanetId: src.datanetId, version: src.version, merkleRoot: src.merkleRoot, kind: 'spans', encoder: null, source: 'local', bytes: encodeSpanIndex(src, corpus, sa), createdAt: now() }).catch(() => undefined);
  return { corpus, sa, source: 'local' };
}

/** The passage vectors of a version by `encoder`: the stored ones made by this very encoder, or embedded and stored. */
export async function loadOrBuildEmbeddings(db: TributaryDB, src: DatanetSource, corpus: Corpus, encoder: PassageEncoder, now: () => number, onProgress?: IndexBuildProgress): Promise<{ index: EmbeddingIndex; source: IndexSource }> {
  const ref = encoder.ref;
  const key = indexFileKey(src, 'embeddings', ref.hash);
  const stored = await loadVerified(db, key, (b) => decodeEmbeddingIndex(b, src, corpus));
  if (stored && stored.value.encoder.id === ref.id && stored.value.encoder.hash.toLowerCase() === ref.hash.toLowerCase() && stored.value.encoder.dims === ref.dims) return { index: stored.value, source: stored.source };
  const index = await embedCorpus(corpus, encoder, onProgress);
  await putIndexFile(db, { datanetId: src.datanetId, version: src.version, merkleRoot: src.merkleRoot, kind: 'embeddings', encoder: { ...ref }, source: 'local', bytes: encodeEmbeddingIndex(src, corpus, index), createdAt: now() }).catch(() => undefined);
  return { index, source: 'local' };
}
