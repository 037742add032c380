/**
 * Reads and verifies a Datanet pack (format and verification order: docs/PACK-FORMAT.md).
 *
 * Nothing is returned unless everything checks out: archive sanity, manifest, every file's size and
 * SHA-256, every record's shape, chunk hashes, chunk lists, the version's Merkle root and every
 * signature. Every failure is a `TributaryError` with a `pack/*` code, the file (and line) at fault as
 * `subject`, and a message saying what is wrong. Pure: no storage, no DOM.
 */
import { isTributaryError } from '../errors.ts';
import { sha256Hex } from '../hash.ts';
import { PACK_FILES, type PackProgressCallback, type VerifiedPack } from './types.ts';
import { DAMAGED, fail } from './packRules.ts';
import { parseManifest } from './parseManifest.ts';
import { unzipPack } from './unzipPack.ts';
import { verifyRecords, checkListedFile } from './verifyRecords.ts';

/**
 * Reads and verifies a pack archive (`.tributary.zip`). Resolves only when every check passed.
 *
 * `datanet.origin` of the result is `{ kind: 'pack', manifestHash, source: '' }`: the caller fills in
 * where the pack came from.
 *
 * @throws TributaryError with a `pack/*` code naming the file or record at fault.
 */
export function readPackArchive(bytes: Uint8Array, onProgress?: PackProgressCallback): Promise<VerifiedPack> {
  return guarded(() => readArchive(bytes, onProgress));
}

/**
 * Backstop for the contract that every failure is a TributaryError: an unexpected error inside the
 * verifier (a bug, not a pack problem) still reaches the user as `pack/corrupt`, with its message.
 */
async function guarded(read: () => Promise<VerifiedPack>): Promise<VerifiedPack> {
  try {
    return await read();
  } catch (e) {
    if (isTributaryError(e)) throw e;
    return fail('pack/corrupt', `The pack could not be verified (${e instanceof Error ? e.message : String(e)}). Nothing was imported; report this with the pack file.`);
  }
}

async function readArchive(bytes: Uint8Array, onProgress?: PackProgressCallback): Promise<VerifiedPack> {
  onProgress?.({ stage: 'reading', done: 0, total: bytes?.length ?? 0 });
  const entries = unzipPack(bytes);
  onProgress?.({ stage: 'reading', done: bytes.length, total: bytes.length });

  const manifestBytes = entries.get(PACK_FILES.manifest);
  if (!manifestBytes) fail('pack/missing-file', 'The archive has no manifest.json: it is not a Tributary Datanet pack.', PACK_FILES.manifest);
  const manifest = parseManifest(manifestBytes);
  for (const entry of manifest.files) {
    if (!entries.has(entry.path)) fail('pack/missing-file', `The manifest lists ${entry.path} but the archive lacks it. ${DAMAGED}`, entry.path);
  }
  const listed = new Set(manifest.files.map((e) => e.path));
  for (const name of entries.keys()) {
    if (name !== PACK_FILES.manifest && !listed.has(name)) {
      fail('pack/corrupt', `The archive holds ${name}, which its manifest does not list. ${DAMAGED}`, name);
    }
  }
  const files = new Map<string, Uint8Array>();
  for (const entry of manifest.files) {
    const data = entries.get(entry.path)!;
    checkListedFile(entry, data);
    files.set(entry.path, data);
  }
  return verifyRecords(manifest, sha256Hex(manifestBytes), files, onProgress);
}

/**
 * Reads and verifies a pack served as a plain folder: `getFile(path)` returns the bytes of
 * `manifest.json` first, then of each file the manifest lists (in its order). Resolves only when every
 * check passed. A `TributaryError` thrown by `getFile` (say `pack/fetch`) passes through unchanged; any
 * other error there becomes `pack/missing-file` naming the path.
 */
export function readPackFolder(getFile: (path: string, maxBytes: number) => Promise<Uint8Array>, onProgress?: PackProgressCallback): Promise<VerifiedPack> {
  return guarded(() => readFolder(getFile, onProgress));
}

/** The largest manifest.json a folder pack may serve (a manifest is a short list). */
const MAX_MANIFEST_BYTES = 1024 * 1024;

async function readFolder(getFile: (path: string, maxBytes: number) => Promise<Uint8Array>, onProgress?: PackProgressCallback): Promise<VerifiedPack> {
  // `maxBytes` tells the fetcher where to stop: the manifest's own limit, then each file's listed size
  // (a server sending more is cut off at the first byte past it, not buffered whole).
  const fetchFile = async (path: string, maxBytes: number): Promise<Uint8Array> => {
    let data: unknown;
    try {
      data = await getFile(path, maxBytes);
    } catch (e) {
      if (isTributaryError(e)) throw e;
      return fail('pack/missing-file', `Could not get ${path} from the pack folder (${e instanceof Error ? e.message : String(e)}).`, path);
    }
    if (!(data instanceof Uint8Array)) fail('pack/corrupt', `Reading ${path} gave no bytes.`, path);
    return data;
  };

  const manifestBytes = await fetchFile(PACK_FILES.manifest, MAX_MANIFEST_BYTES);
  if (manifestBytes.length > MAX_MANIFEST_BYTES) fail('pack/manifest', `manifest.json is larger than 1 MiB; a manifest is a short list. ${DAMAGED}`, PACK_FILES.manifest);
  const manifest = parseManifest(manifestBytes);
  const total = manifest.files.reduce((s, e) => s + e.bytes, 0);
  let done = 0;
  onProgress?.({ stage: 'reading', done, total });
  const files = new Map<string, Uint8Array>();
  for (const entry of manifest.files) {
    const data = await fetchFile(entry.path, entry.bytes);
    checkListedFile(entry, data);
    files.set(entry.path, data);
    done += data.length;
    onProgress?.({ stage: 'reading', done, total, subject: entry.path });
  }
  return verifyRecords(manifest, sha256Hex(manifestBytes), files, onProgress);
}
