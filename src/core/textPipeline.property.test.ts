/**
 * Property tests: hostile strings and bytes through the text pipeline never fail with anything but a
 * TributaryError, and chunk spans keep their invariants (see chunk.testkit.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitPassages, type Tokenizer } from './passage.ts';
import { spanProblem } from './passage.testkit.ts';
import { TributaryError } from './errors.ts';
import { hashPassageList, sha256Text } from './hash.ts';
import { normalizeForHash, normalizeText } from './normalize.ts';
import { prepareText } from './prepareText.ts';
import { csvToText, decodeUtf8Text, jsonlToText } from './textFile.ts';
import type { PassageOptions } from './types.ts';

const RUNS = { numRuns: 250 };

/** Characters chosen to hurt: lone surrogates, emoji, combining marks, RTL, odd whitespace, CJK, punctuation. */
const hostileChar: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', 'b', 'word', 'Ünïcødé', 'x1') },
  { weight: 3, arbitrary: fc.constantFrom(' ', ' ', '\n', '\n\n', '\r\n', '\r', '\t', '\f', '\v', '\u00a0', '\u2028', '\u2029', '\u3000', '\uFEFF', '\u200b') },
  { weight: 2, arbitrary: fc.constantFrom('.', '!', '?', '"', ',', '…', '。', '」', '""', '\\', '{', '}', '[', ']', ':') },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constantFrom('😀', '👩‍👩‍👧', '🇫🇷', '\u0301', '\u0308', 'e\u0301', '\u0651', 'مرحبا', 'שלום', '\u202e', '\u200f', '中文', 'ｱ') },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
);

const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: hostileChar, maxLength: 400 }),
  fc.string({ unit: hostileChar, minLength: 200, maxLength: 2500 }),
  fc
    .tuple(fc.string({ unit: hostileChar, maxLength: 300 }), fc.constantFrom(' ', '\n', '\t', ' \n', '\u3000'), fc.integer({ min: 1000, max: 30000 }), fc.string({ unit: hostileChar, maxLength: 300 }))
    .map(([a, ws, n, b]) => a + ws.repeat(n) + b),
  fc.tuple(fc.constantFrom('x', '😀', 'e\u0301', '中'), fc.integer({ min: 100, max: 5000 })).map(([c, n]) => c.repeat(n)),
);

const chunking: fc.Arbitrary<PassageOptions> = fc
  .integer({ min: 100, max: 1200 })
  .chain((size) => fc.record({ unit: fc.constant('chars' as const), size: fc.constant(size), overlap: fc.integer({ min: 0, max: Math.ceil(size / 2) - 1 }) }));

/** Calls fn; returns normally or throws a TributaryError (which the caller may inspect); anything else fails. */
function onlyTributary<T>(fn: () => T, subject?: string): T | TributaryError {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof TributaryError)) throw new Error(`threw a non-TributaryError: ${String(e)}`, { cause: e });
    if (subject !== undefined && e.subject !== subject) throw new Error(`error does not name the file: ${e.message}`);
    return e;
  }
}

const hostileBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 3000 }),
  hostileString.map((s) => new TextEncoder().encode(s)),
  fc
    .tuple(hostileString, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 5 }))
    .map(([s, edits]) => {
      const b = new TextEncoder().encode(s);
      for (const [at, v] of edits) if (b.length) b[at % b.length] = v;
      return b;
    }),
  fc.constantFrom(new Uint8Array([0xef, 0xbb, 0xbf]), new Uint8Array([0xff, 0xfe]), new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d]), new Uint8Array([0xc3])),
);

