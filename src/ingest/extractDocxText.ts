/**
 * Word (.docx) text extraction with mammoth's `extractRawText` (paragraphs separated by blank lines).
 * Before mammoth runs, the ZIP container is checked with fflate so that the common mistakes get a clear
 * message: an old binary .doc, a password-protected document, an Excel or PowerPoint file, a damaged ZIP.
 */
import { zipSync } from 'fflate';
import { TributaryError } from '../core/errors.ts';
import { ByteBudget, listZipEntries, readZipEntry } from '../core/zip/boundedZip.ts';

/**
 * Bounds for a .docx's ZIP container: entries, and bytes once inflated (all entries together). A 5 MB
 * Word document inflates to a few tens of MB at most; a zip bomb is stopped at the first byte past an
 * entry's declared size or past this total.
 */
export const DOCX_LIMITS = { maxEntries: 5000, maxInflatedBytes: 96 * 1024 * 1024 } as const;

const broken = (name: string, message: string): TributaryError => new TributaryError('file/broken-docx', message, name);

/** True when the bytes start like a ZIP archive (a .docx is one). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 0x03 || bytes[2] === 0x05) && (bytes[3] === 0x04 || bytes[3] === 0x06);
}

const OLE2 = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/**
 * Every entry of the ZIP container, inflated within `DOCX_LIMITS` (a bomb is refused, not inflated).
 * Mammoth then reads a clean stored copy built from these bytes, so it never inflates anything the
 * budget did not see.
 */
function inflateDocx(name: string, bytes: Uint8Array): Map<string, Uint8Array> {
  const errors = { code: 'file/broken-docx' as const, advice: 'Save the document again from Word and retry.', subject: name };
  const entries = listZipEntries(bytes, DOCX_LIMITS.maxEntries, errors);
  const budget = new ByteBudget(DOCX_LIMITS.maxInflatedBytes);
  const files = new Map<string, Uint8Array>();
  for (const entry of entries) {
    if (entry.name.endsWith('/')) continue;
    if (files.has(entry.name)) throw broken(name, `the .docx holds the entry ${JSON.stringify(entry.name.slice(0, 200))} twice; save it again from Word and retry.`);
    files.set(entry.name, readZipEntry(bytes, entry, budget, errors));
  }
  return files;
}

/**
 * The text of a .docx: paragraphs separated by blank lines. Fails with `file/broken-docx` (naming the file)
 * when it is not a ZIP, is not a Word document, or cannot be parsed. The caller's `bytes` are not modified.
 */
export async function extractDocxText(name: string, bytes: Uint8Array): Promise<string> {
  if (OLE2.every((b, i) => bytes[i] === b)) {
    throw broken(name, 'this is an old-format Word .doc or a password-protected document, not a .docx; open it in Word, remove any password and save it as .docx.');
  }
  if (!looksLikeZip(bytes)) {
    throw broken(name, 'this is not a .docx file (a .docx is a ZIP archive and this one is not); save the document as .docx and retry.');
  }
  const files = inflateDocx(name, bytes);
  const entries = [...files.keys()];
  if (!entries.includes('word/document.xml')) {
    const other = entries.some((e) => e.startsWith('xl/'))
      ? ' It looks like an Excel workbook.'
      : entries.some((e) => e.startsWith('ppt/'))
        ? ' It looks like a PowerPoint presentation.'
        : entries.includes('content.xml')
          ? ' It looks like an OpenDocument file.'
          : '';
    throw broken(name, `this ZIP file has no word/document.xml, so it is not a Word document.${other} Save the text as .docx, .txt or .pdf and retry.`);
  }
  // A clean stored (uncompressed) archive of the checked entries, as an exact-size ArrayBuffer: mammoth's
  // browser build reads `arrayBuffer`, its Node build reads `buffer` (any Uint8Array works for JSZip
  // there), so both are given.
  const copy = zipSync(Object.fromEntries(files), { level: 0 });
  const input = { arrayBuffer: copy.buffer, buffer: copy } as unknown as { arrayBuffer: ArrayBuffer }; // cast: mammoth's types offer one or the other
  let value: string;
  try {
    const { default: mammoth } = await import('mammoth'); // loaded on first use: only needed for .docx
    ({ value } = await mammoth.extractRawText(input));
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw broken(name, `the .docx could not be read (${why}); save it again from Word and retry.`);
  }
  return value;
}
