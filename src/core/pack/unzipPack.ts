/** A pack archive's bytes to its files, with every zip limit checked before anything is inflated. */
import { PACK_LIMITS } from './types.ts';
import { ByteBudget, listZipEntries, readZipEntry, type ZipEntry } from '../zip/boundedZip.ts';
import { DAMAGED, fail } from './packRules.ts';

/** True for a zip entry name that cannot escape the folder it is extracted into. */
function isSafeEntryName(name: string): boolean {
  if (name.length === 0 || name.length > 255) return false;
  for (const ch of name) {
    const code = ch.charCodeAt(0);
    if (code < 0x20 || code === 0x7f || ch === '\\' || ch === ':') return false; // control chars, backslashes, drive letters
  }
  if (name.startsWith('/')) return false;
  const segments = name.replace(/\/$/, '').split('/');
  return segments.every((s) => s !== '' && s !== '.' && s !== '..');
}

/**
 * Unzips a pack archive with every limit checked from the central directory before anything is
 * inflated: at most 2000 entries, 64 MiB uncompressed in total, safe names only, no duplicates,
 * stored or deflated entries only. Directory entries are skipped. Entries are then inflated with a
 * running byte budget (core/zip/boundedZip): an entry that lies about its size is stopped at the first
 * byte past what it declared, so a zip bomb costs at most ~1 MiB past the limit, never gigabytes.
 */
export function unzipPack(bytes: Uint8Array): Map<string, Uint8Array> {
  if (!(bytes instanceof Uint8Array)) fail('pack/corrupt', 'This is not a file’s bytes: choose a .tributary.zip pack file.');
  if (bytes.length > PACK_LIMITS.maxTotalBytes + 4 * 1024 * 1024) {
    fail('pack/corrupt', `The archive is ${bytes.length} bytes, more than a pack may hold (${PACK_LIMITS.maxTotalBytes} bytes of files).`);
  }
  const errors = { code: 'pack/corrupt' as const, advice: DAMAGED };
  const entries = listZipEntries(bytes, PACK_LIMITS.maxEntries, errors);
  const seen = new Set<string>();
  let total = 0;
  const wanted: ZipEntry[] = [];
  for (const entry of entries) {
    const { name } = entry;
    if (!isSafeEntryName(name)) {
      fail('pack/corrupt', `The archive holds an entry with an unsafe path (absolute, "..", or odd characters); it was refused unread. ${DAMAGED}`, JSON.stringify(name));
    }
    if (seen.has(name)) fail('pack/corrupt', `The archive holds this entry twice. ${DAMAGED}`, name);
    seen.add(name);
    if (name.endsWith('/')) {
      if (entry.size !== 0) fail('pack/corrupt', `A folder entry has contents. ${DAMAGED}`, name);
      continue;
    }
    if (entry.method !== 0 && entry.method !== 8) {
      fail('pack/corrupt', `The entry uses compression method ${entry.method}; packs use only stored (0) or deflate (8).`, name);
    }
    if (entry.method === 0 && entry.compressedSize !== entry.size) fail('pack/corrupt', `A stored entry's sizes disagree. ${DAMAGED}`, name);
    if (entry.compressedSize > bytes.length) fail('pack/corrupt', `The entry claims to be larger than the whole archive. ${DAMAGED}`, name);
    total += entry.size;
    if (total > PACK_LIMITS.maxTotalBytes) {
      fail('pack/corrupt', `The files in the archive add up to more than ${PACK_LIMITS.maxTotalBytes} bytes, more than a pack may hold.`, name);
    }
    wanted.push(entry);
  }
  const budget = new ByteBudget(PACK_LIMITS.maxTotalBytes);
  const files = new Map<string, Uint8Array>();
  for (const entry of wanted) files.set(entry.name, readZipEntry(bytes, entry, budget, errors));
  return files;
}