describe('text pipeline properties', () => {
  it('normalizeText is idempotent and normalizeForHash is a fixed point too', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        const n = normalizeText(s);
        expect(normalizeText(n)).toBe(n);
        expect(n).toBe(n.trim());
        expect(n).not.toMatch(/\r|\n\n\n|[^\S\n]\n/);
        const h = normalizeForHash(s);
        expect(normalizeForHash(h)).toBe(h);
      }),
      RUNS,
    );
  });

  it('decodeUtf8Text only throws TributaryErrors naming the file', () => {
    fc.assert(
      fc.property(hostileBytes, (b) => {
        const r = onlyTributary(() => decodeUtf8Text('f.txt', b), 'f.txt');
        if (typeof r === 'string') {
          expect(r.trim()).not.toBe('');
          expect(new TextDecoder('utf-8', { fatal: true }).decode(b)).toBe(r);
        }
      }),
      RUNS,
    );
  });

  it('jsonlToText only throws TributaryErrors naming the file', () => {
    const jsonLines = fc.array(fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), hostileString), { maxLength: 20 }).map((ls) => ls.join('\n'));
    fc.assert(
      fc.property(fc.oneof(hostileString, jsonLines), (s) => {
        onlyTributary(() => jsonlToText('f.jsonl', s), 'f.jsonl');
      }),
      RUNS,
    );
  });

  it('jsonlToText keeps every string record', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: hostileChar, maxLength: 50 }), { maxLength: 20 }), (strs) => {
        const out = jsonlToText('f.jsonl', strs.map((s) => JSON.stringify({ text: s })).join('\n'));
        expect(out).toBe(strs.filter((s) => s.trim() !== '').join('\n\n'));
      }),
      RUNS,
    );
  });

  it('csvToText only throws TributaryErrors naming the file', () => {
    const cell = fc.string({ unit: hostileChar, maxLength: 30 });
    const csvQuoted = fc
      .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 8 }))
      .chain(([cols, rows]) => fc.array(fc.array(cell, { minLength: cols, maxLength: cols }), { minLength: rows + 1, maxLength: rows + 1 }))
      .map((rows) => rows.map((r) => r.map((c) => `"${c.replace(/"/g, '""')}"`).join(',')).join('\r\n'));
    fc.assert(
      fc.property(fc.oneof(hostileString, csvQuoted), (s) => {
        onlyTributary(() => csvToText('f.csv', s), 'f.csv');
      }),
      RUNS,
    );
  });

  it('csvToText round-trips well-formed quoted tables', () => {
    const cell = fc.string({ unit: hostileChar, maxLength: 20 }).filter((c) => c.trim() !== '');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }).chain((cols) => fc.array(fc.array(cell, { minLength: cols, maxLength: cols }), { minLength: 2, maxLength: 6 })), (rows) => {
        const src = rows.map((r) => r.map((c) => `"${c.replace(/"/g, '""')}"`).join(',')).join('\n');
        const header = rows[0]!.map((h, i) => h.trim() || `column ${i + 1}`);
        const expected = rows
          .slice(1)
          .map((r) => r.map((v, i) => `${header[i]}: ${v}`).join('\n'))
          .join('\n\n');
        expect(csvToText('f.csv', src)).toBe(expected);
      }),
      RUNS,
    );
  });

  it('splitPassages spans cover the text in order with bounded size', () => {
    fc.assert(
      fc.property(hostileString, chunking, (s, opts) => {
        const spans = splitPassages(s, opts);
        expect(spanProblem(s, spans, opts)).toBeNull();
      }),
      RUNS,
    );
  });

  it('splitPassages by tokens keeps the invariants with a monotone tokenizer', () => {
    const tok: Tokenizer = { countTokens: (s) => s.split(/\s+/).filter(Boolean).length + Math.floor(s.length / 16) };
    const opts = fc
      .integer({ min: 100, max: 400 })
      .chain((size) => fc.record({ unit: fc.constant('tokens' as const), size: fc.constant(size), overlap: fc.integer({ min: 0, max: Math.ceil(size / 2) - 1 }) }));
    fc.assert(
      fc.property(hostileString, opts, (s, o) => {
        expect(spanProblem(s, splitPassages(s, o, tok), o, tok)).toBeNull();
      }),
      { numRuns: 100 },
    );
  });

  it('prepareText only throws TributaryErrors and its chunks are valid spans of the normalised text', () => {
    fc.assert(
      fc.property(hostileString, chunking, (s, opts) => {
        const r = onlyTributary(() => prepareText(s, opts));
        if (r instanceof TributaryError) {
          expect(r.code).toBe('file/no-text');
          expect(normalizeText(s)).toBe('');
          return;
        }
        expect(r.normalized).toBe(normalizeText(s));
        expect(spanProblem(r.normalized, r.chunks, opts)).toBeNull();
        for (const c of r.chunks) {
          expect(c.hash).toBe(sha256Text(c.text));
          expect(c.dedupeHash).toBe(sha256Text(normalizeForHash(c.text)));
        }
        expect(r.chunksHash).toBe(hashPassageList(r.chunks.map((c) => c.hash)));
        expect(r.minhash).toHaveLength(128);
      }),
      RUNS,
    );
  });
});
