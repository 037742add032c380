import { describe, expect, it } from 'vitest';
import { DEFAULT_PASSAGE_OPTIONS } from './passage.ts';
import { TributaryError } from './errors.ts';
import { hashPassageList, sha256Text } from './hash.ts';
import { estimateJaccard, minhashSignature } from './minhash.ts';
import { normalizeForHash } from './normalize.ts';
import { prepareText } from './prepareText.ts';

const longText = Array.from({ length: 40 }, (_, i) => `Paragraph ${i} talks about rivers, ledgers and the people who write the data. It has two sentences.`).join('\n\n');

describe('prepareText', () => {
  it('normalises, chunks and hashes', () => {
    const p = prepareText(`\uFEFF  ${longText.replace(/\n/g, '\r\n')}  \r\n`, DEFAULT_PASSAGE_OPTIONS);
    expect(p.normalized).toBe(longText);
    expect(p.textHash).toBe(sha256Text(normalizeForHash(longText)));
    expect(p.chunks.length).toBeGreaterThan(3);
    p.chunks.forEach((c, i) => {
      expect(c.index).toBe(i);
      expect(c.text).toBe(p.normalized.slice(c.start, c.end));
      expect(c.hash).toBe(sha256Text(c.text));
      expect(c.hash).toMatch(/^0x[0-9a-f]{64}$/);
      expect(c.dedupeHash).toBe(sha256Text(normalizeForHash(c.text)));
    });
    expect(p.chunksHash).toBe(hashPassageList(p.chunks.map((c) => c.hash)));
    expect(p.minhash).toEqual(minhashSignature(longText));
  });

  it('gives the same dedupe hashes, but different exact hashes, for texts that differ only in case and layout', () => {
    const a = prepareText('Hello   World.\n\nSecond line.', DEFAULT_PASSAGE_OPTIONS);
    const b = prepareText('hello world.\r\n\r\n\r\nSECOND LINE.  ', DEFAULT_PASSAGE_OPTIONS);
    expect(a.textHash).toBe(b.textHash);
    expect(a.chunks.map((c) => c.dedupeHash)).toEqual(b.chunks.map((c) => c.dedupeHash));
    expect(estimateJaccard(a.minhash, b.minhash)).toBe(1);
    // The signed chunk list covers the exact text.
    expect(a.chunks.map((c) => c.hash)).not.toEqual(b.chunks.map((c) => c.hash));
    expect(a.chunksHash).not.toBe(b.chunksHash);
  });

  it('has stable hashes (pinned)', () => {
    const p = prepareText('The quick brown fox jumps over the lazy dog.', DEFAULT_PASSAGE_OPTIONS);
    expect(p.textHash).toBe(sha256Text('the quick brown fox jumps over the lazy dog.'));
    expect(p.textHash).toBe('0x18e8d559417db8a93707c11b11bb90b56638049a5994006ed4b2705e4d86587f');
    expect(p.chunks).toHaveLength(1);
    expect(p.chunks[0]!.dedupeHash).toBe(p.textHash);
    expect(p.chunks[0]!.hash).toBe(sha256Text('The quick brown fox jumps over the lazy dog.'));
    expect(p.chunks[0]!.hash).toBe('0xef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c');
    expect(p.chunksHash).toBe(hashPassageList([p.chunks[0]!.hash]));
  });

  it('rejects text that is empty after normalising', () => {
    for (const t of ['', '   ', '\uFEFF\r\n\t ']) {
      try {
        prepareText(t, DEFAULT_PASSAGE_OPTIONS);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(TributaryError);
        expect((e as TributaryError).code).toBe('file/no-text');
      }
    }
  });

  it('passes chunking errors through', () => {
    expect(() => prepareText('hello', { unit: 'tokens', size: 200, overlap: 10 })).toThrow(/tokenizer/);
    expect(() => prepareText('hello', { unit: 'chars', size: 5, overlap: 0 })).toThrow(TributaryError);
  });
});
