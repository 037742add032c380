/** Hostile PDFs (issue 10): huge page counts, FlateDecode / LZW / RunLength bombs — refused in bounded time. */
import { describe, expect, it } from 'vitest';
import { strToU8 } from 'fflate';
import { isTributaryError } from '../core/errors.ts';
import { zlibBomb } from '../core/zip/zipBombs.testkit.ts';
import { extractPdfText } from './extractPdfText.ts';
import { makeRawPdf } from './sampleFiles.testkit.ts';
import { PDF_LIMITS } from './pdfStreams.ts';

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string; ms: number }> {
  const t0 = performance.now();
  try {
    await p;
  } catch (e) {
    if (!isTributaryError(e)) throw e;
    return { code: e.code, message: e.message, ms: performance.now() - t0 };
  }
  throw new Error('expected a refusal');
}

describe('hostile PDFs', () => {
  it('reads a hand-written PDF (the fixture is a real PDF)', async () => {
    const text = strToU8('BT /F1 12 Tf 20 100 Td (Hello raw PDF) Tj ET');
    const pdf = makeRawPdf(2, (i) => (i === 0 ? { dict: '', data: text } : undefined));
    // no font resource: pdf.js still reports the string
    expect(await extractPdfText('raw.pdf', pdf)).toContain('Hello raw PDF');
  });

  it('50,000 empty pages are refused in bounded time with file/too-large', async () => {
    const pdf = makeRawPdf(50_000);
    const r = await refusal(extractPdfText('pages.pdf', pdf));
    expect(r.code).toBe('file/too-large');
    expect(r.message).toMatch(/50,000 pages/);
    expect(r.ms).toBeLessThan(10_000);
  }, 30_000);

  it('a page count one over the cap is refused', async () => {
    expect((await refusal(extractPdfText('over.pdf', makeRawPdf(PDF_LIMITS.maxPages + 1)))).code).toBe('file/too-large');
  }, 30_000);

  it('a FlateDecode stream that inflates past the budget is refused before pdf.js decodes it', async () => {
    const bomb = zlibBomb(PDF_LIMITS.maxStreamBytes + 1024 * 1024);
    const pdf = makeRawPdf(1, () => ({ dict: ' /Filter /FlateDecode', data: bomb }));
    const r = await refusal(extractPdfText('bomb.pdf', pdf));
    expect(r.code).toBe('file/too-large');
    expect(r.ms).toBeLessThan(3000);
  }, 30_000);

  it('many smaller Flate streams that add up past the total budget are refused', async () => {
    const piece = zlibBomb(PDF_LIMITS.maxInflatedBytes / 4 + 1);
    const pdf = makeRawPdf(5, () => ({ dict: ' /Filter [/FlateDecode]', data: piece }));
    expect((await refusal(extractPdfText('bombs.pdf', pdf))).code).toBe('file/too-large');
  }, 30_000);

  it('a chained Flate-of-Flate bomb is measured at every layer', async () => {
    const { zlibSync } = await import('fflate');
    const inner = zlibBomb(PDF_LIMITS.maxStreamBytes + 1024 * 1024);
    const outer = zlibSync(inner, { level: 9 });
    const pdf = makeRawPdf(1, () => ({ dict: ' /Filter [/FlateDecode /FlateDecode]', data: outer }));
    expect((await refusal(extractPdfText('double.pdf', pdf))).code).toBe('file/too-large');
  }, 30_000);

  it('a RunLength stream expanding 64× past the budget is refused without decoding', async () => {
    const run = new Uint8Array(2 * 1024 * 1024 + 2);
    for (let i = 0; i + 1 < run.length; i += 2) {
      run[i] = 129; // repeat the next byte 128 times
      run[i + 1] = 0x20;
    }
    run[run.length - 2] = 128; // EOD
    const pdf = makeRawPdf(1, () => ({ dict: ' /Filter /RunLengthDecode', data: run }));
    expect((await refusal(extractPdfText('rl.pdf', pdf))).code).toBe('file/too-large');
  }, 30_000);
});
