/**
 * Datanet indexes and packs: build the `indexes/` files a pack carries, verify them when a pack is imported
 * (a corrupt or mismatched index refuses the whole import, so nothing is written), and load a pack's index
 * for attribution, building locally (with progress) what the pack does not carry.
 */
import type { VerifiedPack } from '../core/pack/types.ts';
import { assembleIndex, corpusOf, embedCorpus, type DatanetIndex, type DatanetSource, type EmbeddingIndex, type IndexBuildProgress } from './datanetIndex.ts';
import type { Hex } from '../core/types.ts';
import type { EncoderRef, PassageEncoder } from './encoder.ts';
import { decodeEmbeddingIndex, decodeSpanIndex, EMBEDDINGS_FILE, encodeEmbeddingIndex, encodeSpanIndex, SPANS_FILE } from './indexFiles.ts';
import { buildSuffixArray } from './suffixArray.ts';

/** The Datanet version a verified pack holds, as index input. */
export function sourceFromPack(pack: Pick<VerifiedPack, 'datanet' | 'version' | 'contributions' | 'chunks'>): DatanetSource {
  return {
    datanetId: pack.datanet.id,
    version: pack.version.version,
    merkleRoot: pack.version.merkleRoot,
    contributions: pack.contributions.map((c) => ({ id: c.id, contributor: c.contributor })),
    passages: pack.chunks.map((c) => ({ contributionId: c.contributionId, index: c.index, text: c.text })),
  };
}

/** The `indexes/` files for a Datanet version: the suffix array, and passage vectors when an encoder is given. */
export async function buildIndexFiles(src: DatanetSource, opts: { encoder?: PassageEncoder; onProgress?: IndexBuildProgress } = {}): Promise<Map<string, Uint8Array>> {
  const corpus = corpusOf(src, opts.onProgress);
  opts.onProgress?.('suffix-array', 0, corpus.text.length);
  const sa = buildSuffixArray(corpus.text, corpus.vocab.length);
  opts.onProgress?.('suffix-array', corpus.text.length, corpus.text.length);
  const files = new Map<string, Uint8Array>([[SPANS_FILE, encodeSpanIndex(src, corpus, sa)]]);
  if (opts.encoder) files.set(EMBEDDINGS_FILE, encodeEmbeddingIndex(src, corpus, await embedCorpus(corpus, opts.encoder, opts.onProgress)));
  return files;
}

/** An index file of a pack that passed `verifyPackIndexes`, ready to be stored (store/attributionIndexes). */
export interface VerifiedIndexFile {
  datanetId: string;
  version: number;
  merkleRoot: Hex;
  kind: 'spans' | 'embeddings';
  encoder: EncoderRef | null;
  bytes: Uint8Array;
}

/**
 * Checks every index file a pack carries against the pack's own Datanet version, and returns them for storing. Call
 * before writing anything of an imported pack.
 * @throws TributaryError `attribution/index-corrupt` or `attribution/index-mismatch` naming the file.
 */
export function verifyPackIndexes(pack: VerifiedPack): VerifiedIndexFile[] {
  if (!pack.indexes || pack.indexes.size === 0) return [];
  const src = sourceFromPack(pack);
  const corpus = corpusOf(src);
  const at = { datanetId: src.datanetId, version: src.version, merkleRoot: src.merkleRoot.toLowerCase() as Hex };
  const out: VerifiedIndexFile[] = [];
  const spans = pack.indexes.get(SPANS_FILE);
  if (spans) {
    decodeSpanIndex(spans, src, corpus);
    out.push({ ...at, kind: 'spans', encoder: null, bytes: spans });
  }
  const emb = pack.indexes.get(EMBEDDINGS_FILE);
  if (emb) out.push({ ...at, kind: 'embeddings', encoder: { ...decodeEmbeddingIndex(emb, src, corpus).encoder }, bytes: emb });
  return out;
}

export interface LoadedIndex {
  index: DatanetIndex;
  /** where the suffix array and the embeddings came from */
  spans: 'pack' | 'local';
  embeddings: 'pack' | 'local' | 'none';
}

/**
 * A ready index for a pack: its prebuilt files where present (verified; refused with a typed error when
 * corrupt or mismatched), the rest built here. Embeddings made by another encoder than `encoder` are not
 * used: they are rebuilt with `encoder` (an index is only ever queried with the encoder that made it).
 */
export async function loadPackIndex(pack: VerifiedPack, opts: { encoder?: PassageEncoder; onProgress?: IndexBuildProgress } = {}): Promise<LoadedIndex> {
  const src = sourceFromPack(pack);
  const corpus = corpusOf(src, opts.onProgress);
  const spanFile = pack.indexes?.get(SPANS_FILE);
  let sa: Int32Array;
  let spans: LoadedIndex['spans'] = 'pack';
  if (spanFile) sa = decodeSpanIndex(spanFile, src, corpus);
  else {
    spans = 'local';
    opts.onProgress?.('suffix-array', 0, corpus.text.length);
    sa = buildSuffixArray(corpus.text, corpus.vocab.length);
    opts.onProgress?.('suffix-array', corpus.text.length, corpus.text.length);
  }
  let embeddings: EmbeddingIndex | null = null;
  let from: LoadedIndex['embeddings'] = 'none';
  const embFile = pack.indexes?.get(EMBEDDINGS_FILE);
  if (embFile) {
    const e = decodeEmbeddingIndex(embFile, src, corpus);
    if (!opts.encoder || (e.encoder.id === opts.encoder.ref.id && e.encoder.hash === opts.encoder.ref.hash && e.encoder.dims === opts.encoder.ref.dims)) {
      embeddings = e;
      from = 'pack';
    }
  }
  if (!embeddings && opts.encoder) {
    embeddings = await embedCorpus(corpus, opts.encoder, opts.onProgress);
    from = 'local';
  }
  return { index: assembleIndex(src, corpus, sa, embeddings, opts.onProgress), spans, embeddings: from };
}
