/**
 * WordPiece (BERT-family tokenizers, e.g. all-MiniLM-L6-v2's) on a tokenizer.json shaped exactly like MiniLM's
 * (bertTokenizer.testkit.ts), with a small vocabulary.
 * Every expected id list is worked out by hand from HF tokenizers' rules (see wordPiece.ts).
 */
import { describe, expect, it } from 'vitest';
import { BERT_TOKENIZER_JSON as BERT } from './bertTokenizer.testkit.ts';
import { loadTokenizer } from './tokenizer.ts';

describe('WordPiece tokenizers (BERT family)', () => {
  const tok = loadTokenizer(JSON.stringify(BERT));

  it.each([
    ['Hello, World!', [5, 7, 6, 8]], // lowercased; punctuation on its own; the whole word first
    ['unaffable', [9, 10, 11]], // un ##aff ##able
    ['Café CAFÉ', [18, 19, 18, 19]], // accents stripped (they follow lowercase), then caf ##e
    ["don't", [14, 15, 16]],
    ['worldly', [1]], // world + "##ly" cannot be matched: the whole word is [UNK]
    ['xyz', [1]],
    ['日本', [17, 1]], // CJK ideographs split one by one
    ['a\u0000b\tc', [20, 21, 1]], // NUL dropped, tab is a space: "ab" → a ##b; "c" → [UNK]
    ['$5', [22, 23]], // ASCII symbols count as punctuation
    ['a'.repeat(101), [1]], // longer than max_input_chars_per_word
    ['', []],
  ] as const)('%j', (text, ids) => {
    expect(tok.encode(text)).toEqual(ids);
  });

  it('adds [CLS] … [SEP], reads written special tokens (or not), and decodes', () => {
    expect(tok.encode('Hello, World!', { addSpecialTokens: true })).toEqual([2, 5, 7, 6, 8, 3]);
    expect(tok.encode('[CLS] hello')).toEqual([2, 5]);
    expect(tok.encode('[CLS] hello', { splitSpecialTokens: true })).toEqual([1, 1, 1, 5]);
    expect(tok.decode([2, 9, 10, 11, 6, 8, 3], { skipSpecialTokens: true })).toBe('unaffable world !');
  });

  it('refuses a WordPiece model whose unknown token is not in its vocabulary', () => {
    expect(() => loadTokenizer(JSON.stringify({ ...BERT, model: { ...BERT.model, unk_token: '<unk>' } }))).toThrow(expect.objectContaining({ code: 'tokenizer/invalid' }));
  });
});
