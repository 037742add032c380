/**
 * From a raw text to everything a contribution records about it: the normalised text, its (dedupe) hash,
 * its chunks with their exact and dedupe hashes, the chunk-list hash and a MinHash signature. Pure and
 * synchronous.
 */
import { splitPassages, type Tokenizer } from './passage.ts';
import { TributaryError } from './errors.ts';
import { hashPassageList, sha256Text } from './hash.ts';
import { minhashSignature } from './minhash.ts';
import { normalizeForHash, normalizeText } from './normalize.ts';
import type { PassageOptions, Hex } from './types.ts';

export interface PreparedPassage {
  index: number;
  /** Character offsets in `normalized`. */
  start: number;
  end: number;
  text: string;
  /** `sha256Text(text)`: the exact passage text (integrity; what `chunksHash` covers). */
  hash: Hex;
  /** `sha256Text(normalizeForHash(text))`: case/whitespace-insensitive, for duplicate detection only. */
  dedupeHash: Hex;
}

export interface PreparedText {
  /** `normalizeText` of the input: the text that is stored, chunked and hashed. */
  normalized: string;
  /** `sha256Text(normalizeForHash(normalized))`: exact-duplicate identity. */
  textHash: Hex;
  chunks: PreparedPassage[];
  /** `hashPassageList` of the chunks' exact-text hashes (`hash`), in order. */
  chunksHash: Hex;
  /** `minhashSignature(normalized)`, for near-duplicate checks. */
  minhash: number[];
}

/**
 * Normalises, chunks and hashes a text. Throws `file/no-text` when nothing is left after normalising,
 * and `datanet/invalid` for bad chunking options (or token chunking without a tokenizer).
 */
export function prepareText(text: string, chunking: PassageOptions, tokenizer?: Tokenizer): PreparedText {
  const normalized = normalizeText(text);
  if (normalized === '') {
    throw new TributaryError('file/no-text', 'there is no text in it (only whitespace); add a file or paste some text with words in it.');
  }
  const chunks = splitPassages(normalized, chunking, tokenizer).map((s) => ({
    index: s.index,
    start: s.start,
    end: s.end,
    text: s.text,
    hash: sha256Text(s.text),
    dedupeHash: sha256Text(normalizeForHash(s.text)),
  }));
  return {
    normalized,
    textHash: sha256Text(normalizeForHash(normalized)),
    chunks,
    chunksHash: hashPassageList(chunks.map((c) => c.hash)),
    minhash: minhashSignature(normalized),
  };
}
