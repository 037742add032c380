import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isTributaryError } from '../../core/errors.ts';
import { caseVariants, translateRegex, translateSource } from './regex.ts';

const QWEN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const pieces = (re: RegExp, s: string): string[] => Array.from(s.matchAll(re), (m) => m[0]);

describe('translateRegex (Oniguruma -> JavaScript)', () => {
  it('translates the Qwen2/3 and Llama 3 pre-tokenizer regexes', () => {
    const q = translateRegex(QWEN);
    expect(q.flags).toBe('gu');
    expect(pieces(q, "Hello world's 123")).toEqual(['Hello', ' world', "'s", ' ', '1', '2', '3']);
    const l = translateRegex(LLAMA3);
    expect(pieces(l, '1234567 x')).toEqual(['123', '456', '7', ' x']);
  });

  it('(?i:...) matches every case variant, including Unicode case folds', () => {
    const re = translateRegex("(?i:'s|'ll)");
    expect(pieces(re, "'s 'S '\u017f 'll 'LL 'lL")).toEqual(["'s", "'S", "'\u017f", "'ll", "'LL", "'lL"]);
    expect(caseVariants('k')).toEqual(expect.arrayContaining(['k', 'K', '\u212a']));
  });

  it('\\s means Unicode White_Space (U+0085 yes, U+FEFF no), as in Oniguruma', () => {
    const re = translateRegex('\\s+');
    expect(pieces(re, 'a\u0085b\ufeffc\u3000d\u00a0e\u2028f')).toEqual(['\u0085', '\u3000', '\u00a0', '\u2028']);
    const neg = translateRegex('[^\\s]+');
    expect(pieces(neg, 'a\ufeffb c')).toEqual(['a\ufeffb', 'c']);
    expect(pieces(translateRegex('\\S+'), 'x\u0085y')).toEqual(['x', 'y']);
  });

  it('maps \\d to Unicode decimal digits and \\w to Oniguruma word characters', () => {
    expect(pieces(translateRegex('\\d+'), 'a12\u0663\u0664b')).toEqual(['12\u0663\u0664']);
    expect(pieces(translateRegex('\\w+'), 'caf\u00e9_1 x-y')).toEqual(['caf\u00e9_1', 'x', 'y']);
  });

  it('drops escapes that JavaScript u-mode refuses and escapes lone braces', () => {
    expect(translateSource('\\#\\&\\~')).toBe('#&~');
    expect(pieces(translateRegex('a{b}'), 'xa{b}')).toEqual(['a{b}']);
    expect(pieces(translateRegex('a{2}'), 'aaa')).toEqual(['aa']);
    expect(pieces(translateRegex('[]a]+'), 'a]]b')).toEqual(['a]]']);
    expect(pieces(translateRegex('\\p{Han}+'), 'ab\u4e2d\u6587c')).toEqual(['\u4e2d\u6587']);
    expect(pieces(translateRegex('\\x{4e2d}'), '\u4e2d')).toEqual(['\u4e2d']);
  });

  it('refuses features it cannot express, with tokenizer/unsupported', () => {
    for (const p of ['(?>a)', 'a++', 'a?+', 'a*+', '[[:alpha:]]', '[a[b]]', '[a&&b]', '(?m:a)', '(a', 'a)', '[a', '\\p{NoSuchThing}', '\\q']) {
      let err: unknown;
      try {
        translateRegex(p);
      } catch (e) {
        err = e;
      }
      expect(isTributaryError(err) && err.code === 'tokenizer/unsupported', p).toBe(true);
    }
  });

  it('never throws anything but TributaryError on random patterns', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '\\', '(', ')', '?', 'i', ':', '[', ']', '{', '}', '+', '*', 's', 'p', '^', '|', '1', ',', 'x') }), (p) => {
        try {
          translateRegex(p);
        } catch (e) {
          expect(isTributaryError(e)).toBe(true);
        }
      }),
      { numRuns: 2000, seed: 11 },
    );
  });
});
