/**
 * Test fixtures built in code (nothing binary is committed): PDFs with pdf-lib, DOCX as a hand-made ZIP.
 * Used by the unit tests and, from Node, by the end-to-end tests. pdf-lib is a dev dependency: never import
 * this module from app code.
 */
import { strToU8, zipSync } from 'fflate';
import { PDFDocument, PDFHexString, StandardFonts } from 'pdf-lib';

/**
 * A PDF with one page per entry of `pages`, each line of a page drawn with Helvetica (WinAnsi: Latin-1
 * text only), top to bottom.
 */
export async function makePdf(pages: string[][]): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.setTitle('Tributary test fixture');
  for (const lines of pages) {
    const page = doc.addPage([595, 842]);
    let y = 780;
    for (const line of lines) {
      if (line !== '') page.drawText(line, { x: 50, y, size: 12, font });
      y -= 18;
    }
  }
  return doc.save({ useObjectStreams: false });
}

/**
 * A PDF whose trailer declares Standard-handler encryption with a user password we do not know, so a
 * reader asks for a password.
 */
export async function makeEncryptedPdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.addPage([200, 200]).drawText('secret', { x: 20, y: 100, size: 12, font });
  const ctx = doc.context;
  const filled = (b: number) => PDFHexString.of(b.toString(16).padStart(2, '0').repeat(32));
  const encrypt = ctx.obj({ Filter: 'Standard', V: 1, R: 2, O: filled(0x11), U: filled(0x22), P: -44 });
  ctx.trailerInfo.Encrypt = ctx.register(encrypt);
  ctx.trailerInfo.ID = ctx.obj([PDFHexString.of('00112233445566778899aabbccddeeff'), PDFHexString.of('00112233445566778899aabbccddeeff')]);
  return doc.save({ useObjectStreams: false });
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A minimal valid .docx: one `<w:p><w:r><w:t>` paragraph per entry. */
export function makeDocx(paragraphs: string[]): Uint8Array {
  const contentTypes =
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
    '<Default Extension="xml" ContentType="application/xml"/>' +
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>' +
    '</Types>';
  const rels =
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>' +
    '</Relationships>';
  const body = paragraphs.map((p) => `<w:p><w:r><w:t xml:space="preserve">${xmlEscape(p)}</w:t></w:r></w:p>`).join('');
  const document =
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">' +
    `<w:body>${body}</w:body></w:document>`;
  return zipSync({
    '[Content_Types].xml': strToU8(contentTypes),
    '_rels/.rels': strToU8(rels),
    'word/document.xml': strToU8(document),
  });
}

/** A ZIP that is not a Word document (no word/ part), for error tests. */
export function makeZip(files: Record<string, string>): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strToU8(v)])));
}

/**
 * A hand-written PDF (correct xref offsets) with `pageCount` pages in one flat page tree, each page
 * drawing its content stream from `contents(i)` (raw stream bytes plus extra dictionary entries).
 * For hostile-input tests: tens of thousands of empty pages, or a FlateDecode bomb.
 */
export function makeRawPdf(pageCount: number, contents?: (i: number) => { dict: string; data: Uint8Array } | undefined): Uint8Array {
  const parts: Uint8Array[] = [];
  const offsets: number[] = [];
  let size = 0;
  const push = (b: Uint8Array | string) => {
    const bytes = typeof b === 'string' ? strToU8(b, true) : b;
    parts.push(bytes);
    size += bytes.length;
  };
  push('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n');
  const obj = (n: number, body: (string | Uint8Array)[]) => {
    offsets[n] = size;
    push(`${n} 0 obj\n`);
    for (const b of body) push(b);
    push('\nendobj\n');
  };
  const firstPage = 3;
  const firstContent = firstPage + pageCount;
  obj(1, ['<< /Type /Catalog /Pages 2 0 R >>']);
  const kids = Array.from({ length: pageCount }, (_, i) => `${firstPage + i} 0 R`).join(' ');
  obj(2, [`<< /Type /Pages /Count ${pageCount} /Kids [${kids}] >>`]);
  const streams: { n: number; dict: string; data: Uint8Array }[] = [];
  for (let i = 0; i < pageCount; i++) {
    const c = contents?.(i);
    const ref = c ? ` /Contents ${firstContent + streams.length} 0 R` : '';
    if (c) streams.push({ n: firstContent + streams.length, ...c });
    obj(firstPage + i, [`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]${ref} >>`]);
  }
  for (const s of streams) obj(s.n, [`<< /Length ${s.data.length}${s.dict} >>\nstream\n`, s.data, '\nendstream']);
  const count = firstContent + streams.length;
  const xref = size;
  push(`xref\n0 ${count}\n0000000000 65535 f \n`);
  for (let n = 1; n < count; n++) push(`${String(offsets[n]).padStart(10, '0')} 00000 n \n`);
  push(`trailer\n<< /Size ${count} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
