/**
 * A pre-flight check of a PDF's compressed streams, before pdf.js sees the file: every FlateDecode
 * stream (and every chain of them) is inflated with a running byte budget and only counted, so a
 * "1 MB → 1 GiB" stream is refused after at most `PDF_LIMITS.maxInflatedBytes` of output instead of
 * being decoded in full by pdf.js (which took 26 s and 2.5 GB). RunLength and LZW streams, the other
 * filters that expand, are measured without decoding (their output length follows from the codes).
 *
 * Time and memory: one pass over the file, plus at most the budget of inflated bytes (counted, not
 * kept, except between two chained filters).
 */
import { TributaryError } from '../core/errors.ts';
import { ByteBudget, inflateWithin, type ZipErrors } from '../core/zip/boundedZip.ts';

export const PDF_LIMITS = {
  /** Decoded bytes of all compressed streams together. */
  maxInflatedBytes: 128 * 1024 * 1024,
  /** Decoded bytes of one stream. */
  maxStreamBytes: 64 * 1024 * 1024,
  /** Pages read (a 5 MB PDF of real text has far fewer). */
  maxPages: 2000,
  /** Characters of extracted text (several times what the chunker accepts from a 5 MB file). */
  maxTextChars: 20 * 1024 * 1024,
} as const;

const latin1 = new TextDecoder('latin1');

/** Byte offsets of each `stream` keyword that starts stream data (followed by CRLF or LF). */
function* streamStarts(bytes: Uint8Array): Generator<{ keyword: number; data: number }> {
  const s = [0x73, 0x74, 0x72, 0x65, 0x61, 0x6d]; // "stream"
  for (let i = bytes.indexOf(0x73); i >= 0 && i + 7 < bytes.length; i = bytes.indexOf(0x73, i + 1)) {
    if (!s.every((b, k) => bytes[i + k] === b)) continue;
    const before = bytes[i - 1];
    if (before === 0x64) continue; // "endstream"
    let data = i + 6;
    if (bytes[data] === 0x0d && bytes[data + 1] === 0x0a) data += 2;
    else if (bytes[data] === 0x0a || bytes[data] === 0x0d) data += 1;
    else continue;
    yield { keyword: i, data };
  }
}

/** The stream dictionary's text: from the last `obj` before the keyword (at most 8 KB back). */
function dictionaryBefore(bytes: Uint8Array, keyword: number): string {
  const from = Math.max(0, keyword - 8192);
  const text = latin1.decode(bytes.subarray(from, keyword));
  const obj = text.lastIndexOf('obj');
  return obj >= 0 ? text.slice(obj + 3) : text;
}

function filtersOf(dict: string): string[] {
  const m = /\/Filter\s*(\[[^\]]*\]|\/[A-Za-z0-9#]+)/.exec(dict);
  if (!m) return [];
  return [...m[1]!.matchAll(/\/([A-Za-z0-9#]+)/g)].map((x) => x[1]!);
}

/** The stream's declared /Length when it is a direct number, or an indirect one found in `numbers`. */
function declaredLength(dict: string, numbers: () => Map<string, number>): number | undefined {
  const direct = /\/Length\s+(\d+)(?!\s+\d+\s+R)/.exec(dict);
  if (direct) return Number(direct[1]);
  const ref = /\/Length\s+(\d+)\s+(\d+)\s+R/.exec(dict);
  return ref ? numbers().get(`${ref[1]} ${ref[2]}`) : undefined;
}

/** Every `N G obj <integer> endobj` of the file (indirect stream lengths), in one linear pass. */
function numberObjects(bytes: Uint8Array): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of latin1.decode(bytes).matchAll(/(\d{1,10})\s+(\d{1,5})\s+obj\s*(\d{1,12})\s*endobj/g)) out.set(`${m[1]} ${m[2]}`, Number(m[3]));
  return out;
}

/** ASCIIHexDecode (whitespace ignored, `>` ends it, an odd final digit is followed by 0). */
function asciiHex(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.length / 2));
  let n = 0;
  let high = -1;
  for (const c of data) {
    if (c === 0x3e) break;
    const v = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 55 : c >= 0x61 && c <= 0x66 ? c - 87 : -1;
    if (v < 0) continue;
    if (high < 0) high = v;
    else {
      out[n++] = (high << 4) | v;
      high = -1;
    }
  }
  if (high >= 0) out[n++] = high << 4;
  return out.subarray(0, n);
}

/** ASCII85Decode (`z` for four zeros, `~>` ends it). */
function ascii85(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.length * 4 / 5) + 4 * data.length); // `z` expands 1 → 4
  let n = 0;
  let group = 0;
  let count = 0;
  for (const c of data) {
    if (c === 0x7e) break;
    if (c === 0x7a && count === 0) {
      n += 4;
      continue;
    }
    if (c < 0x21 || c > 0x75) continue;
    group = group * 85 + (c - 0x21);
    if (++count === 5) {
      out[n++] = (group >>> 24) & 255;
      out[n++] = (group >>> 16) & 255;
      out[n++] = (group >>> 8) & 255;
      out[n++] = group & 255;
      group = 0;
      count = 0;
    }
  }
  if (count > 1) {
    for (let k = count; k < 5; k++) group = group * 85 + 84;
    for (let k = 0; k < count - 1; k++) out[n++] = (group >>> (24 - 8 * k)) & 255;
  }
  return out.subarray(0, n);
}

