/**
 * Reading ZIP archives and deflate streams that may lie about their size (zip bombs), in bounded time
 * and memory. Sizes come from the central directory; every entry is inflated in small steps with a
 * running byte count, and inflation stops at the first byte past the entry's declared size or the
 * caller's total budget — so a 4 MB archive that claims 1 KB and inflates to 4 GiB costs at most one
 * step (≤ 1 MiB of output) past the limit before it is refused. Pure: no DOM, no storage.
 *
 * Failures are `TributaryError`s with the caller's error code (a pack reader says `pack/corrupt`, the
 * .docx reader `file/broken-docx`), so each caller keeps its own vocabulary.
 */
import { Inflate, Unzlib } from 'fflate';
import { TributaryError, type ErrorCode } from '../errors.ts';

/** One entry of a ZIP central directory. */
export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate; anything else is refused when inflated. */
  method: number;
  compressedSize: number;
  /** The uncompressed size the archive declares; inflation never goes past it. */
  size: number;
  /** Offset of the local file header. */
  headerOffset: number;
  encrypted: boolean;
}

/** Where failures go: the caller's code and subject. */
export interface ZipErrors {
  code: ErrorCode;
  /** Appended to every message: what the user can do about it. */
  advice: string;
  subject?: string;
}

/**
 * Input bytes handed to the inflater per step. One deflate byte inflates to at most ~1032 bytes, so a
 * step yields at most ~1 MiB: the most any stream can overshoot its limit before it is stopped.
 */
const STEP = 1024;

const u16 = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
const u32 = (b: Uint8Array, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Fails naming the archive (`errors.subject`) when the caller gave one, else the entry at fault. */
function fail(errors: ZipErrors, message: string, entry?: string): never {
  const where = errors.subject !== undefined && entry !== undefined && entry !== errors.subject ? `entry ${JSON.stringify(entry.slice(0, 200))}: ` : '';
  throw new TributaryError(errors.code, `${where}${message} ${errors.advice}`.trim(), errors.subject ?? entry);
}

/**
 * Lists the entries of a ZIP archive from its central directory without inflating anything. Refuses
 * more than `maxEntries` entries, ZIP64, split archives, and entries whose data lies outside the file.
 */
export function listZipEntries(bytes: Uint8Array, maxEntries: number, errors: ZipErrors): ZipEntry[] {
  // End of central directory: 22 bytes plus a comment of up to 65535 bytes, at the very end.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (u32(bytes, i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail(errors, 'This is not a readable ZIP archive: it is damaged or cut short (no end-of-directory record).');
  const disk = u16(bytes, eocd + 4);
  const cdDisk = u16(bytes, eocd + 6);
  const count = u16(bytes, eocd + 10);
  const cdSize = u32(bytes, eocd + 12);
  const cdOffset = u32(bytes, eocd + 16);
  if (disk !== 0 || cdDisk !== 0) fail(errors, 'The ZIP archive is split over several files; only single-file archives are read.');
  if (count === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) fail(errors, 'The ZIP archive uses ZIP64, which is not read here (no valid file needs it).');
  if (count > maxEntries) fail(errors, `The ZIP archive has ${count} entries: more than ${maxEntries} entries are not allowed.`);
  if (cdOffset + cdSize > eocd) fail(errors, 'The ZIP archive’s directory lies outside the file: it is damaged.');
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > eocd || u32(bytes, p) !== 0x02014b50) fail(errors, 'The ZIP archive’s directory is damaged.');
    const flags = u16(bytes, p + 8);
    const method = u16(bytes, p + 10);
    const compressedSize = u32(bytes, p + 20);
    const size = u32(bytes, p + 24);
    const nameLength = u16(bytes, p + 28);
    const extraLength = u16(bytes, p + 30);
    const commentLength = u16(bytes, p + 32);
    const headerOffset = u32(bytes, p + 42);
    if (p + 46 + nameLength > eocd) fail(errors, 'The ZIP archive’s directory is damaged.');
    const name = utf8.decode(bytes.subarray(p + 46, p + 46 + nameLength));
    if (compressedSize === 0xffffffff || size === 0xffffffff || headerOffset === 0xffffffff) fail(errors, 'The ZIP archive uses ZIP64, which is not read here.', name);
    if (headerOffset + 30 > cdOffset) fail(errors, 'An entry’s data lies outside the archive: it is damaged.', name);
    entries.push({ name, method, compressedSize, size, headerOffset, encrypted: (flags & 1) !== 0 });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** A running count of inflated bytes shared by all the entries of one archive. */
export class ByteBudget {
  private used = 0;
  constructor(readonly limit: number) {}
  get spent(): number {
    return this.used;
  }
  /** Adds `n` bytes; false once the total is past the limit. */
  take(n: number): boolean {
    this.used += n;
    return this.used <= this.limit;
  }
}

/**
 * The uncompressed bytes of one entry. Stops (and fails) at the first byte past the entry's declared
 * size or past `budget`; fails when the entry ends short of its declared size.
 */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry, budget: ByteBudget, errors: ZipErrors): Uint8Array {
  const at = entry.headerOffset;
  if (u32(bytes, at) !== 0x04034b50) fail(errors, 'An entry’s header is missing: the archive is damaged.', entry.name);
  const start = at + 30 + u16(bytes, at + 26) + u16(bytes, at + 28);
  const end = start + entry.compressedSize;
  if (end > bytes.length) fail(errors, 'An entry’s data runs past the end of the archive: it is cut short or damaged.', entry.name);
  if (entry.encrypted) fail(errors, 'An entry is encrypted (password-protected); it cannot be read.', entry.name);
  if (entry.size > budget.limit - budget.spent) fail(errors, `The archive’s entries add up to more than ${budget.limit} bytes, more than allowed.`, entry.name);
  const data = bytes.subarray(start, end);
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size) fail(errors, 'A stored entry’s sizes disagree: the archive is damaged.', entry.name);
    budget.take(entry.size);
    return data.slice();
  }
  if (entry.method !== 8) fail(errors, `An entry uses compression method ${entry.method}; only stored (0) and deflate (8) are read.`, entry.name);
  const out = inflateWithin(data, 'raw', entry.size, budget, errors, entry.name);
  if (out.length !== entry.size) fail(errors, `The entry inflates to ${out.length} bytes but the archive declares ${entry.size}: it is damaged.`, entry.name);
  return out;
}

