/**
 * One entry point from a file's name and bytes to its normalised text: size check, kind by extension,
 * then decoding (txt/md), conversion (jsonl/csv) or extraction (pdf/docx), then `normalizeText`.
 * Every failure is a `TributaryError` whose subject is the file name.
 */
import { TributaryError, isTributaryError, type ErrorCode } from '../core/errors.ts';
import { checkFileSize } from '../core/limits.ts';
import { normalizeText } from '../core/normalize.ts';
import { csvToText, decodeUtf8Text, detectFileKind, jsonlToText, mediaTypeOf, type FileKind } from '../core/textFile.ts';
import { extractDocxText } from './extractDocxText.ts';
import { extractPdfText, looksLikePdf } from './extractPdfText.ts';

export interface ExtractProgress {
  stage: 'extracting';
  done: number;
  total: number;
}

export interface ExtractedText {
  /** `normalizeText` of the extracted text; never empty. */
  text: string;
  kind: FileKind;
  mediaType: string;
}

const NO_TEXT_HINT: Record<FileKind, string> = {
  txt: 'the file has no text; choose a file with words in it.',
  md: 'the file has no text; choose a file with words in it.',
  jsonl: 'no record has any text; each line needs a JSON string or an object with a "text", "content" or "body" field.',
  csv: 'the table has no values under its header row; add rows or choose another file.',
  pdf: 'the PDF has no extractable text (a scanned PDF holds only images); run it through OCR or export the text, then add that.',
  docx: 'the document has no text; choose a document with words in it.',
};

const FALLBACK_CODE: Record<FileKind, ErrorCode> = {
  txt: 'file/bad-utf8',
  md: 'file/bad-utf8',
  jsonl: 'file/bad-jsonl',
  csv: 'file/bad-csv',
  pdf: 'file/broken-pdf',
  docx: 'file/broken-docx',
};

async function rawText(name: string, kind: FileKind, bytes: Uint8Array, onProgress?: (p: ExtractProgress) => void): Promise<string> {
  switch (kind) {
    case 'txt':
    case 'md':
      return decodeUtf8Text(name, bytes);
    case 'jsonl':
      return jsonlToText(name, decodeUtf8Text(name, bytes));
    case 'csv':
      return csvToText(name, decodeUtf8Text(name, bytes));
    case 'pdf':
      if (!looksLikePdf(bytes)) {
        throw new TributaryError('file/broken-pdf', 'not a PDF file (it has no %PDF header); choose a real PDF or give the file its actual extension.', name);
      }
      return extractPdfText(name, bytes, (done, total) => onProgress?.({ stage: 'extracting', done, total }));
    case 'docx':
      return extractDocxText(name, bytes);
  }
}

/**
 * Extracts and normalises the text of a file. `onProgress` reports pages for PDFs, and 0/1 then 1/1 for
 * the other kinds.
 */
export async function extractText(name: string, bytes: Uint8Array, onProgress?: (p: ExtractProgress) => void): Promise<ExtractedText> {
  checkFileSize(name, bytes.length);
  const kind = detectFileKind(name);
  if (bytes.length === 0) {
    throw new TributaryError('file/empty', 'the file is empty (0 bytes); choose a file that contains text.', name);
  }
  if (kind !== 'pdf') onProgress?.({ stage: 'extracting', done: 0, total: 1 });
  let raw: string;
  try {
    raw = await rawText(name, kind, bytes, onProgress);
  } catch (e) {
    if (isTributaryError(e)) throw e;
    // A library failed in a way we did not foresee: still name the file and say what to do.
    const why = e instanceof Error ? e.message : String(e);
    throw new TributaryError(FALLBACK_CODE[kind], `the file could not be read (${why}); check that it opens in its usual application, save it again and retry.`, name);
  }
  const text = normalizeText(raw);
  if (text === '') throw new TributaryError('file/no-text', NO_TEXT_HINT[kind], name);
  if (kind !== 'pdf') onProgress?.({ stage: 'extracting', done: 1, total: 1 });
  return { text, kind, mediaType: mediaTypeOf(kind) };
}
