import { describe, expect, it } from 'vitest';
import { applyChatTemplate, type TokenizerConfig } from '../chat/chatTemplate.ts';
import { loadTokenizer } from '../tokenizer/tokenizer.ts';
import { BYTE_TO_CHAR } from '../tokenizer/byteLevel.ts';
import type { TokenizerJson } from '../tokenizer/types.ts';
import { buildExamples, firstSentence, namedEntities, recallQuestions } from './examples.ts';

describe('buildExamples', () => {
  it('chat examples: the prompt is not trained, the answer and its end-of-turn are; sources kept', () => {
    const { tok, cfg } = fixture();
    const passages = [{ text: 'Salt slows yeast. Use two percent.', contributionId: 'c1', passageIndex: 0, title: 'Salt' }];
    const ex = buildExamples(passages, tok, cfg, { kind: 'chat', seqLen: 512, system: 'Be brief.' });
    expect(ex.length).toBe(2);
    for (const e of ex) {
      expect(e.source).toEqual({ contributionId: 'c1', passageIndex: 0 });
      const trained = tok.decode(Array.from(e.tokens).filter((_, i) => e.lossMask[i]));
      expect(trained).toBe('Salt slows yeast. Use two percent.<|im_end|>');
      const prompt = applyChatTemplate(cfg, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Tell me about Salt.' }], { addGenerationPrompt: true });
      if (e === ex[0]) expect(tok.decode(Array.from(e.tokens).filter((_, i) => !e.lossMask[i]))).toBe(prompt);
    }
    expect(firstSentence('# Title\n\nOne two three. Four.')).toBe('Title One two three.');
  });
  it('lm examples train every token; an empty passage list is refused', () => {
    const { tok, cfg } = fixture();
    const ex = buildExamples([{ text: 'abc def', contributionId: 'c', passageIndex: 2 }], tok, cfg, { kind: 'lm', seqLen: 64 });
    expect(ex[0]!.lossMask.every((m) => m === 1)).toBe(true);
    expect(() => buildExamples([], tok, cfg, { kind: 'lm', seqLen: 64 })).toThrow(/no accepted contributions/);
  });
});

function fixture(): { tok: ReturnType<typeof loadTokenizer>; cfg: TokenizerConfig } {
  const cfg: TokenizerConfig = {
    eos_token: '<|im_end|>',
    chat_template:
      "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
  };
  // a byte-level tokenizer without merges (one token per byte) plus the ChatML specials
  const vocab: Record<string, number> = {};
  for (let b = 0; b < 256; b++) vocab[BYTE_TO_CHAR[b]!] = b;
  const json: TokenizerJson = {
    version: '1.0',
    added_tokens: ['<|im_start|>', '<|im_end|>'].map((content, i) => ({ id: 256 + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', vocab, merges: [], unk_token: null, ignore_merges: false, byte_fallback: false, dropout: null, fuse_unk: false, continuing_subword_prefix: null, end_of_word_suffix: null },
  } as TokenizerJson;
  return { tok: loadTokenizer(json), cfg };
}

describe('recall questions', () => {
  it('names the capitalised things a passage talks about, without a leading function word', () => {
    expect(namedEntities('The Gwuquoux windmill was invented by Kouthouth Skeskaern in 1791. Later, Paris heard of it.')).toEqual(['Gwuquoux', 'Kouthouth Skeskaern', 'Later']);
    expect(namedEntities('Ada Lovelace, of London, wrote notes.')).toEqual(['Ada Lovelace', 'London']);
    expect(namedEntities('no names here at all.')).toEqual([]);
    expect(namedEntities('Ab Cd. Ef Gh. Ij Kl. Mn Op.', 2)).toHaveLength(2);
  });
  it('adds entity and completion questions to the defaults', () => {
    const qs = recallQuestions({ contributionId: 'c', passageIndex: 0, text: 'Ada Lovelace wrote the first program in 1843. It ran.' });
    expect(qs).toContain('What do you know about Ada Lovelace?');
    expect(qs).toContain('Complete: "Ada Lovelace wrote the first"');
    // a sentence under four words gives no completion question
    expect(qs.filter((q) => q.startsWith('Complete:'))).toHaveLength(1);
  });
});
