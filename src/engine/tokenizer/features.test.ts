import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isTributaryError } from '../../core/errors.ts';
import { BYTE_TO_CHAR, toByteLevel } from './byteLevel.ts';
import { BpeModel } from './bpe.ts';
import { splitBy } from './pipeline.ts';
import { loadTokenizer, type Tokenizer } from './tokenizer.ts';
import type { TokenizerJson } from './types.ts';

/** A tiny byte-level BPE: ids 0..255 are the bytes, then the merges' results in order. */
function toy(merges: string[], patch: Partial<TokenizerJson> = {}, model: Partial<TokenizerJson['model']> = {}): TokenizerJson {
  const vocab: Record<string, number> = {};
  BYTE_TO_CHAR.forEach((c, i) => (vocab[c] = i));
  let next = 256;
  for (const m of merges) {
    const [a, b] = m.split(' ');
    if (vocab[a! + b!] === undefined) vocab[a! + b!] = next++;
  }
  return {
    model: { type: 'BPE', vocab, merges, ...model },
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true },
    decoder: { type: 'ByteLevel' },
    ...patch,
  };
}

const G = '\u0120'; // byte-level space

function tokens(t: Tokenizer, s: string, o = {}): string[] {
  return t.encode(s, o).map((id) => t.idToTokenString(id)!);
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isTributaryError(e) ? e.code : 'not-a-TributaryError';
  }
  return undefined;
}

describe('BPE merges', () => {
  it('merges by rank, lowest first, leftmost on ties', () => {
    const t = loadTokenizer(toy(['b c', 'a b', 'bc d']));
    // "abcd": pairs ab(1), bc(0), cd(-) -> bc first -> a bc d -> bcd(2) -> a bcd
    expect(tokens(t, 'abcd')).toEqual(['a', 'bcd']);
    const u = loadTokenizer(toy(['a a']));
    expect(tokens(u, 'aaaaa')).toEqual(['aa', 'aa', 'a']);
  });

  it('takes merges as "a b" strings or [a, b] pairs', () => {
    const a = loadTokenizer(toy(['h e', 'l l', 'he ll']));
    const j = toy(['h e', 'l l', 'he ll']);
    const b = loadTokenizer({ ...j, model: { ...j.model, merges: [['h', 'e'], ['l', 'l'], ['he', 'll']] } });
    expect(a.encode('hello')).toEqual(b.encode('hello'));
    expect(tokens(a, 'hello')).toEqual(['hell', 'o']);
  });

  it('ignore_merges emits whole-word vocabulary entries directly (Llama 3)', () => {
    // "abc" is in the vocabulary but the merges alone would give "ab c"
    const j = toy(['a b', 'x y']);
    j.model.vocab['abc'] = 999;
    expect(tokens(loadTokenizer(j), 'abc')).toEqual(['ab', 'c']);
    expect(tokens(loadTokenizer({ ...j, model: { ...j.model, ignore_merges: true } }), 'abc')).toEqual(['abc']);
  });

  it('the heap merge (long words) equals the scan merge (short words)', () => {
    const vocab = new Map<string, number>();
    const alphabet = ['a', 'b', 'c', 'd'];
    alphabet.forEach((c, i) => vocab.set(c, i));
    const merges: Array<[string, string]> = [];
    // all pairs and some triples, in a fixed pseudo-random order
    const cands: Array<[string, string]> = [];
    for (const x of alphabet) for (const y of alphabet) cands.push([x, y]);
    for (const x of alphabet) for (const y of alphabet) for (const z of alphabet) cands.push([x + y, z], [x, y + z]);
    let seed = 5;
    for (const c of cands) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      if (seed % 3 === 0) continue;
      if (!vocab.has(c[0]) || !vocab.has(c[1])) continue;
      merges.push(c);
      if (!vocab.has(c[0] + c[1])) vocab.set(c[0] + c[1], vocab.size);
    }
    const scan = new BpeModel({ vocab, merges, cacheCapacity: 1 });
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet), { minLength: 25, maxLength: 200 }), (chars) => {
        const w = chars.join('');
        const viaHeap = Array.from(scan.encodeWord(w));
        // the same word cut into a short one only uses the scan; compare against a scan-only model
        const scanOnly = new BpeModel({ vocab, merges, cacheCapacity: 1, scanLimit: 1e9 });
        expect(viaHeap).toEqual(Array.from(scanOnly.encodeWord(w)));
      }),
      { numRuns: 150, seed: 9 },
    );
  });

  it('a very long word (1 MB of one letter) is fast (heap, not quadratic)', () => {
    const t = loadTokenizer(toy(['a a', 'aa aa', 'aaaa aaaa']));
    const t0 = performance.now();
    const ids = t.encode('a'.repeat(1_000_000));
    expect(ids.length).toBe(125_000);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});

