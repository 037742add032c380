/**
 * Text file formats: kind detection, strict UTF-8 decoding with binary sniffing, and conversion of JSONL
 * and CSV into plain text. Pure: bytes and strings in, strings out, `TributaryError`s naming the file.
 */
import { TributaryError } from './errors.ts';

export type FileKind = 'txt' | 'md' | 'jsonl' | 'csv' | 'pdf' | 'docx';

const EXTENSIONS: Record<string, FileKind> = {
  txt: 'txt',
  text: 'txt',
  md: 'md',
  markdown: 'md',
  jsonl: 'jsonl',
  ndjson: 'jsonl',
  csv: 'csv',
  pdf: 'pdf',
  docx: 'docx',
};

const SUPPORTED = 'use .txt, .md, .jsonl, .csv, .pdf or .docx';

/** The kind of a file from its name's extension (case-insensitive). */
export function detectFileKind(name: string): FileKind {
  const base = name.split(/[\\/]/).pop() ?? name;
  const dot = base.lastIndexOf('.');
  const ext = dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
  const kind = Object.hasOwn(EXTENSIONS, ext) ? EXTENSIONS[ext] : undefined;
  if (kind) return kind;
  throw new TributaryError(
    'file/unsupported-type',
    ext ? `unsupported file type ".${ext}"; ${SUPPORTED}` : `unsupported file type (the name has no extension); ${SUPPORTED}`,
    name,
  );
}

const MEDIA_TYPES: Record<FileKind, string> = {
  txt: 'text/plain',
  md: 'text/markdown',
  jsonl: 'application/jsonl',
  csv: 'text/csv',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

/** IANA media type recorded with a contribution of this kind. */
export function mediaTypeOf(kind: FileKind): string {
  return MEDIA_TYPES[kind];
}

interface Magic {
  bytes: (number | null)[]; // null: any byte
  offset?: number;
  kind: string;
  hint: string;
}

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

/** Signatures of common binary formats. Only ones that cannot start a real text file. */
const MAGICS: Magic[] = [
  { bytes: ascii('%PDF-'), kind: 'a PDF document', hint: 'give it a .pdf name to import its text' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], kind: 'a ZIP archive (a .docx, .xlsx, .odt or .zip)', hint: 'a Word file needs a .docx name; other archives must be unpacked and exported as text' },
  { bytes: [0x50, 0x4b, 0x05, 0x06], kind: 'an empty ZIP archive', hint: 'choose a text file instead' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], kind: 'an old Microsoft Office file (.doc/.xls)', hint: 'save it as .docx or plain text first' },
  { bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], kind: 'a PNG image', hint: 'images are not supported; choose a text file' },
  { bytes: [0xff, 0xd8, 0xff], kind: 'a JPEG image', hint: 'images are not supported; choose a text file' },
  { bytes: ascii('GIF87a'), kind: 'a GIF image', hint: 'images are not supported; choose a text file' },
  { bytes: ascii('GIF89a'), kind: 'a GIF image', hint: 'images are not supported; choose a text file' },
  { bytes: [...ascii('RIFF'), null, null, null, null, ...ascii('WEBP')], kind: 'a WebP image', hint: 'images are not supported; choose a text file' },
  { bytes: [...ascii('RIFF'), null, null, null, null, ...ascii('WAVE')], kind: 'a WAV audio file', hint: 'audio is not supported; choose a text file' },
  { bytes: [0x49, 0x49, 0x2a, 0x00], kind: 'a TIFF image', hint: 'images are not supported; choose a text file' },
  { bytes: [0x4d, 0x4d, 0x00, 0x2a], kind: 'a TIFF image', hint: 'images are not supported; choose a text file' },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], kind: 'an ELF executable', hint: 'choose a text file' },
  { bytes: [0x1f, 0x8b], kind: 'a gzip archive', hint: 'unpack it first' },
  { bytes: [...ascii('BZh'), null, ...ascii('1AY&SY')], kind: 'a bzip2 archive', hint: 'unpack it first' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], kind: 'an xz archive', hint: 'unpack it first' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], kind: 'a zstd archive', hint: 'unpack it first' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], kind: 'a 7-Zip archive', hint: 'unpack it first' },
  { bytes: ascii('Rar!\x1a\x07'), kind: 'a RAR archive', hint: 'unpack it first' },
  { bytes: ascii('SQLite format 3\x00'), kind: 'an SQLite database', hint: 'export the text you want as .txt, .jsonl or .csv' },
  { bytes: [0x00, 0x61, 0x73, 0x6d], kind: 'a WebAssembly module', hint: 'choose a text file' },
  { bytes: ascii('OggS'), kind: 'an Ogg media file', hint: 'audio and video are not supported; choose a text file' },
  { bytes: ascii('fLaC'), kind: 'a FLAC audio file', hint: 'audio is not supported; choose a text file' },
  { bytes: [null, null, null, null, ...ascii('ftyp')], kind: 'an MP4/MOV media file', hint: 'audio and video are not supported; choose a text file' },
  { bytes: [0x49, 0x44, 0x33, null, 0x00], kind: 'an MP3 audio file', hint: 'audio is not supported; choose a text file' },
  { bytes: [0x4d, 0x5a, null, 0x00], kind: 'a Windows executable', hint: 'choose a text file' },
];