const ENDSTREAM = [0x65, 0x6e, 0x64, 0x73, 0x74, 0x72, 0x65, 0x61, 0x6d];
function indexOfEndstream(bytes: Uint8Array, from: number): number {
  for (let i = bytes.indexOf(0x65, from); i >= 0; i = bytes.indexOf(0x65, i + 1)) {
    if (ENDSTREAM.every((b, k) => bytes[i + k] === b)) return i;
  }
  return bytes.length;
}

/** Output length of a RunLengthDecode stream, without decoding it. */
function runLengthSize(data: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < data.length; ) {
    const len = data[i]!;
    if (len === 128) break;
    if (len < 128) {
      n += len + 1;
      i += len + 2;
    } else {
      n += 257 - len;
      i += 2;
    }
  }
  return n;
}

/** Output length of an LZWDecode stream (early change 1), from the codes alone: entry lengths only. */
function lzwSize(data: Uint8Array, limit: number): number {
  const lengths = new Uint16Array(4096);
  for (let i = 0; i < 256; i++) lengths[i] = 1;
  let next = 258;
  let width = 9;
  let prev = -1;
  let total = 0;
  let bitBuf = 0;
  let bits = 0;
  for (let i = 0; i < data.length; i++) {
    bitBuf = ((bitBuf << 8) | data[i]!) >>> 0;
    bits += 8;
    while (bits >= width) {
      const code = (bitBuf >>> (bits - width)) & ((1 << width) - 1);
      bits -= width;
      if (code === 256) {
        next = 258;
        width = 9;
        prev = -1;
        continue;
      }
      if (code === 257) return total;
      let len: number;
      if (code < next && lengths[code]! > 0) len = lengths[code]!;
      else if (code === next && prev >= 0) len = lengths[prev]! + 1;
      else return total; // a bad code: pdf.js stops there too
      total += len;
      if (total > limit) return total;
      if (prev >= 0 && next < 4096) lengths[next++] = Math.min(4095, lengths[prev]! + 1);
      if (next + 1 >= 1 << width && width < 12) width++;
      prev = code;
    }
  }
  return total;
}

/**
 * Refuses a PDF whose compressed streams decode to more than `PDF_LIMITS` allow, before pdf.js runs.
 * Streams that do not decode here (damaged, encrypted) are left to pdf.js; what they produced before
 * failing still counts.
 */
export function checkPdfStreams(name: string, bytes: Uint8Array): void {
  const budget = new ByteBudget(PDF_LIMITS.maxInflatedBytes);
  const tooBig = (): never => {
    throw new TributaryError(
      'file/too-large',
      `the PDF's compressed streams expand to more than ${PDF_LIMITS.maxInflatedBytes / 1024 / 1024} MB (a decompression bomb, or a file far larger than a text document); export the text as a smaller PDF or as .txt.`,
      name,
    );
  };
  const quiet: ZipErrors = { code: 'file/broken-pdf', advice: '' };
  let lengths: Map<string, number> | undefined;
  const numbers = (): Map<string, number> => (lengths ??= numberObjects(bytes));
  for (const { keyword, data } of streamStarts(bytes)) {
    const dict = dictionaryBefore(bytes, keyword);
    const filters = filtersOf(dict);
    if (filters.length === 0) continue;
    let end = indexOfEndstream(bytes, data);
    const length = declaredLength(dict, numbers);
    if (length !== undefined && data + length <= bytes.length && data + length > end) end = data + length;
    let current: Uint8Array = bytes.subarray(data, end);
    for (const [i, filter] of filters.entries()) {
      const last = i === filters.length - 1;
      const remaining = Math.min(PDF_LIMITS.maxStreamBytes, budget.limit - budget.spent);
      if (filter === 'FlateDecode' || filter === 'Fl') {
        try {
          current = inflateWithin(current, 'zlib', PDF_LIMITS.maxStreamBytes, budget, quiet);
        } catch (e) {
          if (budget.spent > budget.limit || /inflates past its limit/.test(e instanceof Error ? e.message : '')) tooBig();
          break; // damaged or encrypted: pdf.js decides (what it inflated before failing was counted)
        }
      } else if (filter === 'RunLengthDecode' || filter === 'RL') {
        const n = runLengthSize(current);
        if (n > remaining || !budget.take(n)) tooBig();
        if (!last) break; // not decoded here: what follows is left to pdf.js (no known PDF chains it)
      } else if (filter === 'LZWDecode' || filter === 'LZW') {
        const n = lzwSize(current, remaining + 1);
        if (n > remaining || !budget.take(n)) tooBig();
        if (!last) break;
      } else if (filter === 'ASCIIHexDecode' || filter === 'AHx') {
        current = asciiHex(current); // shrinks: decoded so a filter after it is measured
      } else if (filter === 'ASCII85Decode' || filter === 'A85') {
        current = ascii85(current); // at most 4 bytes per input byte (`z`); bounded by the file size
      } else {
        break; // image filters (DCT, JPX, CCITT, JBIG2) are not decoded for text extraction
      }
    }
  }
}
