import { describe, expect, it } from 'vitest';
import { TributaryError, type ErrorCode } from '../core/errors.ts';
import { extractText, type ExtractProgress } from './extractText.ts';
import { makeDocx, makePdf } from './sampleFiles.testkit.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

async function expectError(p: Promise<unknown>, code: ErrorCode, subject: string): Promise<TributaryError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TributaryError);
  const t = e as TributaryError;
  expect(t.code).toBe(code);
  expect(t.subject).toBe(subject);
  expect(t.message.startsWith(`${subject}: `)).toBe(true);
  return t;
}

describe('extractText', () => {
  it('reads and normalises .txt and .md', async () => {
    expect(await extractText('a.txt', enc('\uFEFFHello\r\n\r\n\r\nworld  \r\n'))).toEqual({ text: 'Hello\n\nworld', kind: 'txt', mediaType: 'text/plain' });
    expect(await extractText('R.MD', enc('# Title\n\nBody'))).toEqual({ text: '# Title\n\nBody', kind: 'md', mediaType: 'text/markdown' });
  });

  it('converts .jsonl and .csv', async () => {
    expect((await extractText('d.jsonl', enc('{"text":"one"}\n{"content":"two"}\n'))).text).toBe('one\n\ntwo');
    const csv = await extractText('t.csv', enc('q,a\r\nWhy?,"Because, well."\r\n'));
    expect(csv).toEqual({ text: 'q: Why?\na: Because, well.', kind: 'csv', mediaType: 'text/csv' });
  });

  it('extracts .pdf with page progress', async () => {
    const pdf = await makePdf([['Page one.'], ['Page two.']]);
    const progress: ExtractProgress[] = [];
    const r = await extractText('paper.pdf', pdf, (p) => progress.push(p));
    expect(r).toEqual({ text: 'Page one.\n\nPage two.', kind: 'pdf', mediaType: 'application/pdf' });
    expect(progress).toEqual([
      { stage: 'extracting', done: 0, total: 2 },
      { stage: 'extracting', done: 1, total: 2 },
      { stage: 'extracting', done: 2, total: 2 },
    ]);
  });

  it('extracts .docx', async () => {
    const r = await extractText('letter.docx', makeDocx(['Dear reader,', 'Thanks.']));
    expect(r).toEqual({
      text: 'Dear reader,\n\nThanks.',
      kind: 'docx',
      mediaType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    });
  });

  it('reports 0/1 and 1/1 progress for text kinds', async () => {
    const progress: ExtractProgress[] = [];
    await extractText('a.txt', enc('hi'), (p) => progress.push(p));
    expect(progress).toEqual([
      { stage: 'extracting', done: 0, total: 1 },
      { stage: 'extracting', done: 1, total: 1 },
    ]);
  });

  it('checks the size before anything else', async () => {
    const big = new Uint8Array(5 * 1024 * 1024 + 1);
    await expectError(extractText('huge.xyz', big), 'file/too-large', 'huge.xyz');
  });

  it('rejects unsupported types', async () => {
    await expectError(extractText('img.png', enc('x')), 'file/unsupported-type', 'img.png');
  });

  it('rejects empty files of every kind', async () => {
    for (const name of ['e.txt', 'e.md', 'e.jsonl', 'e.csv', 'e.pdf', 'e.docx']) await expectError(extractText(name, new Uint8Array()), 'file/empty', name);
    await expectError(extractText('ws.txt', enc('  \n ')), 'file/empty', 'ws.txt');
  });

  it('rejects binary, bad UTF-8, bad JSONL and bad CSV', async () => {
    await expectError(extractText('pic.txt', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'file/binary', 'pic.txt');
    await expectError(extractText('doc.md', await makePdf([['x']])), 'file/binary', 'doc.md');
    await expectError(extractText('l1.txt', new Uint8Array([0x63, 0x61, 0x66, 0xe9])), 'file/bad-utf8', 'l1.txt');
    await expectError(extractText('bad.jsonl', enc('{"text":"ok"}\nnope')), 'file/bad-jsonl', 'bad.jsonl');
    await expectError(extractText('bad.csv', enc('a,b\n1\n')), 'file/bad-csv', 'bad.csv');
  });

  it('rejects a .pdf or .docx that is something else', async () => {
    const e = await expectError(extractText('notes.pdf', enc('plain text')), 'file/broken-pdf', 'notes.pdf');
    expect(e.message).toContain('not a PDF file');
    await expectError(extractText('notes.docx', enc('plain text')), 'file/broken-docx', 'notes.docx');
    await expectError(extractText('paper.docx', await makePdf([['x']])), 'file/broken-docx', 'paper.docx');
  });

  it('rejects files with no text left', async () => {
    const e = await expectError(extractText('scan.pdf', await makePdf([[]])), 'file/no-text', 'scan.pdf');
    expect(e.message).toContain('OCR');
    await expectError(extractText('empty.docx', makeDocx(['', '  '])), 'file/no-text', 'empty.docx');
    await expectError(extractText('blank.jsonl', enc('{"text":"   "}\n"  "\n')), 'file/no-text', 'blank.jsonl');
    await expectError(extractText('head.csv', enc('only,a,header\n')), 'file/no-text', 'head.csv');
  });
});
