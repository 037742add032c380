import { describe, expect, it } from 'vitest';
import { TributaryError, type ErrorCode } from './errors.ts';
import { csvToText, decodeUtf8Text, detectFileKind, firstInvalidUtf8, jsonlToText, mediaTypeOf, sniffBinary, type FileKind } from './textFile.ts';

function expectError(fn: () => unknown, code: ErrorCode, subject: string): TributaryError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(TributaryError);
  const e = err as TributaryError;
  expect(e.code).toBe(code);
  expect(e.subject).toBe(subject);
  expect(e.message.startsWith(`${subject}: `)).toBe(true);
  return e;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);

describe('detectFileKind', () => {
  it.each<[string, FileKind]>([
    ['notes.txt', 'txt'],
    ['NOTES.TXT', 'txt'],
    ['a.text', 'txt'],
    ['readme.md', 'md'],
    ['Guide.Markdown', 'md'],
    ['data.jsonl', 'jsonl'],
    ['data.ndjson', 'jsonl'],
    ['table.CSV', 'csv'],
    ['paper.pdf', 'pdf'],
    ['letter.docx', 'docx'],
    ['dir/sub.dir/x.md', 'md'],
    ['archive.tar.txt', 'txt'],
  ])('%s -> %s', (name, kind) => {
    expect(detectFileKind(name)).toBe(kind);
  });

  it('rejects other extensions, naming the extension and the supported ones', () => {
    const e = expectError(() => detectFileKind('photo.XYZ'), 'file/unsupported-type', 'photo.XYZ');
    expect(e.message).toContain('unsupported file type ".xyz"; use .txt, .md, .jsonl, .csv, .pdf or .docx');
    expectError(() => detectFileKind('old.doc'), 'file/unsupported-type', 'old.doc');
    expectError(() => detectFileKind('constructor'), 'file/unsupported-type', 'constructor');
    expectError(() => detectFileKind('x.constructor'), 'file/unsupported-type', 'x.constructor');
    const e2 = expectError(() => detectFileKind('Makefile'), 'file/unsupported-type', 'Makefile');
    expect(e2.message).toContain('no extension');
  });
});

describe('mediaTypeOf', () => {
  it('maps each kind to a media type', () => {
    expect(mediaTypeOf('txt')).toBe('text/plain');
    expect(mediaTypeOf('md')).toBe('text/markdown');
    expect(mediaTypeOf('jsonl')).toBe('application/jsonl');
    expect(mediaTypeOf('csv')).toBe('text/csv');
    expect(mediaTypeOf('pdf')).toBe('application/pdf');
    expect(mediaTypeOf('docx')).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
  });
});

