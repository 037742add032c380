/**
 * The pieces of a BERT-family `tokenizer.json` (all-MiniLM-L6-v2 and the other BERT sentence encoders), as HF
 * tokenizers defines them:
 * - `BertNormalizer`: `clean_text` (control characters dropped, every whitespace character becomes a space),
 *   `handle_chinese_chars` (spaces around CJK ideographs), `strip_accents` (NFD, combining marks dropped; by default
 *   it follows `lowercase`), `lowercase`;
 * - `BertPreTokenizer`: split on whitespace (dropped), then every punctuation character on its own;
 * - the `WordPiece` model: greedy longest match from the left, continuation pieces prefixed (`##`), the whole word
 *   `[UNK]` when any part cannot be matched or it is longer than `max_input_chars_per_word`;
 * - the `WordPiece` decoder: a token with the prefix joins the previous one, any other starts a new word.
 */
import { TributaryError } from '../../core/errors.ts';
import type { Normalize, PreTokenize } from './pipeline.ts';

const CONTROL = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Cn}]/u;
const WHITESPACE = /\p{White_Space}/u;

function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

export function bertNormalizer(cfg: { clean_text?: unknown; handle_chinese_chars?: unknown; strip_accents?: unknown; lowercase?: unknown }): Normalize {
  const clean = cfg.clean_text !== false;
  const chinese = cfg.handle_chinese_chars !== false;
  const lowercase = cfg.lowercase !== false;
  const strip = typeof cfg.strip_accents === 'boolean' ? cfg.strip_accents : lowercase;
  return (s) => {
    let out = '';
    for (const ch of s) {
      const cp = ch.codePointAt(0)!;
      if (clean) {
        if (cp === 0 || cp === 0xfffd) continue;
        if (ch === '\t' || ch === '\n' || ch === '\r' || WHITESPACE.test(ch)) {
          out += ' ';
          continue;
        }
        if (CONTROL.test(ch)) continue;
      }
      out += chinese && isChineseChar(cp) ? ` ${ch} ` : ch;
    }
    if (strip) out = out.normalize('NFD').replace(/\p{Mn}/gu, '');
    return lowercase ? out.toLowerCase() : out;
  };
}

/** ASCII punctuation (Rust's `is_ascii_punctuation`, which includes symbols like `$+<=>^|~`) and Unicode's P classes. */
const PUNCTUATION = /[\p{P}\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]/u;

export const bertPreTokenize: PreTokenize = (pieces) => {
  const out: string[] = [];
  for (const p of pieces) {
    for (const word of p.split(/\p{White_Space}+/u)) {
      let cur = '';
      for (const ch of word) {
        if (PUNCTUATION.test(ch)) {
          if (cur) out.push(cur);
          out.push(ch);
          cur = '';
        } else cur += ch;
      }
      if (cur) out.push(cur);
    }
  }
  return out;
};

export class WordPieceModel {
  private readonly cache = new Map<string, number[]>();

  constructor(
    private readonly vocab: ReadonlyMap<string, number>,
    private readonly unkId: number,
    private readonly prefix: string,
    private readonly maxChars: number,
  ) {}

  encodeWord(word: string): number[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    const chars = Array.from(word);
    let ids: number[] = [];
    if (chars.length > this.maxChars) ids = [this.unkId];
    else {
      let start = 0;
      while (start < chars.length) {
        let end = chars.length;
        let found: number | undefined;
        while (start < end) {
          const piece = (start > 0 ? this.prefix : '') + chars.slice(start, end).join('');
          found = this.vocab.get(piece);
          if (found !== undefined) break;
          end--;
        }
        if (found === undefined) {
          ids = [this.unkId];
          break;
        }
        ids.push(found);
        start = end;
      }
    }
    if (word.length <= 100) {
      if (this.cache.size >= 50_000) this.cache.clear();
      this.cache.set(word, ids);
    }
    return ids;
  }
}

/** A WordPiece model from its `tokenizer.json` fields (validated: the unknown token must be in the vocabulary). */
export function wordPieceModel(vocab: ReadonlyMap<string, number>, m: { unk_token?: unknown; continuing_subword_prefix?: unknown; max_input_chars_per_word?: unknown }): WordPieceModel {
  const unk = typeof m.unk_token === 'string' ? m.unk_token : '[UNK]';
  const unkId = vocab.get(unk);
  if (unkId === undefined) throw new TributaryError('tokenizer/invalid', `the WordPiece unknown token ${JSON.stringify(unk.slice(0, 40))} is not in the vocabulary. This is not a usable HF tokenizer.json; use the file that ships with the model.`, 'tokenizer.json');
  const prefix = typeof m.continuing_subword_prefix === 'string' ? m.continuing_subword_prefix : '##';
  const maxChars = Number.isInteger(m.max_input_chars_per_word) && (m.max_input_chars_per_word as number) > 0 ? (m.max_input_chars_per_word as number) : 100;
  return new WordPieceModel(vocab, unkId, prefix, maxChars);
}
