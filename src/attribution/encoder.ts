/**
 * A passage encoder: turns texts into vectors. An embedding index records which encoder made it (id + content
 * hash + dims) and is only ever queried with that same encoder (`sameEncoder`).
 */
import { TributaryError } from '../core/errors.ts';
import type { Hex } from '../core/types.ts';

export interface EncoderRef {
  id: string;
  hash: Hex;
  dims: number;
}

export interface PassageEncoder {
  readonly ref: EncoderRef;
  /** one vector of `ref.dims` values per text */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

/** Throws `attribution/encoder-mismatch` unless `query` is the encoder that made the index. */
export function sameEncoder(index: EncoderRef, query: EncoderRef): void {
  if (index.id !== query.id || index.hash.toLowerCase() !== query.hash.toLowerCase() || index.dims !== query.dims) {
    throw new TributaryError(
      'attribution/encoder-mismatch',
      `the embedding index was made by ${index.id} (${index.hash.slice(0, 10)}…, ${index.dims}-d) but the query encoder is ${query.id} (${query.hash.slice(0, 10)}…, ${query.dims}-d); rebuild the index with the loaded model or load the model that made it.`,
    );
  }
}