describe('decodeUtf8Text', () => {
  it('decodes UTF-8 and strips a BOM', () => {
    expect(decodeUtf8Text('a.txt', enc('héllo 😀 مرحبا'))).toBe('héllo 😀 مرحبا');
    expect(decodeUtf8Text('a.txt', bytes(0xef, 0xbb, 0xbf, 0x68, 0x69))).toBe('hi');
  });

  it('keeps tabs, form feeds and CRLF', () => {
    expect(decodeUtf8Text('a.txt', enc('a\tb\r\nc\fd'))).toBe('a\tb\r\nc\fd');
  });

  it('rejects empty and whitespace-only files', () => {
    const e = expectError(() => decodeUtf8Text('empty.txt', new Uint8Array()), 'file/empty', 'empty.txt');
    expect(e.message).toContain('0 bytes');
    expectError(() => decodeUtf8Text('ws.txt', enc(' \n\t\r\n ')), 'file/empty', 'ws.txt');
    expectError(() => decodeUtf8Text('bom.txt', bytes(0xef, 0xbb, 0xbf)), 'file/empty', 'bom.txt');
  });

  it.each<[string, number[], RegExp]>([
    ['PDF', [...enc('%PDF-1.7\n%âãÏÓ')], /PDF/],
    ['ZIP/DOCX', [0x50, 0x4b, 0x03, 0x04, 0x14, 0x00], /ZIP.*docx/],
    ['PNG', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0], /PNG/],
    ['JPEG', [0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10], /JPEG/],
    ['GIF', [...enc('GIF89a'), 1, 0], /GIF/],
    ['ELF', [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], /ELF/],
    ['gzip', [0x1f, 0x8b, 0x08, 0x00], /gzip/],
    ['OLE', [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], /Office/],
    ['7z', [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0, 4], /7-Zip/],
    ['SQLite', [...enc('SQLite format 3'), 0, 16], /SQLite/],
    ['MP4', [0, 0, 0, 0x18, ...enc('ftypmp42')], /MP4/],
  ])('rejects %s as binary, naming the kind', (_label, b, re) => {
    const e = expectError(() => decodeUtf8Text('masquerade.txt', new Uint8Array(b)), 'file/binary', 'masquerade.txt');
    expect(e.message).toMatch(re);
  });

  it('does not mistake ordinary text for a magic number', () => {
    expect(decodeUtf8Text('a.txt', enc('BMW and MZ motorcycles; ID3 tags; RIFF raff'))).toContain('BMW');
    expect(sniffBinary(enc('PK is a common abbreviation'))).toBeUndefined();
  });

  it('rejects NUL bytes as binary with their offset', () => {
    const e = expectError(() => decodeUtf8Text('nul.txt', enc('hello\u0000world')), 'file/binary', 'nul.txt');
    expect(e.message).toContain('offset 5');
  });

  it('rejects more than 10 % control characters', () => {
    const b = new Uint8Array(100).fill(0x61);
    for (let i = 0; i < 11; i++) b[i * 9] = 0x01;
    const e = expectError(() => decodeUtf8Text('ctl.txt', b), 'file/binary', 'ctl.txt');
    expect(e.message).toContain('11 % control characters');
    const ok = new Uint8Array(100).fill(0x61);
    for (let i = 0; i < 10; i++) ok[i * 9] = 0x1b;
    expect(decodeUtf8Text('ok.txt', ok)).toHaveLength(100);
  });

  it('reports UTF-16 files as bad UTF-8', () => {
    const le = new Uint8Array([0xff, 0xfe, ...Array.from('hello', (c) => [c.charCodeAt(0), 0]).flat()]);
    expect(expectError(() => decodeUtf8Text('u16.txt', le), 'file/bad-utf8', 'u16.txt').message).toContain('UTF-16');
    const noBom = new Uint8Array(Array.from('hello world, this is UTF-16', (c) => [c.charCodeAt(0), 0]).flat());
    expect(expectError(() => decodeUtf8Text('u16.txt', noBom), 'file/bad-utf8', 'u16.txt').message).toContain('UTF-16');
  });

  it('rejects invalid UTF-8 with the offset of the first bad sequence', () => {
    const latin1 = new Uint8Array([...enc('caf'), 0xe9, ...enc(' au lait')]);
    const e = expectError(() => decodeUtf8Text('latin1.txt', latin1), 'file/bad-utf8', 'latin1.txt');
    expect(e.message).toContain('byte offset 3 (0xE9)');
    expect(e.message).toContain('save it again as UTF-8');
    const truncated = new Uint8Array([...enc('ok '), 0xf0, 0x9f, 0x98]);
    expect(expectError(() => decodeUtf8Text('t.txt', truncated), 'file/bad-utf8', 't.txt').message).toContain('offset 3');
  });

  it('finds the first invalid UTF-8 sequence like TextDecoder does', () => {
    expect(firstInvalidUtf8(enc('plain ascii é 😀'))).toBe(-1);
    expect(firstInvalidUtf8(bytes(0x61, 0x80))).toBe(1); // lone continuation
    expect(firstInvalidUtf8(bytes(0xc0, 0x80))).toBe(0); // overlong
    expect(firstInvalidUtf8(bytes(0xe0, 0x80, 0x80))).toBe(0); // overlong 3-byte
    expect(firstInvalidUtf8(bytes(0x61, 0xed, 0xa0, 0x80))).toBe(1); // encoded surrogate
    expect(firstInvalidUtf8(bytes(0xf4, 0x90, 0x80, 0x80))).toBe(0); // > U+10FFFF
    expect(firstInvalidUtf8(bytes(0xf5))).toBe(0);
    expect(firstInvalidUtf8(bytes(0x61, 0x62, 0xe2, 0x82))).toBe(2); // truncated
  });
});

