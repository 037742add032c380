import { describe, expect, it } from 'vitest';
import { normalizeForHash, normalizeText } from './normalize.ts';

describe('normalizeText', () => {
  it('applies NFC', () => {
    expect(normalizeText('cafe\u0301')).toBe('caf\u00e9');
  });
  it('strips byte-order marks', () => {
    expect(normalizeText('\uFEFFhello')).toBe('hello');
    expect(normalizeText('a\uFEFFb')).toBe('ab');
  });
  it('turns CRLF and lone CR into LF', () => {
    expect(normalizeText('a\r\nb\rc\nd')).toBe('a\nb\nc\nd');
  });
  it('keeps tabs inside lines and removes trailing whitespace per line', () => {
    expect(normalizeText('a\tb   \nc \t\nd')).toBe('a\tb\nc\nd');
  });
  it('collapses three or more line breaks into one blank line', () => {
    expect(normalizeText('a\n\n\n\nb\n\nc')).toBe('a\n\nb\n\nc');
    expect(normalizeText('a\n  \n \t \n\nb')).toBe('a\n\nb');
    expect(normalizeText('a\r\n\r\n\r\nb')).toBe('a\n\nb');
  });
  it('trims the whole text but keeps inner indentation', () => {
    expect(normalizeText('\n\n  a\n  b  \n\n')).toBe('a\n  b');
  });
  it('replaces lone surrogates and keeps valid pairs', () => {
    expect(normalizeText('x\uD800y')).toBe('x\uFFFDy');
    expect(normalizeText('x\uDC00')).toBe('x\uFFFD');
    expect(normalizeText('😀')).toBe('😀');
  });
  it('is idempotent on tricky inputs', () => {
    for (const s of ['e\uFEFF\u0301', ' \r\n\r\n\r\n x \t\r', 'a\u2028 \n\n\n b', '\u0301\n\n\nx']) {
      const once = normalizeText(s);
      expect(normalizeText(once)).toBe(once);
    }
  });
  it('handles a long inner whitespace run quickly', () => {
    const s = `a${' '.repeat(200_000)}b`;
    const t0 = Date.now();
    expect(normalizeText(s)).toBe(s);
    expect(Date.now() - t0).toBeLessThan(1000);
  });
  it('returns empty for whitespace-only text', () => {
    expect(normalizeText(' \n\t\r\n\uFEFF ')).toBe('');
  });
});

describe('normalizeForHash', () => {
  it('lower-cases and collapses every whitespace run to one space', () => {
    expect(normalizeForHash('  Hello\n\n  WORLD\tAgain \r\n')).toBe('hello world again');
  });
  it('equates texts differing only in case, layout, NFC form and BOM', () => {
    const a = normalizeForHash('\uFEFFCafé au lait.\r\n\r\nSecond  para.');
    const b = normalizeForHash('cafe\u0301 AU lait. second para.');
    expect(a).toBe(b);
  });
  it('distinguishes different words', () => {
    expect(normalizeForHash('a b')).not.toBe(normalizeForHash('ab'));
  });
});
