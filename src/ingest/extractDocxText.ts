/**
 * Word (.docx) text extraction with mammoth's `extractRawText` (paragraphs separated by blank lines).
 * Before mammoth runs, the ZIP container is checked with fflate so that the common mistakes get a clear
 * message: an old binary .doc, a password-protected document, an Excel or PowerPoint file, a damaged ZIP.
 */
import { unzipSync } from 'fflate';
import { TributaryError } from '../core/errors.ts';

const broken = (name: string, message: string): TributaryError => new TributaryError('file/broken-docx', message, name);

/** True when the bytes start like a ZIP archive (a .docx is one). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 0x03 || bytes[2] === 0x05) && (bytes[3] === 0x04 || bytes[3] === 0x06);
}

const OLE2 = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/** Names of the entries of a ZIP archive, without decompressing them. */
function zipEntryNames(name: string, bytes: Uint8Array): string[] {
  const names: string[] = [];
  try {
    unzipSync(bytes, {
      filter: (f) => {
        names.push(f.name);
        return false;
      },
    });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw broken(name, `the .docx file is damaged (its ZIP container cannot be read: ${why}); save it again from Word and retry.`);
  }
  return names;
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
  const entries = zipEntryNames(name, bytes);
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
  // A private copy as an exact-size ArrayBuffer: mammoth's browser build reads `arrayBuffer`, its Node
  // build reads `buffer` (any Uint8Array works for JSZip there), so both are given.
  const copy = bytes.slice();
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