/** What binary format `bytes` starts with, if a known one. */
export function sniffBinary(bytes: Uint8Array): { kind: string; hint: string } | undefined {
  for (const m of MAGICS) {
    const off = m.offset ?? 0;
    if (bytes.length < off + m.bytes.length) continue;
    if (m.bytes.every((b, i) => b === null || bytes[off + i] === b)) return { kind: m.kind, hint: m.hint };
  }
  return undefined;
}

/** Offset of the first byte that does not begin a valid UTF-8 sequence (WHATWG rules), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f; // no surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined) return i;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

const hex2 = (b: number): string => `0x${b.toString(16).padStart(2, '0').toUpperCase()}`;

/**
 * Whether the bytes read as UTF-16 text without a BOM, in either byte order: every code unit pair
 * valid (no unpaired surrogates) and at least 90 % of the characters letters, marks, numbers,
 * punctuation, symbols or white space. Catches Latin text (NUL high bytes) and CJK or Cyrillic text
 * (no NUL bytes at all) alike. Looks at the first 64 KiB only: bounded time.
 */
export function utf16ByteOrder(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  const n = Math.min(bytes.length, 65_536) & ~1;
  if (n < 16) return null; // too short to tell
  const sample = bytes.subarray(0, n);
  // 8-bit text (ASCII with a stray Windows-1252 byte) read in pairs also gives "letters" (CJK code
  // points): but there nearly every pair is two printable ASCII bytes, which real UTF-16 text is not.
  let asciiPairs = 0;
  const printable = (b: number): boolean => b >= 0x20 && b < 0x7f;
  for (let i = 0; i < n; i += 2) if (printable(sample[i]!) && printable(sample[i + 1]!)) asciiPairs++;
  if (asciiPairs > (n / 2) * 0.6) return null;
  for (const order of ['utf-16le', 'utf-16be'] as const) {
    let text: string;
    try {
      text = new TextDecoder(order, { fatal: true }).decode(sample);
    } catch {
      continue;
    }
    let good = 0;
    let total = 0;
    for (const ch of text) {
      total++;
      if (/[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}\t\n\r]/u.test(ch) && !/\p{Co}/u.test(ch)) good++;
    }
    if (total > 0 && good >= total * 0.9) return order;
  }
  return null;
}

function looksLikeUtf16(bytes: Uint8Array): boolean {
  return utf16ByteOrder(bytes) !== null;
}

const utf16Error = (name: string): TributaryError =>
  new TributaryError('file/bad-utf8', 'the file looks UTF-16 encoded (no byte-order mark), not UTF-8; save it again as UTF-8 (most editors offer this under "Save as") and retry.', name);

/**
 * Decodes a text file that must be UTF-8. Rejects empty files (`file/empty`), binary files (`file/binary`:
 * known magic numbers, NUL bytes, more than 10 % control characters) and invalid UTF-8 (`file/bad-utf8`,
 * with the offset of the first bad byte). A UTF-8 byte-order mark is removed.
 */
export function decodeUtf8Text(name: string, bytes: Uint8Array): string {
  if (bytes.length === 0) {
    throw new TributaryError('file/empty', 'the file is empty (0 bytes); choose a file that contains text.', name);
  }
  const magic = sniffBinary(bytes);
  if (magic) {
    throw new TributaryError('file/binary', `this is ${magic.kind}, not a text file; ${magic.hint}.`, name);
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new TributaryError('file/bad-utf8', 'the file is UTF-16 encoded, not UTF-8; save it again as UTF-8 (most editors offer this under "Save as") and retry.', name);
  }
  let nul = -1;
  let control = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0 && nul === -1) nul = i;
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) || b === 0x7f) control++;
  }
  if (nul !== -1) {
    if (looksLikeUtf16(bytes)) throw utf16Error(name);
    throw new TributaryError('file/binary', `this is a binary file, not text (NUL byte at offset ${nul}); choose a plain-text UTF-8 file.`, name);
  }
  if (control > bytes.length * 0.1) {
    throw new TributaryError(
      'file/binary',
      `this looks like a binary file, not text (${Math.round((control / bytes.length) * 100)} % control characters); choose a plain-text UTF-8 file.`,
      name,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    if (looksLikeUtf16(bytes)) throw utf16Error(name);
    const at = firstInvalidUtf8(bytes);
    const where = at >= 0 && at < bytes.length ? ` at byte offset ${at} (${hex2(bytes[at]!)})` : '';
    throw new TributaryError(
      'file/bad-utf8',
      `the file is not valid UTF-8: bad byte sequence${where}. It may be in another encoding such as Windows-1252; save it again as UTF-8 and retry.`,
      name,
    );
  }
  // TextDecoder removes a leading BOM by default (ignoreBOM: false).
  if (text.trim() === '') {
    throw new TributaryError('file/empty', 'the file contains only whitespace; choose a file that contains text.', name);
  }
  return text;
}