describe('pre-tokenizers and normalizers', () => {
  it('Split behaviours follow HF', () => {
    const re = /-/gu;
    expect(splitBy('a-b--c-', re, 'Isolated')).toEqual(['a', '-', 'b', '-', '-', 'c', '-']);
    expect(splitBy('a-b--c-', re, 'Removed')).toEqual(['a', 'b', 'c']);
    expect(splitBy('a-b--c-', re, 'MergedWithPrevious')).toEqual(['a-', 'b-', '-', 'c-']);
    expect(splitBy('a-b--c-', re, 'MergedWithNext')).toEqual(['a', '-b', '-', '-c', '-']);
    expect(splitBy('a-b--c-', re, 'Contiguous')).toEqual(['a', '-', 'b', '--', 'c', '-']);
    expect(splitBy('a-b--c-', re, 'Isolated', true)).toEqual(['a', '-', 'b', '-', '-', 'c', '-']);
    expect(splitBy('a-b--c-', re, 'Removed', true)).toEqual(['-', '-', '-', '-']);
  });

  it('ByteLevel add_prefix_space adds one space per piece', () => {
    const t = loadTokenizer(toy([], { pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true, use_regex: true } }));
    expect(tokens(t, 'hi')).toEqual([G, 'h', 'i']);
    expect(t.decode(t.encode('hi'))).toBe(' hi');
  });

  it('Digits (individual) splits every digit (SmolLM2)', () => {
    const t = loadTokenizer(
      toy(['1 2'], { pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, { type: 'ByteLevel', add_prefix_space: false, use_regex: true }] } }),
    );
    expect(tokens(t, '12')).toEqual(['1', '2']);
    const u = loadTokenizer(toy(['1 2']));
    expect(tokens(u, '12')).toEqual(['12']);
  });

  it('normalizers: NFC, Lowercase, Sequence, Replace, Prepend', () => {
    const t = loadTokenizer(
      toy([], {
        normalizer: {
          type: 'Sequence',
          normalizers: [{ type: 'NFC' }, { type: 'Lowercase' }, { type: 'Replace', pattern: { String: 'x' }, content: 'y' }, { type: 'Prepend', prepend: '>' }],
        },
      }),
    );
    expect(t.decode(t.encode('E\u0301X'))).toBe('>\u00e9y');
  });

  it('refuses unknown components clearly', () => {
    expect(codeOf(() => loadTokenizer(toy([], { pre_tokenizer: { type: 'Whitespace' } })))).toBe('tokenizer/unsupported');
    expect(codeOf(() => loadTokenizer(toy([], { pre_tokenizer: { type: 'Metaspace', prepend_scheme: 'sometimes' } as never })))).toBe('tokenizer/unsupported');
    expect(codeOf(() => loadTokenizer(toy([], { decoder: { type: 'CTC' } })))).toBe('tokenizer/unsupported');
    expect(codeOf(() => loadTokenizer(toy([], { decoder: { type: 'Sequence', decoders: [{ type: 'ByteLevel' }, { type: 'Fuse' }] } })))).toBe('tokenizer/unsupported');
    expect(codeOf(() => loadTokenizer(toy([], { decoder: { type: 'Strip', content: 'x', start: 1, stop: 0 } })))).toBe('tokenizer/unsupported');
    expect(codeOf(() => loadTokenizer(toy([], { normalizer: { type: 'Precompiled' } })))).toBe('tokenizer/unsupported');
    const j = toy([]);
    expect(codeOf(() => loadTokenizer({ ...j, model: { ...j.model, type: 'Unigram' } }))).toBe('tokenizer/unsupported');
  });

  it('refuses malformed files with tokenizer/invalid', () => {
    expect(codeOf(() => loadTokenizer('{not json'))).toBe('tokenizer/invalid');
    expect(codeOf(() => loadTokenizer('{}'))).toBe('tokenizer/invalid');
    expect(codeOf(() => loadTokenizer(toy(['q z9'])))).toBe('tokenizer/invalid'); // merge uses a token not in the vocab
    expect(codeOf(() => loadTokenizer(toy(['abc'])))).toBe('tokenizer/invalid');
    const j = toy([]);
    expect(codeOf(() => loadTokenizer({ ...j, added_tokens: [{ id: -1, content: 'x' }] }))).toBe('tokenizer/invalid');
    expect(codeOf(() => loadTokenizer({ ...j, model: { ...j.model, vocab: { a: 1.5 } } }))).toBe('tokenizer/invalid');
  });

  it('random JSON never crashes with anything but TributaryError', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (v) => {
        const code = codeOf(() => loadTokenizer(JSON.stringify({ model: v })));
        expect(code === undefined || code.startsWith('tokenizer/')).toBe(true);
      }),
      { numRuns: 300, seed: 1 },
    );
  });
});

