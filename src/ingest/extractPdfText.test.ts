import { describe, expect, it } from 'vitest';
import { TributaryError } from '../core/errors.ts';
import { extractPdfText, looksLikePdf } from './extractPdfText.ts';
import { makeEncryptedPdf, makePdf } from './sampleFiles.testkit.ts';

async function expectBroken(p: Promise<unknown>, subject: string, re: RegExp): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TributaryError);
  expect((e as TributaryError).code).toBe('file/broken-pdf');
  expect((e as TributaryError).subject).toBe(subject);
  expect((e as TributaryError).message).toMatch(re);
}

describe('extractPdfText', () => {
  it('extracts lines and pages in order, with blank lines between pages and paragraphs', async () => {
    const pdf = await makePdf([
      ['First line of page one.', 'Second line of page one.', '', 'A paragraph after a gap.'],
      ['Page two, with accents: café, naïve.'],
      ['Page three.'],
    ]);
    const text = await extractPdfText('doc.pdf', pdf);
    expect(text).toBe(
      'First line of page one.\nSecond line of page one.\n\nA paragraph after a gap.\n\nPage two, with accents: café, naïve.\n\nPage three.',
    );
  });

  it('reports progress per page and leaves the input bytes intact', async () => {
    const pdf = await makePdf([['one'], ['two'], ['three'], ['four']]);
    const before = pdf.slice();
    const calls: [number, number][] = [];
    await extractPdfText('p.pdf', pdf, (d, t) => calls.push([d, t]));
    expect(calls).toEqual([
      [0, 4],
      [1, 4],
      [2, 4],
      [3, 4],
      [4, 4],
    ]);
    expect(pdf.byteLength).toBe(before.byteLength);
    expect(pdf).toEqual(before);
  });

  it('leaves no window shim behind after loading pdf.js', async () => {
    await extractPdfText('w.pdf', await makePdf([['x']]));
    expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
    expect(typeof (globalThis as { pdfjsWorker?: unknown }).pdfjsWorker).toBe('object');
  });

  it('returns empty text for a PDF without text', async () => {
    expect(await extractPdfText('blank.pdf', await makePdf([[], []]))).toBe('');
  });

  it('can extract the same bytes twice and many documents in a row', async () => {
    const pdf = await makePdf([['again']]);
    expect(await extractPdfText('a.pdf', pdf)).toBe('again');
    expect(await extractPdfText('a.pdf', pdf)).toBe('again');
  });

  it('rejects a file that is not a PDF', async () => {
    await expectBroken(extractPdfText('fake.pdf', new TextEncoder().encode('just text')), 'fake.pdf', /not a PDF/);
    await expectBroken(extractPdfText('empty.pdf', new Uint8Array()), 'empty.pdf', /not a PDF/);
  });

  it('rejects a damaged PDF', async () => {
    await expectBroken(extractPdfText('bad.pdf', new TextEncoder().encode('%PDF-1.7\nthis is not a pdf body at all')), 'bad.pdf', /damaged|could not be read/);
    const pdf = await makePdf([['some text']]);
    await expectBroken(extractPdfText('cut.pdf', pdf.slice(0, 300)), 'cut.pdf', /damaged|could not be read/);
  });

  it('rejects a password-protected PDF', async () => {
    await expectBroken(extractPdfText('locked.pdf', await makeEncryptedPdf()), 'locked.pdf', /password-protected/);
  });
});

describe('looksLikePdf', () => {
  it('finds the header at the start or within the first KB', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(looksLikePdf(enc('%PDF-1.4'))).toBe(true);
    expect(looksLikePdf(enc(`${' '.repeat(500)}%PDF-1.4`))).toBe(true);
    expect(looksLikePdf(enc(`${' '.repeat(1100)}%PDF-1.4`))).toBe(false);
    expect(looksLikePdf(enc('%PDF'))).toBe(false);
    expect(looksLikePdf(new Uint8Array())).toBe(false);
  });
});
