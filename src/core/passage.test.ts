import { describe, expect, it } from 'vitest';
import { DEFAULT_PASSAGE_OPTIONS, splitPassages, validatePassageOptions, type Tokenizer } from './passage.ts';
import { spanProblem } from './passage.testkit.ts';
import { TributaryError } from './errors.ts';
import type { PassageOptions } from './types.ts';

const words = (n: number, seed = 1): string => {
  const vocab = ['river', 'ledger', 'data', 'answer', 'model', 'token', 'stone', 'bridge', 'light', 'garden', 'north', 'quiet'];
  let x = seed;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out.push(vocab[x % vocab.length]!);
  }
  return out.join(' ');
};

function paragraphs(count: number, sentencesEach: number): string {
  const paras: string[] = [];
  for (let p = 0; p < count; p++) {
    const s: string[] = [];
    for (let k = 0; k < sentencesEach; k++) s.push(`${words(12, p * 100 + k + 1)}.`);
    paras.push(s.join(' '));
  }
  return paras.join('\n\n');
}

function expectValid(text: string, opts: PassageOptions, tok?: Tokenizer) {
  const spans = splitPassages(text, opts, tok);
  expect(spanProblem(text, spans, opts, tok)).toBeNull();
  return spans;
}

describe('validatePassageOptions', () => {
  it('accepts the default and returns a clean copy', () => {
    expect(validatePassageOptions(DEFAULT_PASSAGE_OPTIONS)).toEqual({ unit: 'chars', size: 800, overlap: 100 });
    expect(validatePassageOptions({ unit: 'chars', size: 100, overlap: 49, extra: 1 })).toEqual({ unit: 'chars', size: 100, overlap: 49 });
    expect(validatePassageOptions({ unit: 'chars', size: 8000, overlap: 0 })).toEqual({ unit: 'chars', size: 8000, overlap: 0 });
  });
  it.each([
    [null],
    ['800'],
    [{ unit: 'words', size: 800, overlap: 100 }],
    [{ unit: 'chars', size: 99, overlap: 0 }],
    [{ unit: 'chars', size: 8001, overlap: 0 }],
    [{ unit: 'chars', size: 800.5, overlap: 0 }],
    [{ unit: 'chars', size: '800', overlap: 0 }],
    [{ unit: 'chars', size: Number.NaN, overlap: 0 }],
    [{ unit: 'chars', size: 800, overlap: -1 }],
    [{ unit: 'chars', size: 800, overlap: 400 }],
    [{ unit: 'chars', size: 800, overlap: 1.5 }],
    [{ unit: 'chars', size: 800 }],
  ])('rejects %j with datanet/invalid', (o) => {
    let err: unknown;
    try {
      validatePassageOptions(o);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TributaryError);
    expect((err as TributaryError).code).toBe('datanet/invalid');
  });
});