describe('added tokens', () => {
  const base = toy(['a b']);
  const BOS = 300;
  const withAdded = (added: TokenizerJson['added_tokens'], extra: Partial<TokenizerJson> = {}): Tokenizer => loadTokenizer({ ...base, added_tokens: added, ...extra });

  it('splits on added tokens first, longest match wins', () => {
    const t = withAdded([
      { id: 300, content: '<s>', special: true },
      { id: 301, content: '<s>x', special: true },
    ]);
    expect(t.encode('ab<s>x<s>')).toEqual([256, 301, 300]);
  });

  it('lstrip / rstrip swallow the whitespace beside the token', () => {
    const t = withAdded([{ id: 300, content: '<mask>', special: true, lstrip: true, rstrip: false }]);
    expect(tokens(t, 'a  <mask> b')).toEqual(['a', '<mask>', G, 'b']);
    const r = withAdded([{ id: 300, content: '<mask>', special: true, lstrip: false, rstrip: true }]);
    expect(tokens(r, 'a <mask>  b')).toEqual(['a', G, '<mask>', 'b']);
  });

  it('single_word only matches outside words', () => {
    const t = withAdded([{ id: 300, content: 'ab', special: false, single_word: true, normalized: false }]);
    expect(t.encode('ab')).toEqual([300]);
    expect(t.encode('xab')).not.toContain(300);
    expect(t.encode('x ab y')).toContain(300);
  });

  it('normalized added tokens match after the normalizer runs', () => {
    const t = withAdded([{ id: 300, content: 'hi', special: false, normalized: true }], { normalizer: { type: 'Lowercase' } });
    expect(t.encode('HI')).toEqual([300]);
    const raw = withAdded([{ id: 300, content: 'hi', special: false, normalized: false }], { normalizer: { type: 'Lowercase' } });
    expect(raw.encode('HI')).not.toContain(300);
  });

  it('TemplateProcessing adds BOS (Llama 3 style: Sequence[ByteLevel, TemplateProcessing])', () => {
    const t = withAdded([{ id: BOS, content: '<|begin_of_text|>', special: true }], {
      post_processor: {
        type: 'Sequence',
        processors: [
          { type: 'ByteLevel', trim_offsets: false },
          {
            type: 'TemplateProcessing',
            single: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
            special_tokens: { '<|begin_of_text|>': { id: '<|begin_of_text|>', ids: [BOS], tokens: ['<|begin_of_text|>'] } },
          },
        ],
      },
    });
    expect(t.encode('ab', { addSpecialTokens: true })).toEqual([BOS, 256]);
    expect(t.encode('ab')).toEqual([256]);
    expect(t.decode([BOS, 256], { skipSpecialTokens: true })).toBe('ab');
  });

  it('decodes added tokens written outside the byte-level alphabet as their own UTF-8', () => {
    const t = withAdded([{ id: 300, content: '<\u00e9 t>', special: false }]);
    expect(t.decode(t.encode('a<\u00e9 t>b'))).toBe('a<\u00e9 t>b');
  });

  it('unknown ids are skipped when decoding', () => {
    const t = loadTokenizer(base);
    expect(t.decode([97 - 33 + 0, 1e9, -1, 0.5])).toBe(t.decode([97 - 33]));
  });
});

describe('byte-level alphabet', () => {
  it('maps the 256 bytes to 256 distinct printable characters', () => {
    expect(new Set(BYTE_TO_CHAR).size).toBe(256);
    expect(toByteLevel(' \n')).toBe('\u0120\u010a');
  });
});