/**
 * Inflates a deflate (`raw`) or zlib stream, at most `maxBytes` of output and within `budget`; fails at
 * the first byte past either. A stream that is damaged or cut short fails too.
 */
export function inflateWithin(data: Uint8Array, format: 'raw' | 'zlib', maxBytes: number, budget: ByteBudget, errors: ZipErrors, subject?: string): Uint8Array {
  const parts: Uint8Array[] = [];
  let produced = 0;
  let over = false;
  let ended = false;
  const ondata = (chunk: Uint8Array, final: boolean): void => {
    if (over) return;
    produced += chunk.length;
    if (produced > maxBytes || !budget.take(chunk.length)) {
      over = true;
      return;
    }
    if (chunk.length > 0) parts.push(chunk);
    if (final) ended = true;
  };
  const inflater = format === 'raw' ? new Inflate(ondata) : new Unzlib(ondata);
  try {
    for (let i = 0; i < data.length && !over; i += STEP) {
      const last = i + STEP >= data.length;
      inflater.push(data.subarray(i, Math.min(data.length, i + STEP)), last);
    }
    if (data.length === 0) inflater.push(new Uint8Array(0), true);
  } catch (e) {
    if (!over) fail(errors, `The compressed data is damaged (${e instanceof Error ? e.message : String(e)}).`, subject);
  }
  if (over) {
    fail(errors, `The compressed data inflates past its limit (${Math.min(maxBytes, budget.limit)} bytes): it is a decompression bomb or damaged.`, subject);
  }
  if (!ended) fail(errors, 'The compressed data is cut short.', subject);
  const out = new Uint8Array(produced);
  let o = 0;
  for (const part of parts) {
    out.set(part, o);
    o += part.length;
  }
  return out;
}
