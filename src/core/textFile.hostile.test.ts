/** UTF-16 text without a byte-order mark (issue 10): a clear `file/bad-utf8`, whatever the script or byte order. */
import { describe, expect, it } from 'vitest';
import { isTributaryError } from './errors.ts';
import { decodeUtf8Text } from './textFile.ts';

function utf16(s: string, order: 'le' | 'be', extraByte = false): Uint8Array {
  const b = new Uint8Array(s.length * 2 + (extraByte ? 1 : 0));
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    b[2 * i + (order === 'le' ? 0 : 1)] = c & 255;
    b[2 * i + (order === 'le' ? 1 : 0)] = c >> 8;
  }
  return b;
}

const texts = {
  english: 'Plain English text, written by a person who saved it from Notepad.\r\n',
  chinese: '中文文本的一些内容，用于测试编码检测是否可靠。',
  russian: 'Привет, мир! Это текст на русском языке.',
  greek: 'Ωμέγα κείμενο για δοκιμή της κωδικοποίησης.',
  japanese: 'これは日本語のテキストです。エンコードの検出。',
};

describe('UTF-16 without a BOM', () => {
  for (const [lang, s] of Object.entries(texts)) {
    for (const order of ['le', 'be'] as const) {
      for (const odd of [false, true]) {
        it(`${lang} ${order}${odd ? ' (odd length)' : ''} → file/bad-utf8 naming UTF-16`, () => {
          let err: unknown;
          try {
            decodeUtf8Text('notes.txt', utf16(s, order, odd));
          } catch (e) {
            err = e;
          }
          expect(isTributaryError(err)).toBe(true);
          expect((err as { code: string }).code).toBe('file/bad-utf8');
          expect((err as Error).message).toMatch(/UTF-16/);
        });
      }
    }
  }

  it('real UTF-8 text in those scripts is still accepted', () => {
    for (const s of Object.values(texts)) expect(decodeUtf8Text('ok.txt', new TextEncoder().encode(s))).toBe(s);
  });
});
