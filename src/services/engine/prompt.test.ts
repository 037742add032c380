import { describe, expect, it } from 'vitest';
import { BYTE_TO_CHAR } from '../../engine/tokenizer/byteLevel.ts';
import { loadTokenizer } from '../../engine/tokenizer/tokenizer.ts';
import { buildPrompt } from './prompt.ts';

const vocab: Record<string, number> = {};
for (let b = 0; b < 256; b++) vocab[BYTE_TO_CHAR[b]!] = b;
const tok = loadTokenizer({
  added_tokens: ['<|im_start|>', '<|im_end|>'].map((content, i) => ({ id: 256 + i, content, special: true })),
  pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true },
  decoder: { type: 'ByteLevel' },
  model: { type: 'BPE', vocab, merges: [] },
});
const tc = {
  chat_template: "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
};
const conv = [
  { role: 'system', content: 'sys' },
  { role: 'user', content: 'first question' },
  { role: 'assistant', content: 'first answer' },
  { role: 'user', content: 'second' },
];

describe('buildPrompt', () => {
  it('renders the chat template with the assistant turn opened', () => {
    const p = buildPrompt(tok, tc, conv, 10, 1000);
    expect(tok.decode(p.ids)).toBe('<|im_start|>system\nsys<|im_end|>\n<|im_start|>user\nfirst question<|im_end|>\n<|im_start|>assistant\nfirst answer<|im_end|>\n<|im_start|>user\nsecond<|im_end|>\n<|im_start|>assistant\n');
    expect(p).toMatchObject({ dropped: 0, answerTokens: 10 });
  });

  it('shortens the answer, then leaves out the oldest messages (keeping the system message), then refuses', () => {
    const full = buildPrompt(tok, tc, conv, 10, 1000).ids.length;
    expect(buildPrompt(tok, tc, conv, 40, full + 35)).toMatchObject({ dropped: 0, answerTokens: 35 });
    const p = buildPrompt(tok, tc, conv, 40, full + 10);
    expect(p.dropped).toBeGreaterThan(0);
    expect(tok.decode(p.ids)).toMatch(/^<\|im_start\|>system\nsys/);
    expect(tok.decode(p.ids)).toMatch(/second<\|im_end\|>\n<\|im_start\|>assistant\n$/);
    expect(() => buildPrompt(tok, tc, conv, 40, 20)).toThrow(/do not fit/);
  });

  it('uses a plain transcript for a model without a chat template', () => {
    const p = buildPrompt(tok, null, [{ role: 'user', content: 'hi' }], 5, 100);
    expect(tok.decode(p.ids)).toBe('User: hi\nAssistant:');
  });

  it('adds the BOS a template left out when add_bos_token is set (TinyLlama), never twice, and not otherwise', () => {
    const zephyr = "{% for m in messages %}{{ '<|' + m['role'] + '|>\\n' + m['content'] + eos_token + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}";
    const bosTok = loadTokenizer({
      added_tokens: ['<s>', '</s>'].map((content, i) => ({ id: 256 + i, content, special: true })),
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true },
      decoder: { type: 'ByteLevel' },
      model: { type: 'BPE', vocab, merges: [] },
    });
    const msgs = [{ role: 'user', content: 'hi' }];
    const withBos = buildPrompt(bosTok, { chat_template: zephyr, bos_token: '<s>', eos_token: '</s>', add_bos_token: true }, msgs, 4, 100);
    expect(withBos.ids[0]).toBe(256);
    expect(bosTok.decode(withBos.ids)).toBe('<s><|user|>\nhi</s>\n<|assistant|>\n');
    const already = buildPrompt(bosTok, { chat_template: '{{ bos_token }}' + zephyr, bos_token: '<s>', eos_token: '</s>', add_bos_token: true }, msgs, 4, 100);
    expect(already.ids.filter((id) => id === 256)).toHaveLength(1);
    const without = buildPrompt(bosTok, { chat_template: zephyr, bos_token: '<s>', eos_token: '</s>' }, msgs, 4, 100);
    expect(without.ids[0]).not.toBe(256);
  });
});
