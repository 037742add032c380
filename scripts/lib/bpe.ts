/**
 * A small byte-level BPE trainer (GPT-2 pre-tokenizer, 256 byte tokens + learned merges + special tokens), used by
 * `npm run train:demo` to make the demo model's own tokenizer. Deterministic:
 * the most frequent adjacent pair is merged first, ties broken by the pair's text, so the result does not depend on
 * map order.
 */
import { BYTE_TO_CHAR } from '../../src/engine/tokenizer/byteLevel.ts';
import { buildPreTokenizer } from '../../src/engine/tokenizer/pipeline.ts';
import type { PreTokenizerJson, TokenizerJson } from '../../src/engine/tokenizer/types.ts';

export const SPECIAL = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] as const;

export const PRE_TOKENIZER: PreTokenizerJson = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };

/**
 * Learns `nMerges` BPE merges over byte-level words: repeatedly merges the most frequent adjacent pair (counted over
 * distinct words weighted by frequency; ties go to the smaller "a b" text, so the result does not depend on map order).
 */
export function trainBpe(texts: readonly string[], nMerges: number): { vocab: string[]; merges: [string, string][] } {
  const pre = buildPreTokenizer(PRE_TOKENIZER).run;
  const freq = new Map<string, number>();
  for (const t of texts) for (const w of pre([t])) freq.set(w, (freq.get(w) ?? 0) + 1);
  const vocab: string[] = [];
  const idOf = new Map<string, number>();
  for (let b = 0; b < 256; b++) {
    idOf.set(BYTE_TO_CHAR[b]!, vocab.length);
    vocab.push(BYTE_TO_CHAR[b]!);
  }
  const words = [...freq.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([w, n]) => ({ syms: [...w].map((c) => idOf.get(c)!), n }));
  const merges: [string, string][] = [];
  const key = (a: number, b: number): number => a * 65536 + b;
  while (merges.length < nMerges) {
    const counts = new Map<number, number>();
    for (const { syms, n } of words) {
      for (let i = 0; i + 1 < syms.length; i++) {
        const k = key(syms[i]!, syms[i + 1]!);
        counts.set(k, (counts.get(k) ?? 0) + n);
      }
    }
    let best = -1;
    let bestN = 0;
    let bestText = '';
    for (const [k, n] of counts) {
      if (n < bestN) continue;
      const text = `${vocab[Math.floor(k / 65536)]} ${vocab[k % 65536]}`;
      if (n > bestN || text < bestText) {
        best = k;
        bestN = n;
        bestText = text;
      }
    }
    if (best < 0 || bestN < 2) break;
    const a = Math.floor(best / 65536);
    const b = best % 65536;
    const merged = vocab[a]! + vocab[b]!;
    const id = vocab.length;
    vocab.push(merged);
    idOf.set(merged, id);
    merges.push([vocab[a]!, vocab[b]!]);
    for (const w of words) {
      const s = w.syms;
      let j = 0;
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          s[j++] = id;
          i++;
        } else s[j++] = s[i]!;
      }
      s.length = j;
    }
  }
  return { vocab, merges };
}

export function tokenizerJson(vocab: readonly string[], merges: readonly [string, string][], special: readonly string[] = SPECIAL): TokenizerJson {
  const v: Record<string, number> = {};
  vocab.forEach((t, i) => (v[t] = i));
  return {
    version: '1.0',
    added_tokens: special.map((content, i) => ({ id: vocab.length + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: PRE_TOKENIZER,
    post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', vocab: v, merges: merges.map(([a, b]) => [a, b]), unk_token: null, ignore_merges: false, byte_fallback: false, dropout: null, fuse_unk: false, continuing_subword_prefix: null, end_of_word_suffix: null },
  };
}
