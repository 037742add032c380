/** manifest.json of a pack, parsed strictly. */
import { PACK_FILES, PACK_FORMAT, PACK_FORMAT_VERSION, PACK_LIMITS, type PackFileEntry, type PackManifest } from './types.ts';
import { encodeManifest } from './writePack.ts';
import { parseJson, Fields } from './decodeRecords.ts';
import { REQUIRED_FILES, fail, isPackPath } from './packRules.ts';

const MANIFEST_KEYS = ['format', 'formatVersion', 'datanetId', 'name', 'version', 'merkleRoot', 'licence', 'createdAt', 'tokenizer', 'embeddingModel', 'files'] as const;

/**
 * Parses manifest.json strictly. An unknown `format` or `formatVersion` is `pack/unsupported-version`;
 * anything else wrong is `pack/manifest`. The bytes must be the canonical encoding (`encodeManifest`),
 * so one manifest content has exactly one manifestHash.
 */
export function parseManifest(bytes: Uint8Array): PackManifest {
  const path = PACK_FILES.manifest;
  const value = parseJson('pack/manifest', path, bytes);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { format, formatVersion } = value as Record<string, unknown>;
    if (typeof format === 'string' && format !== PACK_FORMAT) {
      fail('pack/unsupported-version', `This is not a Tributary Datanet pack (its format is "${format.slice(0, 64)}").`, path);
    }
    if (typeof formatVersion === 'number' && formatVersion !== PACK_FORMAT_VERSION) {
      fail(
        'pack/unsupported-version',
        `This pack uses format version ${formatVersion}; this app reads version ${PACK_FORMAT_VERSION}. Update Tributary, or ask for a pack in version ${PACK_FORMAT_VERSION}.`,
        path,
      );
    }
  }
  const f: Fields = new Fields(value, path, MANIFEST_KEYS, [], 'pack/manifest', 'manifest');
  f.oneOf('format', [PACK_FORMAT]);
  if (f.o.formatVersion !== PACK_FORMAT_VERSION) f.bad(`"formatVersion" must be ${PACK_FORMAT_VERSION}.`);
  if (f.o.tokenizer !== null) f.bad('"tokenizer" must be null in format version 1.');
  if (f.o.embeddingModel !== null) f.bad('"embeddingModel" must be null in format version 1.');
  const filesValue = f.o.files;
  if (!Array.isArray(filesValue)) f.bad('"files" must be a list.');
  if (filesValue.length > PACK_LIMITS.maxEntries - 1) f.bad(`"files" lists more than ${PACK_LIMITS.maxEntries - 1} files.`);
  let total = 0;
  const files: PackFileEntry[] = filesValue.map((entry: unknown, i): PackFileEntry => {
    const e: Fields = new Fields(entry, path, ['path', 'bytes', 'sha256'], [], 'pack/manifest', `files[${i}] entry`);
    const p = e.str('path', 1, 255);
    if (!isPackPath(p)) e.bad(`files[${i}] lists "${p}", which is not a pack file (${REQUIRED_FILES.join(', ')} or indexes/<name>).`);
    const size = e.int('bytes', 0, PACK_LIMITS.maxTotalBytes);
    total += size;
    return { path: p, bytes: size, sha256: e.hash('sha256') };
  });
  if (total > PACK_LIMITS.maxTotalBytes) f.bad(`The listed files add up to more than ${PACK_LIMITS.maxTotalBytes} bytes, more than a pack may hold.`);
  for (let i = 1; i < files.length; i++) {
    if (!(files[i - 1]!.path < files[i]!.path)) f.bad('"files" must be sorted by path, each path once.');
  }
  for (const required of REQUIRED_FILES) {
    if (!files.some((e) => e.path === required)) f.bad(`"files" does not list ${required}, which every pack has.`);
  }
  const manifest: PackManifest = {
    format: PACK_FORMAT,
    formatVersion: PACK_FORMAT_VERSION,
    datanetId: f.datanetId('datanetId'),
    name: f.str('name', 1, 1000),
    version: f.int('version', 1),
    merkleRoot: f.hash('merkleRoot'),
    licence: f.str('licence', 1, 1000),
    createdAt: f.int('createdAt'),
    tokenizer: null,
    embeddingModel: null,
    files,
  };
  const canonical = encodeManifest(manifest);
  if (canonical.length !== bytes.length || canonical.some((b, i) => b !== bytes[i])) {
    f.bad('manifest.json is not in its canonical form (2-space JSON, keys in order, one final line break); it was edited after export.');
  }
  return manifest;
}
