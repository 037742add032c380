/**
 * The prebuilt index files a pack carries under `indexes/` (docs/PACK-FORMAT.md, docs/ATTRIBUTION.md):
 *
 * - `indexes/spans.sa` — the suffix array of the version's word corpus: magic `TRBSPAN1`, a u32 header length,
 *   the header (UTF-8 JSON: datanetId, version, merkleRoot, words, vocab, corpusHash), zero padding to 4 bytes,
 *   then `words` little-endian i32 positions. 4 bytes per word of text; the text itself is NOT stored (it is
 *   rebuilt from the pack's passages, and `corpusHash` = SHA-256 of its i32 bytes binds the two).
 * - `indexes/embeddings.i8` — passage vectors: magic `TRBEMB01`, u32 header length, header (datanetId, version,
 *   merkleRoot, encoder {id, hash, dims}, count, passagesHash), padding to 4, `count` f32 scales, then
 *   `count × dims` int8 values in corpus passage order. dims + 4 bytes per passage.
 *
 * Loading checks everything that can be checked without the model: the header names this very Datanet version,
 * the suffix array is exactly the corpus's (O(n) check), the vectors cover exactly these passages. A file that
 * cannot be parsed is `attribution/index-corrupt`; one made for other data is `attribution/index-mismatch`.
 */
import { TributaryError } from '../core/errors.ts';
import { sha256Hex, sha256Text } from '../core/hash.ts';
import type { Hex } from '../core/types.ts';
import type { Corpus } from './corpus.ts';
import type { DatanetSource, EmbeddingIndex } from './datanetIndex.ts';
import type { EncoderRef } from './encoder.ts';
import { isSuffixArrayOf } from './suffixArray.ts';
import { Int8VectorSearch } from './vectorTopK.ts';

export const SPANS_FILE = 'indexes/spans.sa';
export const EMBEDDINGS_FILE = 'indexes/embeddings.i8';
const SPAN_MAGIC = 'TRBSPAN1';
const EMB_MAGIC = 'TRBEMB01';

interface SpanHeader {
  datanetId: string;
  version: number;
  merkleRoot: Hex;
  words: number;
  vocab: number;
  corpusHash: Hex;
}

interface EmbHeader {
  datanetId: string;
  version: number;
  merkleRoot: Hex;
  encoder: EncoderRef;
  count: number;
  passagesHash: Hex;
}

export function corpusHash(corpus: Corpus): Hex {
  return sha256Hex(new Uint8Array(corpus.text.buffer, corpus.text.byteOffset, corpus.text.byteLength));
}

/** Hash of the passages in corpus order: which passage each vector belongs to. */
export function passagesHash(corpus: Corpus): Hex {
  return sha256Text(corpus.passages.map((p) => `${p.contributionId}:${p.passageIndex}:${sha256Text(p.text)}`).join('\n'));
}

function frame(magic: string, header: object, payloadBytes: number): { bytes: Uint8Array; payloadOffset: number } {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const payloadOffset = Math.ceil((12 + h.length) / 4) * 4;
  const bytes = new Uint8Array(payloadOffset + payloadBytes);
  bytes.set(new TextEncoder().encode(magic), 0);
  new DataView(bytes.buffer).setUint32(8, h.length, true);
  bytes.set(h, 12);
  return { bytes, payloadOffset };
}

function unframe(bytes: Uint8Array, magic: string, file: string): { header: Record<string, unknown>; payload: Uint8Array } {
  const corrupt = (why: string): never => {
    throw new TributaryError('attribution/index-corrupt', `${why}; the index is damaged and was not used. Re-download the pack or rebuild its indexes (npm run cli -- index).`, file);
  };
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== magic) corrupt(`not a ${magic} file`);
  const hl = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (12 + hl > bytes.length) corrupt('the header runs past the end of the file');
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + hl)));
  } catch {
    corrupt('the header is not JSON');
  }
  if (typeof header !== 'object' || header === null) corrupt('the header is not an object');
  const off = Math.ceil((12 + hl) / 4) * 4;
  // copy so that typed views are aligned whatever the source buffer's offset
  return { header: header as Record<string, unknown>, payload: bytes.slice(Math.min(off, bytes.length)) };
}

function checkSameVersion(h: Record<string, unknown>, src: Pick<DatanetSource, 'datanetId' | 'version' | 'merkleRoot'>, file: string): void {
  if (h.datanetId !== src.datanetId || h.version !== src.version || String(h.merkleRoot).toLowerCase() !== src.merkleRoot.toLowerCase()) {
    throw new TributaryError(
      'attribution/index-mismatch',
      `this index was made for ${String(h.datanetId)} v${String(h.version)} (root ${String(h.merkleRoot).slice(0, 10)}…), not for ${src.datanetId} v${src.version} (root ${src.merkleRoot.slice(0, 10)}…); it was not used.`,
      file,
    );
  }
}

