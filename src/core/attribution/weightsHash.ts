/**
 * The content hash an attribution record names a model by (record version 2): the SHA-256 of its weight files' bytes.
 *
 * Rule: take the model folder's safetensors weight files (`model.safetensors`, or the shards an index names; never the
 * index itself nor an adapter); one file → the SHA-256 of its bytes (what `sha256sum model.safetensors` prints, and
 * what a hub listing or the demo manifest states); several → the SHA-256 of the UTF-8 text made of one line
 * `<path>\t<sha256 hex>\n` per file, sorted by path. The same bytes give the same hash in Node and in the browser,
 * whatever device or quantisation the model then runs with.
 */
import { TributaryError } from '../errors.ts';
import { sha256Text } from '../hash.ts';
import type { Hex } from '../types.ts';

export interface WeightFileHash {
  /** the file's path within the model folder */
  path: string;
  /** SHA-256 of its bytes, hex with or without 0x */
  sha256: string;
}

export function modelWeightsHash(files: readonly WeightFileHash[]): Hex {
  if (files.length === 0) throw new TributaryError('attribution/invalid-input', 'a model has at least one weight file to hash.');
  const norm = files.map((f) => {
    const h = f.sha256.replace(/^0x/, '').toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(h)) throw new TributaryError('attribution/invalid-input', `the SHA-256 of ${f.path} is not 64 hex digits.`, f.path);
    return { path: f.path, sha256: h };
  });
  if (new Set(norm.map((f) => f.path)).size !== norm.length) throw new TributaryError('attribution/invalid-input', 'a weight file is listed twice.');
  if (norm.length === 1) return `0x${norm[0]!.sha256}`;
  norm.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return sha256Text(norm.map((f) => `${f.path}\t${f.sha256}\n`).join(''));
}
