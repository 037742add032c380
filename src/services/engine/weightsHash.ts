/**
 * The content hash of a loaded model's weights (core/attribution/weightsHash): what attribution records name the model
 * by, the same value `npm run cli` computes from the same files. A weight file's SHA-256 comes from the source's listing
 * when it states one (the demo manifest, a hub listing: the download was checked against it), else it is computed
 * here from the file's bytes, read in slices so a large file is never held twice.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { modelWeightsHash } from '../../core/attribution/weightsHash.ts';
import type { Hex } from '../../core/types.ts';
import type { ManifestEntry, ModelSource } from '../../engine/formats/modelSource.ts';

const SLICE = 8 * 1024 * 1024;

export async function loadedWeightsHash(source: ModelSource, weightFiles: readonly string[], listing: readonly ManifestEntry[] | undefined): Promise<Hex> {
  const files: { path: string; sha256: string }[] = [];
  for (const path of [...new Set(weightFiles)]) {
    const stated = listing?.find((e) => e.path === path)?.sha256;
    if (stated && /^(0x)?[0-9a-fA-F]{64}$/.test(stated)) {
      files.push({ path, sha256: stated });
      continue;
    }
    const reader = await source.reader(path);
    const h = sha256.create();
    for (let at = 0; at < reader.size; at += SLICE) h.update(await reader.read(at, Math.min(reader.size, at + SLICE)));
    files.push({ path, sha256: bytesToHex(h.digest()) });
  }
  return modelWeightsHash(files);
}
