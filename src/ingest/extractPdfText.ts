/**
 * PDF text extraction with pdfjs-dist, the same code in Node (tests, CLI) and in a Vite-built module web
 * worker. How pdf.js is made to run in-thread in both: see `pdfjs.ts`.
 *
 * Nothing is fetched: no cMapUrl / standardFontDataUrl / wasmUrl are given, `useWorkerFetch` and `useWasm`
 * are off, fonts are neither turned into FontFace objects (`disableFontFace`) nor matched to system fonts,
 * and `isEvalSupported` is off (CSP-friendly). Text extraction only needs the fonts' encodings, which
 * pdf.js reads from the file and its built-in tables.
 */
import { TributaryError, isTributaryError } from '../core/errors.ts';
import type * as PdfJsModule from './pdfjs.ts';
import { PDF_LIMITS, checkPdfStreams } from './pdfStreams.ts';

type PdfJs = typeof PdfJsModule;
let pdfjs: Promise<PdfJs> | undefined;
/** Loads pdf.js once, on first use. */
function loadPdfjs(): Promise<PdfJs> {
  pdfjs ??= import('./pdfjs.ts').catch((e: unknown) => {
    pdfjs = undefined; // let a later call retry (e.g. a chunk that failed to load offline)
    throw e;
  });
  return pdfjs;
}

/** The fields of a pdfjs TextItem we use (the type is not exported from pdfjs-dist's entry point). */
interface PdfTextItem {
  str: string;
  hasEOL: boolean;
  transform: number[];
  height: number;
}

interface Line {
  text: string;
  y: number;
  h: number;
}

const isTextItem = (item: object): item is PdfTextItem => 'str' in item && typeof (item as { str: unknown }).str === 'string';

/** Rebuilds lines from text items: a new line at `hasEOL` or when the baseline moves by over half a line. */
function pageLines(items: readonly object[]): Line[] {
  const lines: Line[] = [];
  let cur = '';
  let curY = 0;
  let curH = 0;
  let open = false;
  const finish = () => {
    if (cur.trim() !== '') lines.push({ text: cur, y: curY, h: curH });
    cur = '';
    open = false;
  };
  for (const item of items) {
    if (!isTextItem(item)) continue;
    const y = item.transform[5] ?? 0;
    const h = Math.abs(item.height) || Math.hypot(item.transform[2] ?? 0, item.transform[3] ?? 0);
    if (open && item.str !== '' && Math.abs(y - curY) > Math.max(h, curH, 1) * 0.5) finish();
    if (!open && item.str !== '') {
      curY = y;
      curH = h;
      open = true;
    }
    if (item.str !== '') {
      cur += item.str;
      curH = Math.max(curH, h);
    }
    if (item.hasEOL) finish();
  }
  finish();
  return lines;
}

/** Joins lines; a vertical jump of more than 1.8 line heights (a gap, or a new column) starts a paragraph. */
function joinLines(lines: Line[]): string {
  let out = '';
  lines.forEach((line, i) => {
    if (i > 0) {
      const prev = lines[i - 1]!;
      const lineHeight = Math.max(prev.h, line.h);
      out += lineHeight > 0 && Math.abs(prev.y - line.y) > lineHeight * 1.8 ? '\n\n' : '\n';
    }
    out += line.text;
  });
  return out;
}

/** True when a `%PDF-` header appears in the first 1024 bytes (where PDF readers look for it). */
export function looksLikePdf(bytes: Uint8Array): boolean {
  const end = Math.min(bytes.length - 5, 1024);
  for (let i = 0; i <= end; i++) {
    if (bytes[i] === 0x25 && bytes[i + 1] === 0x50 && bytes[i + 2] === 0x44 && bytes[i + 3] === 0x46 && bytes[i + 4] === 0x2d) return true;
  }
  return false;
}

/**
 * The text of a PDF: pages in order, separated by blank lines; lines rebuilt from the text items.
 * `onProgress(done, total)` is called with 0 and after each page. Fails with `file/broken-pdf` (naming
 * the file and the reason) for files that are not PDFs, are damaged, or are password-protected.
 * The caller's `bytes` are not modified or detached (pdfjs gets a copy).
 */
export async function extractPdfText(name: string, bytes: Uint8Array, onProgress?: (done: number, total: number) => void): Promise<string> {
  if (!looksLikePdf(bytes)) {
    throw new TributaryError('file/broken-pdf', 'this is not a PDF file (it has no %PDF header); choose a real PDF or rename the file to its actual type.', name);
  }
  checkPdfStreams(name, bytes); // decompression bombs are refused before pdf.js decodes anything
  let getDocument: PdfJs['getDocument'];
  try {
    ({ getDocument } = await loadPdfjs());
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new TributaryError('file/broken-pdf', `the PDF reader could not be loaded (${why}); reload the app and try again.`, name);
  }
  const task = getDocument({
    data: bytes.slice(),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    useWorkerFetch: false,
    useWasm: false,
    stopAtErrors: false,
    verbosity: 0, // errors only
  });
  try {
    const doc = await task.promise;
    const total = doc.numPages;
    // pdf.js finds page p by walking the page tree, so n pages cost O(n²): the cap bounds that time
    // (50,000 empty pages in 4 MB used to run for minutes) before any page is read.
    if (total > PDF_LIMITS.maxPages) {
      throw new TributaryError(
        'file/too-large',
        `the PDF has ${total.toLocaleString('en-US')} pages; at most ${PDF_LIMITS.maxPages.toLocaleString('en-US')} are read. Split it into smaller PDFs and add them one by one.`,
        name,
      );
    }
    onProgress?.(0, total);
    const pages: string[] = [];
    let chars = 0;
    for (let p = 1; p <= total; p++) {
      const page = await doc.getPage(p);
      const content = await page.getTextContent();
      const text = joinLines(pageLines(content.items));
      page.cleanup();
      chars += text.length;
      if (chars > PDF_LIMITS.maxTextChars) {
        throw new TributaryError(
          'file/too-large',
          `the PDF holds more than ${PDF_LIMITS.maxTextChars.toLocaleString('en-US')} characters of text (by page ${p}); split it into smaller PDFs and add them one by one.`,
          name,
        );
      }
      if (text.trim() !== '') pages.push(text);
      onProgress?.(p, total);
    }
    return pages.join('\n\n');
  } catch (e) {
    if (isTributaryError(e)) throw e;
    throw pdfError(name, e);
  } finally {
    await task.destroy().catch(() => undefined);
  }
}

function pdfError(name: string, e: unknown): TributaryError {
  const kind = typeof e === 'object' && e !== null ? (e as { name?: unknown }).name : undefined;
  const why = e instanceof Error ? e.message : String(e);
  if (kind === 'PasswordException') {
    return new TributaryError(
      'file/broken-pdf',
      'the PDF is password-protected; open it, save or print a copy without a password, and add that copy.',
      name,
    );
  }
  if (kind === 'InvalidPDFException') {
    return new TributaryError('file/broken-pdf', `the PDF is damaged or incomplete (${why}); export it again from the original application.`, name);
  }
  return new TributaryError('file/broken-pdf', `the PDF could not be read (${why}); export it again from the original application.`, name);
}
