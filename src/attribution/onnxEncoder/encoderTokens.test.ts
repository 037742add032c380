import { describe, expect, it } from 'vitest';
import { BERT_TOKENIZER_JSON } from '../../engine/tokenizer/bertTokenizer.testkit.ts';
import { loadTokenizer } from '../../engine/tokenizer/index.ts';
import { encoderTokens } from './encoderTokens.ts';

describe('encoderTokens', () => {
  const tok = loadTokenizer(JSON.stringify(BERT_TOKENIZER_JSON));
  it("cuts the text's tokens to fit, keeping the post-processor's [CLS] and [SEP]", () => {
    expect(encoderTokens(tok, 'Hello, World!', 16)).toEqual([2, 5, 7, 6, 8, 3]);
    expect(encoderTokens(tok, 'Hello, World!', 4)).toEqual([2, 5, 7, 3]);
    expect(encoderTokens(tok, 'Hello, World!', 2)).toEqual([2, 3]);
  });
  it('reads special tokens written in the text as plain text', () => {
    expect(encoderTokens(tok, '[SEP] hello', 16)).toEqual([2, 1, 1, 1, 5, 3]);
  });
});