describe('splitPassages', () => {
  it('returns no spans for empty or whitespace-only text', () => {
    expect(splitPassages('', DEFAULT_PASSAGE_OPTIONS)).toEqual([]);
    expect(splitPassages(' \n\t \n ', DEFAULT_PASSAGE_OPTIONS)).toEqual([]);
  });

  it('returns one trimmed span for a short text', () => {
    expect(splitPassages('  Hello world.  ', DEFAULT_PASSAGE_OPTIONS)).toEqual([{ index: 0, start: 2, end: 14, text: 'Hello world.' }]);
  });

  it('validates its options', () => {
    expect(() => splitPassages('x', { unit: 'chars', size: 10, overlap: 0 })).toThrow(TributaryError);
  });

  it('refuses token chunking without a tokenizer', () => {
    try {
      splitPassages('hello', { unit: 'tokens', size: 200, overlap: 20 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TributaryError);
      expect((e as TributaryError).code).toBe('datanet/invalid');
      expect((e as TributaryError).message).toBe('Token-based chunking needs a tokenizer; none is loaded yet — use characters.');
    }
  });

  it('cuts at paragraph breaks when one is in the window', () => {
    const text = paragraphs(8, 5);
    const spans = expectValid(text, DEFAULT_PASSAGE_OPTIONS);
    expect(spans.length).toBeGreaterThan(3);
    for (const s of spans.slice(0, -1)) {
      const after = text.slice(s.end, s.end + 2);
      expect(after === '\n\n' || /[.!?]$/.test(s.text)).toBe(true);
    }
    // most cuts are paragraph breaks
    const paraCuts = spans.slice(0, -1).filter((s) => text.slice(s.end, s.end + 2) === '\n\n').length;
    expect(paraCuts).toBeGreaterThanOrEqual(Math.floor((spans.length - 1) / 2));
  });

  it('cuts at sentence ends when there are no paragraph breaks', () => {
    const sentences = Array.from({ length: 60 }, (_, i) => `${words(14, i + 7)}${i % 3 === 0 ? '!' : '.'}`).join(' ');
    const spans = expectValid(sentences, DEFAULT_PASSAGE_OPTIONS);
    expect(spans.length).toBeGreaterThan(3);
    for (const s of spans.slice(0, -1)) expect(s.text).toMatch(/[.!?]$/);
  });

  it('treats a closing quote after the full stop as a sentence end', () => {
    const text = Array.from({ length: 40 }, (_, i) => `He said "${words(15, i + 3)}." Then`).join(' ');
    const spans = expectValid(text, { unit: 'chars', size: 300, overlap: 30 });
    for (const s of spans.slice(0, -1)) expect(s.text.endsWith('."')).toBe(true);
  });

  it('falls back to whitespace and never cuts a word', () => {
    const text = words(2000);
    const spans = expectValid(text, DEFAULT_PASSAGE_OPTIONS);
    const vocab = new Set(text.split(' '));
    for (const s of spans) for (const w of s.text.split(' ')) expect(vocab.has(w)).toBe(true);
    for (const s of spans.slice(0, -1)) expect(s.text.length).toBeGreaterThan(700);
  });

  it('overlaps consecutive spans by about `overlap`, starting at a word', () => {
    const text = words(3000, 5);
    const spans = expectValid(text, DEFAULT_PASSAGE_OPTIONS);
    for (let i = 1; i < spans.length; i++) {
      const prev = spans[i - 1]!;
      const cur = spans[i]!;
      const ov = prev.end - cur.start;
      expect(ov).toBeGreaterThan(80);
      expect(ov).toBeLessThanOrEqual(100);
      expect(text[cur.start - 1]).toBe(' ');
    }
  });

  it('has no overlap when overlap is 0, with only whitespace between spans', () => {
    const text = paragraphs(10, 6);
    const spans = expectValid(text, { unit: 'chars', size: 500, overlap: 0 });
    for (let i = 1; i < spans.length; i++) {
      expect(spans[i]!.start).toBeGreaterThanOrEqual(spans[i - 1]!.end);
      expect(text.slice(spans[i - 1]!.end, spans[i]!.start).trim()).toBe('');
    }
  });

  it('cuts a word only when it is longer than the size', () => {
    const long = 'x'.repeat(2500);
    const text = `start ${long} end`;
    const spans = expectValid(text, { unit: 'chars', size: 1000, overlap: 100 });
    expect(spans[0]!.text).toBe('start');
    expect(spans.map((s) => s.text.length).slice(1, -1).every((l) => l <= 1000)).toBe(true);
  });

  it('drops the overlap rather than cut a word that fits in a fresh window', () => {
    const filler = words(120, 9); // ~700 chars
    const word = 'y'.repeat(790);
    const text = `${filler} ${word} tail`;
    const spans = expectValid(text, DEFAULT_PASSAGE_OPTIONS);
    expect(spans.some((s) => s.text.includes(word))).toBe(true);
  });

  it('does not split surrogate pairs or combining marks in a forced cut', () => {
    const emoji = '😀'.repeat(700); // 1400 code units, no whitespace
    const spans = expectValid(emoji, { unit: 'chars', size: 301, overlap: 0 });
    for (const s of spans) expect(s.text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    const combining = 'e\u0301'.repeat(600);
    for (const s of expectValid(combining, { unit: 'chars', size: 301, overlap: 0 })) expect(s.text.startsWith('\u0301')).toBe(false);
  });

  it('skips huge whitespace runs between spans', () => {
    const text = `${words(50)}${' '.repeat(5000)}${'\n'.repeat(3)}${words(50, 3)}   \n  `;
    const spans = expectValid(text, { unit: 'chars', size: 200, overlap: 50 });
    for (const s of spans) expect(s.text.trim()).toBe(s.text);
  });

  it('cuts CJK text at full stops', () => {
    const text = Array.from({ length: 80 }, (_, i) => `这是第${i}个句子，用来测试分块。`).join('');
    const spans = expectValid(text, { unit: 'chars', size: 200, overlap: 20 });
    for (const s of spans.slice(0, -1)) expect(s.text.endsWith('。')).toBe(true);
  });

  it('is deterministic', () => {
    const text = paragraphs(20, 4);
    expect(splitPassages(text, DEFAULT_PASSAGE_OPTIONS)).toEqual(splitPassages(text, DEFAULT_PASSAGE_OPTIONS));
  });

  it('chunks by tokens with a tokenizer', () => {
    const tok: Tokenizer = { countTokens: (s) => s.split(/\s+/).filter(Boolean).length };
    const text = paragraphs(30, 5);
    const opts: PassageOptions = { unit: 'tokens', size: 120, overlap: 20 };
    const spans = expectValid(text, opts, tok);
    expect(spans.length).toBeGreaterThan(5);
    for (const s of spans) expect(tok.countTokens(s.text)).toBeLessThanOrEqual(120);
    for (let i = 1; i < spans.length; i++) {
      const ov = tok.countTokens(text.slice(spans[i]!.start, spans[i - 1]!.end));
      expect(ov).toBeLessThanOrEqual(20);
    }
  });

  it('chunks by tokens when tokens are much longer than 4 characters', () => {
    const tok: Tokenizer = { countTokens: (s) => Math.ceil(s.length / 40) };
    const text = words(5000, 11);
    expectValid(text, { unit: 'tokens', size: 100, overlap: 10 }, tok);
  });
});
