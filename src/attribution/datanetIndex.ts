/**
 * Everything attribution needs about one Datanet version, built from its passages: the word corpus and its
 * suffix array (verbatim spans), BM25 (lexical), optionally int8 passage vectors (embeddings), and who
 * contributed what. Deterministic: the same passages give the same index anywhere.
 */
import { TributaryError } from '../core/errors.ts';
import type { Address, Hex } from '../core/types.ts';
import { buildBm25, type Bm25Index } from './bm25.ts';
import { buildCorpus, type Corpus } from './corpus.ts';
import type { EncoderRef, PassageEncoder } from './encoder.ts';
import { quantizeVectors, type Int8Vectors } from './int8Vectors.ts';
import { firstWordRanges } from './spanSearch.ts';
import { buildSuffixArray } from './suffixArray.ts';
import { Int8VectorSearch } from './vectorTopK.ts';

/** The published version a Datanet index covers. */
export interface DatanetSource {
  datanetId: string;
  version: number;
  merkleRoot: Hex;
  contributions: readonly { id: Hex; contributor: Address }[];
  passages: readonly { contributionId: Hex; index: number; text: string }[];
}

export interface EmbeddingIndex {
  encoder: EncoderRef;
  vectors: Int8Vectors;
  search: Int8VectorSearch;
}

export interface DatanetIndex {
  datanetId: string;
  version: number;
  merkleRoot: Hex;
  contributors: ReadonlyMap<Hex, Address>;
  corpus: Corpus;
  sa: Int32Array;
  /** first-word ranges of the suffix array (spanSearch `firstWordRanges`) */
  firstWord: Int32Array;
  bm25: Bm25Index;
  embeddings: EmbeddingIndex | null;
}

export type IndexBuildPhase = 'text' | 'suffix-array' | 'bm25' | 'embedding' | 'verify';
export type IndexBuildProgress = (phase: IndexBuildPhase, done: number, total: number) => void;

export function corpusOf(src: DatanetSource, onProgress?: IndexBuildProgress): Corpus {
  const known = new Set(src.contributions.map((c) => c.id));
  for (const p of src.passages) {
    if (!known.has(p.contributionId)) throw new TributaryError('attribution/invalid-input', `a passage belongs to contribution ${p.contributionId}, which Datanet ${src.datanetId} v${src.version} does not hold.`);
  }
  return buildCorpus(
    src.passages.map((p) => ({ contributionId: p.contributionId, passageIndex: p.index, text: p.text })),
    onProgress ? (d, t) => onProgress('text', d, t) : undefined,
  );
}

/** Embeds every passage (in corpus order) with `encoder` and quantises to int8. */
export async function embedCorpus(corpus: Corpus, encoder: PassageEncoder, onProgress?: IndexBuildProgress): Promise<EmbeddingIndex> {
  const dims = encoder.ref.dims;
  const all = new Float32Array(corpus.passages.length * dims);
  const batch = 16;
  for (let i = 0; i < corpus.passages.length; i += batch) {
    const vs = await encoder.embed(corpus.passages.slice(i, i + batch).map((p) => p.text));
    vs.forEach((v, k) => all.set(v, (i + k) * dims));
    onProgress?.('embedding', Math.min(i + batch, corpus.passages.length), corpus.passages.length);
  }
  const vectors = quantizeVectors(all, dims);
  return { encoder: { ...encoder.ref }, vectors, search: new Int8VectorSearch(vectors) };
}

export function assembleIndex(src: DatanetSource, corpus: Corpus, sa: Int32Array, embeddings: EmbeddingIndex | null, onProgress?: IndexBuildProgress): DatanetIndex {
  onProgress?.('bm25', 0, 1);
  const bm25 = buildBm25(corpus.passages.map((p) => p.text));
  onProgress?.('bm25', 1, 1);
  return {
    datanetId: src.datanetId,
    version: src.version,
    merkleRoot: src.merkleRoot.toLowerCase() as Hex,
    contributors: new Map(src.contributions.map((c) => [c.id.toLowerCase() as Hex, c.contributor])),
    corpus,
    sa,
    firstWord: firstWordRanges(corpus),
    bm25,
    embeddings,
  };
}

/** Builds every index of a Datanet version (embeddings only when an encoder is given). */
export async function buildDatanetIndex(src: DatanetSource, opts: { encoder?: PassageEncoder; onProgress?: IndexBuildProgress } = {}): Promise<DatanetIndex> {
  const corpus = corpusOf(src, opts.onProgress);
  opts.onProgress?.('suffix-array', 0, corpus.text.length);
  const sa = buildSuffixArray(corpus.text, corpus.vocab.length);
  opts.onProgress?.('suffix-array', corpus.text.length, corpus.text.length);
  const embeddings = opts.encoder ? await embedCorpus(corpus, opts.encoder, opts.onProgress) : null;
  return assembleIndex(src, corpus, sa, embeddings, opts.onProgress);
}