describe('jsonlToText', () => {
  it('takes text, else content, else body, else all string values', () => {
    const src = [
      '{"text": "from text", "content": "not this"}',
      '{"content": "from content", "body": "not this"}',
      '{"body": "from body", "id": 3}',
      '{"title": "T", "n": 5, "tags": ["a", "b"], "meta": {"author": "Ann"}}',
      '"a bare string"',
    ].join('\n');
    expect(jsonlToText('d.jsonl', src)).toBe('from text\n\nfrom content\n\nfrom body\n\nT\na\nb\nAnn\n\na bare string');
  });

  it('falls through a preferred field that is not a string', () => {
    expect(jsonlToText('d.jsonl', '{"text": 5, "content": "c"}')).toBe('c');
  });

  it('reads chat-style records', () => {
    const line = JSON.stringify({ messages: [{ role: 'user', content: 'Hi?' }, { role: 'assistant', content: 'Hello!' }] });
    expect(jsonlToText('chat.jsonl', line)).toBe('Hi?\nHello!');
  });

  it('skips blank lines, handles CRLF, and keeps newlines inside values', () => {
    expect(jsonlToText('d.jsonl', '\r\n{"text":"a\\nb"}\r\n\r\n  \n{"text":"c"}\r\n')).toBe('a\nb\n\nc');
    expect(jsonlToText('d.jsonl', '')).toBe('');
  });

  it('rejects invalid JSON naming the line', () => {
    const e = expectError(() => jsonlToText('bad.jsonl', '{"text":"ok"}\n\n{"text": oops}\n'), 'file/bad-jsonl', 'bad.jsonl');
    expect(e.message).toContain('line 3 is not valid JSON');
  });

  it.each([
    ['42', 'a number'],
    ['null', 'null'],
    ['true', 'a boolean'],
    ['["a","b"]', 'an array'],
  ])('rejects a line holding %s', (line, what) => {
    const e = expectError(() => jsonlToText('bad.jsonl', `{"text":"x"}\n${line}`), 'file/bad-jsonl', 'bad.jsonl');
    expect(e.message).toContain(`line 2 holds ${what}`);
  });
});

describe('csvToText', () => {
  it('turns rows into header: value lines', () => {
    expect(csvToText('t.csv', 'name,quote\nAda,Hello\nAlan,Hi there\n')).toBe('name: Ada\nquote: Hello\n\nname: Alan\nquote: Hi there');
  });

  it('handles quotes, escaped quotes, commas and newlines in quotes, CRLF', () => {
    const src = 'id,text\r\n1,"He said ""hi"", then left"\r\n2,"line one\r\nline two"\r\n';
    expect(csvToText('t.csv', src)).toBe('id: 1\ntext: He said "hi", then left\n\nid: 2\ntext: line one\r\nline two');
  });

  it('leaves out empty values and blank lines, names empty headers', () => {
    expect(csvToText('t.csv', 'a,,c\n1,2,\n\n,,\n4,5,6')).toBe('a: 1\ncolumn 2: 2\n\na: 4\ncolumn 2: 5\nc: 6');
  });

  it('accepts a last line without a line break and an empty file', () => {
    expect(csvToText('t.csv', 'h\nv')).toBe('h: v');
    expect(csvToText('t.csv', '')).toBe('');
    expect(csvToText('t.csv', 'only,header\n')).toBe('');
  });

  it('rejects ragged rows naming the line', () => {
    const e = expectError(() => csvToText('r.csv', 'a,b\n1,2\n3\n4,5'), 'file/bad-csv', 'r.csv');
    expect(e.message).toContain('line 3 has 1 field but the header (line 1) has 2');
    const e2 = expectError(() => csvToText('r.csv', 'a,b\n"x\ny",2\n1,2,3'), 'file/bad-csv', 'r.csv');
    expect(e2.message).toContain('line 4 has 3 fields');
  });

  it('rejects an unterminated quote naming the line where it opens', () => {
    const e = expectError(() => csvToText('q.csv', 'a,b\n1,2\n3,"never closed\n4,5\n'), 'file/bad-csv', 'q.csv');
    expect(e.message).toContain('line 3');
    expect(e.message).toContain('never closed');
  });

  it('rejects text after a closing quote', () => {
    const e = expectError(() => csvToText('q.csv', 'a\n"x"y\n'), 'file/bad-csv', 'q.csv');
    expect(e.message).toContain('line 2');
  });
});