export function encodeSpanIndex(src: Pick<DatanetSource, 'datanetId' | 'version' | 'merkleRoot'>, corpus: Corpus, sa: Int32Array): Uint8Array {
  const header: SpanHeader = { datanetId: src.datanetId, version: src.version, merkleRoot: src.merkleRoot.toLowerCase() as Hex, words: sa.length, vocab: corpus.vocab.length, corpusHash: corpusHash(corpus) };
  const { bytes, payloadOffset } = frame(SPAN_MAGIC, header, sa.byteLength);
  bytes.set(new Uint8Array(sa.buffer, sa.byteOffset, sa.byteLength), payloadOffset);
  return bytes;
}

/** The suffix array from `indexes/spans.sa`, verified against the corpus rebuilt from the same version's passages. */
export function decodeSpanIndex(bytes: Uint8Array, src: Pick<DatanetSource, 'datanetId' | 'version' | 'merkleRoot'>, corpus: Corpus): Int32Array {
  const { header, payload } = unframe(bytes, SPAN_MAGIC, SPANS_FILE);
  checkSameVersion(header, src, SPANS_FILE);
  if (header.corpusHash !== corpusHash(corpus) || header.words !== corpus.text.length) {
    throw new TributaryError('attribution/index-mismatch', `the suffix array was built over other passages than this version's (text hash or length differs); it was not used.`, SPANS_FILE);
  }
  if (payload.byteLength !== corpus.text.length * 4) {
    throw new TributaryError('attribution/index-corrupt', `the suffix array holds ${payload.byteLength} bytes, expected ${corpus.text.length * 4}; the index is damaged and was not used.`, SPANS_FILE);
  }
  const sa = new Int32Array(payload.buffer, payload.byteOffset, corpus.text.length);
  if (!isSuffixArrayOf(sa, corpus.text)) {
    throw new TributaryError('attribution/index-corrupt', 'the suffix array is not the sorted order of this text; the index is damaged and was not used.', SPANS_FILE);
  }
  return sa;
}

export function encodeEmbeddingIndex(src: Pick<DatanetSource, 'datanetId' | 'version' | 'merkleRoot'>, corpus: Corpus, e: EmbeddingIndex): Uint8Array {
  const { count, dims, scales, data } = e.vectors;
  const header: EmbHeader = { datanetId: src.datanetId, version: src.version, merkleRoot: src.merkleRoot.toLowerCase() as Hex, encoder: { ...e.encoder }, count, passagesHash: passagesHash(corpus) };
  const { bytes, payloadOffset } = frame(EMB_MAGIC, header, count * 4 + count * dims);
  bytes.set(new Uint8Array(scales.buffer, scales.byteOffset, scales.byteLength), payloadOffset);
  bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), payloadOffset + count * 4);
  return bytes;
}

export function decodeEmbeddingIndex(bytes: Uint8Array, src: Pick<DatanetSource, 'datanetId' | 'version' | 'merkleRoot'>, corpus: Corpus): EmbeddingIndex {
  const { header, payload } = unframe(bytes, EMB_MAGIC, EMBEDDINGS_FILE);
  checkSameVersion(header, src, EMBEDDINGS_FILE);
  const enc = header.encoder as EncoderRef | undefined;
  const count = header.count;
  if (!enc || typeof enc.id !== 'string' || typeof enc.hash !== 'string' || !Number.isInteger(enc.dims) || enc.dims < 1 || enc.dims > 65536 || !Number.isInteger(count)) {
    throw new TributaryError('attribution/index-corrupt', 'the embedding header lacks its encoder or sizes; the index is damaged and was not used.', EMBEDDINGS_FILE);
  }
  if (header.passagesHash !== passagesHash(corpus) || count !== corpus.passages.length) {
    throw new TributaryError('attribution/index-mismatch', 'the embeddings were made for other passages than this version\'s; they were not used.', EMBEDDINGS_FILE);
  }
  const n = count as number;
  if (payload.byteLength !== n * 4 + n * enc.dims) {
    throw new TributaryError('attribution/index-corrupt', `the embedding file holds ${payload.byteLength} bytes of vectors, expected ${n * 4 + n * enc.dims}; the index is damaged and was not used.`, EMBEDDINGS_FILE);
  }
  const scales = new Float32Array(payload.buffer, payload.byteOffset, n);
  for (const s of scales) {
    if (!Number.isFinite(s) || s < 0 || s > 1) throw new TributaryError('attribution/index-corrupt', 'a vector scale is not a finite number in [0, 1]; the index is damaged and was not used.', EMBEDDINGS_FILE);
  }
  const data = new Int8Array(payload.buffer, payload.byteOffset + n * 4, n * enc.dims);
  const vectors = { dims: enc.dims, count: n, data, scales };
  return { encoder: { id: enc.id, hash: enc.hash, dims: enc.dims }, vectors, search: new Int8VectorSearch(vectors) };
}
