import { describe, expect, it } from 'vitest';
import { TributaryError } from '../core/errors.ts';
import { extractDocxText } from './extractDocxText.ts';
import { makeDocx, makeZip } from './sampleFiles.testkit.ts';

async function expectBroken(p: Promise<unknown>, subject: string, re: RegExp): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TributaryError);
  expect((e as TributaryError).code).toBe('file/broken-docx');
  expect((e as TributaryError).subject).toBe(subject);
  expect((e as TributaryError).message).toMatch(re);
}

describe('extractDocxText', () => {
  it('extracts paragraphs separated by blank lines', async () => {
    const docx = makeDocx(['First paragraph.', 'Second <one> & "quoted".', 'Ünïcødé 中文 😀']);
    const text = await extractDocxText('letter.docx', docx);
    expect(text.trim()).toBe('First paragraph.\n\nSecond <one> & "quoted".\n\nÜnïcødé 中文 😀');
  });

  it('leaves the input bytes intact', async () => {
    const docx = makeDocx(['x']);
    const before = docx.slice();
    await extractDocxText('x.docx', docx);
    expect(docx).toEqual(before);
  });

  it('rejects a file that is not a ZIP', async () => {
    await expectBroken(extractDocxText('text.docx', new TextEncoder().encode('hello')), 'text.docx', /not a \.docx/);
    await expectBroken(extractDocxText('empty.docx', new Uint8Array()), 'empty.docx', /not a \.docx/);
  });

  it('explains old .doc and password-protected files', async () => {
    const ole = new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0, 0]);
    await expectBroken(extractDocxText('old.docx', ole), 'old.docx', /old-format Word \.doc or a password-protected/);
  });

  it('rejects a ZIP without word/document.xml, recognising Excel files', async () => {
    await expectBroken(extractDocxText('notes.docx', makeZip({ 'readme.txt': 'hi' })), 'notes.docx', /no word\/document\.xml/);
    await expectBroken(extractDocxText('sheet.docx', makeZip({ 'xl/workbook.xml': '<x/>' })), 'sheet.docx', /Excel/);
  });

  it('rejects a damaged ZIP', async () => {
    const docx = makeDocx(['some text here']);
    await expectBroken(extractDocxText('cut.docx', docx.slice(0, docx.length - 30)), 'cut.docx', /damaged/);
  });

  it('rejects a document.xml that is not XML', async () => {
    const zip = makeZip({ '[Content_Types].xml': '<Types/>', 'word/document.xml': 'not <xml' });
    await expectBroken(extractDocxText('junk.docx', zip), 'junk.docx', /could not be read/);
  });
});

describe('extractDocxText against zip bombs', () => {
  it('refuses a document.xml that claims 1 KB but inflates to 8 MB, quickly, with file/broken-docx', async () => {
    const { zipBomb } = await import('../core/zip/zipBombs.testkit.ts');
    const { strToU8 } = await import('fflate');
    const bomb = zipBomb({ '[Content_Types].xml': strToU8('<Types/>') }, 'word/document.xml', 8 * 1024 * 1024, 1000);
    const t0 = performance.now();
    await expectBroken(extractDocxText('bomb.docx', bomb), 'bomb.docx', /inflates past its limit/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('refuses entries that honestly declare more than the inflated budget in total, before inflating', async () => {
    const { zipSync } = await import('fflate');
    const { DOCX_LIMITS } = await import('./extractDocxText.ts');
    const big = new Uint8Array(DOCX_LIMITS.maxInflatedBytes / 2 + 1);
    const docx = zipSync({ 'word/document.xml': big, 'word/media/a.bin': big, 'word/media/b.bin': big }, { level: 1 });
    await expectBroken(extractDocxText('big.docx', docx), 'big.docx', /more than/);
  });
});