const PREFERRED_FIELDS = ['text', 'content', 'body'] as const;

/** Text of one JSON value: strings as is; objects by their text/content/body field, else all their strings. */
function jsonText(v: unknown, depth: number): string[] {
  if (typeof v === 'string') return v.trim() === '' ? [] : [v];
  if (depth > 64 || typeof v !== 'object' || v === null) return [];
  if (Array.isArray(v)) return v.flatMap((x) => jsonText(x, depth + 1));
  const rec = v as Record<string, unknown>;
  for (const f of PREFERRED_FIELDS) {
    const field = rec[f];
    if (Object.hasOwn(rec, f) && typeof field === 'string') return field.trim() === '' ? [] : [field];
  }
  return Object.values(rec).flatMap((x) => jsonText(x, depth + 1));
}

/**
 * JSON Lines to text. Each non-blank line is a JSON string (taken as is) or object (its `text`, else
 * `content`, else `body` string field, else all its string values, nested ones included, one per line).
 * Records are separated by blank lines. Anything else, or a line that is not JSON, is `file/bad-jsonl`.
 */
export function jsonlToText(name: string, text: string): string {
  const lines = text.split('\n');
  const records: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/^\uFEFF/, '');
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new TributaryError(
        'file/bad-jsonl',
        `line ${i + 1} is not valid JSON (${why}); each line must hold one JSON object or string.`,
        name,
      );
    }
    if (typeof value === 'string') {
      if (value.trim() !== '') records.push(value);
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
      throw new TributaryError(
        'file/bad-jsonl',
        `line ${i + 1} holds ${what}; each line must hold a JSON object (with a "text", "content" or "body" field) or a string.`,
        name,
      );
    }
    const parts = jsonText(value, 0);
    if (parts.length > 0) records.push(parts.join('\n'));
  }
  return records.join('\n\n');
}

/**
 * CSV (RFC 4180: `,` separators, `"` quoting with `""` escapes, line breaks inside quotes, CRLF or LF) to
 * text. The first row is the header; each data row becomes `header: value` lines (empty values left out),
 * rows separated by blank lines. Ragged rows and unterminated quotes are `file/bad-csv` naming the line.
 */
export function csvToText(name: string, text: string): string {
  const rows = parseCsv(name, text.replace(/^\uFEFF/, ''));
  const header = rows[0];
  if (!header) return '';
  const names = header.fields.map((h, i) => h.trim() || `column ${i + 1}`);
  const out: string[] = [];
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r]!;
    if (row.fields.length !== names.length) {
      throw new TributaryError(
        'file/bad-csv',
        `line ${row.line} has ${row.fields.length} field${row.fields.length === 1 ? '' : 's'} but the header (line ${header.line}) has ${names.length}; every row needs the same number of fields (quote values that contain commas).`,
        name,
      );
    }
    const lines = row.fields.flatMap((v, i) => (v.trim() === '' ? [] : [`${names[i]}: ${v}`]));
    if (lines.length > 0) out.push(lines.join('\n'));
  }
  return out.join('\n\n');
}

interface CsvRow {
  /** 1-based line where the row starts. */
  line: number;
  fields: string[];
}

function parseCsv(name: string, text: string): CsvRow[] {
  const rows: CsvRow[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    const rowLine = line;
    const fields: string[] = [];
    // one record
    for (;;) {
      let value = '';
      if (text[i] === '"') {
        const openLine = line;
        i++;
        for (;;) {
          if (i >= n) {
            throw new TributaryError(
              'file/bad-csv',
              `line ${openLine}: a quoted value is never closed; add the missing " (a quote inside a value is written "").`,
              name,
            );
          }
          const q = text.indexOf('"', i);
          if (q === -1) {
            i = n;
            continue;
          }
          const chunk = text.slice(i, q);
          for (let k = 0; k < chunk.length; k++) if (chunk[k] === '\n' || (chunk[k] === '\r' && chunk[k + 1] !== '\n')) line++;
          value += chunk;
          if (text[q + 1] === '"') {
            value += '"';
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        const c = text[i];
        if (i < n && c !== ',' && c !== '\n' && c !== '\r') {
          throw new TributaryError(
            'file/bad-csv',
            `line ${line}: unexpected ${JSON.stringify(c)} after a closing quote; a quote inside a value must be doubled ("").`,
            name,
          );
        }
      } else {
        let j = i;
        while (j < n && text[j] !== ',' && text[j] !== '\n' && text[j] !== '\r') j++;
        value = text.slice(i, j);
        i = j;
      }
      fields.push(value);
      if (i < n && text[i] === ',') {
        i++;
        continue;
      }
      // end of record: line break or end of text
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      line++;
      break;
    }
    // a blank (or whitespace-only) line is a record with one empty field: skip it
    if (!(fields.length === 1 && fields[0]!.trim() === '')) rows.push({ line: rowLine, fields });
  }
  return rows;
}
