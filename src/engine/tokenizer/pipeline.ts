import { describeValue } from '../../core/describeValue.ts';
import { TributaryError } from '../../core/errors.ts';
import { toByteLevel } from './byteLevel.ts';
import { bertNormalizer, bertPreTokenize } from './wordPiece.ts';
import { translateRegex } from './regex.ts';
import type { NormalizerJson, PostProcessorJson, PreTokenizerJson, RegexOrString, SplitBehavior } from './types.ts';

/** GPT-2's pre-tokenizer regex, used by the ByteLevel pre-tokenizer when `use_regex` is true. */
export const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

export type Normalize = (text: string) => string;
/** `first`: the text starts at offset 0 of the input (not after an added token); Metaspace's "first" scheme reads it */
export type PreTokenize = (pieces: string[], first?: boolean) => string[];
export type PostProcess = (ids: number[]) => number[];

function unsupported(what: string, type: unknown): TributaryError {
  return new TributaryError(
    'tokenizer/unsupported',
    `${what} of type ${describeValue(type)} is not supported (Tributary reads BPE tokenizers: byte-level ones such as GPT-2, Llama 3, Qwen2/3, SmolLM2, and SentencePiece-style ones such as Llama 2, TinyLlama, Mistral).`,
    'tokenizer.json',
  );
}

function escapeRegex(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** A global, Unicode RegExp for an HF `{Regex}` or `{String}` pattern. */
export function patternRegex(p: RegexOrString): RegExp {
  if ('Regex' in p && typeof p.Regex === 'string') return translateRegex(p.Regex);
  if ('String' in p && typeof p.String === 'string') return new RegExp(escapeRegex(p.String), 'gu');
  throw new TributaryError('tokenizer/invalid', 'a pattern is neither {"Regex": ...} nor {"String": ...}.', 'tokenizer.json');
}

export function buildNormalizer(cfg: NormalizerJson | null | undefined): Normalize | null {
  if (!cfg) return null;
  switch (cfg.type) {
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD': {
      const form = cfg.type;
      return (s) => s.normalize(form);
    }
    case 'Lowercase':
      return (s) => s.toLowerCase();
    case 'Prepend': {
      const pre = String((cfg as { prepend: unknown }).prepend);
      return (s) => (s.length > 0 ? pre + s : s);
    }
    case 'Strip': {
      const c = cfg as { strip_left?: boolean; strip_right?: boolean };
      return (s) => {
        let r = s;
        if (c.strip_left) r = r.replace(/^\p{White_Space}+/u, '');
        if (c.strip_right) r = r.replace(/\p{White_Space}+$/u, '');
        return r;
      };
    }
    case 'Replace': {
      const c = cfg as { pattern: RegexOrString; content: string };
      const re = patternRegex(c.pattern);
      const content = String(c.content);
      return (s) => s.replace(re, () => content);
    }
    case 'BertNormalizer':
      return bertNormalizer(cfg as { clean_text?: unknown; handle_chinese_chars?: unknown; strip_accents?: unknown; lowercase?: unknown });
    case 'Sequence': {
      const list = ((cfg as { normalizers?: NormalizerJson[] }).normalizers ?? []).map(buildNormalizer).filter((f): f is Normalize => f !== null);
      return (s) => list.reduce((acc, f) => f(acc), s);
    }
    default:
      throw unsupported('The normalizer', cfg.type);
  }
}

/**
 * Splits `s` by the matches of `re` (global) with HF's split behaviours. Empty pieces are dropped.
 * `invert` treats the text between matches as the "matches".
 */
export function splitBy(s: string, re: RegExp, behavior: SplitBehavior, invert = false): string[] {
  if (behavior === 'Isolated') {
    // the common case (every byte-level tokenizer's regex): pieces in order, no bookkeeping
    const out: string[] = [];
    let last = 0;
    re.lastIndex = 0;
    for (const m of s.matchAll(re)) {
      const text = m[0];
      if (text.length === 0) continue;
      if (m.index > last) out.push(s.slice(last, m.index));
      out.push(text);
      last = m.index + text.length;
    }
    if (last < s.length) out.push(s.slice(last));
    return out;
  }
  const parts: Array<[string, boolean]> = [];
  let last = 0;
  re.lastIndex = 0;
  for (const m of s.matchAll(re)) {
    const start = m.index;
    const text = m[0];
    if (text.length === 0) continue;
    if (start > last) parts.push([s.slice(last, start), invert]);
    parts.push([text, !invert]);
    last = start + text.length;
  }
  if (last < s.length) parts.push([s.slice(last), invert]);

  const out: string[] = [];
  switch (behavior) {
    case 'Removed':
      for (const [t, isMatch] of parts) if (!isMatch) out.push(t);
      break;
    case 'MergedWithPrevious': {
      let prevWasMatch = false;
      for (const [t, isMatch] of parts) {
        if (isMatch && out.length > 0 && !prevWasMatch) out[out.length - 1] += t;
        else out.push(t);
        prevWasMatch = isMatch;
      }
      break;
    }
    case 'MergedWithNext': {
      let pending = '';
      for (const [t, isMatch] of parts) {
        if (isMatch) {
          if (pending) out.push(pending);
          pending = t;
        } else {
          out.push(pending + t);
          pending = '';
        }
      }
      if (pending) out.push(pending);
      break;
    }
    case 'Contiguous': {
      let prevWasMatch = false;
      for (const [t, isMatch] of parts) {
        if (isMatch && prevWasMatch && out.length > 0) out[out.length - 1] += t;
        else out.push(t);
        prevWasMatch = isMatch;
      }
      break;
    }
    default:
      throw unsupported('The split behaviour', behavior);
  }
  return out;
}

export interface PreTokenizerInfo {
  run: PreTokenize;
  /** whether a ByteLevel step maps pieces to the byte-level alphabet */
  byteLevel: boolean;
}

export function buildPreTokenizer(cfg: PreTokenizerJson | null | undefined): PreTokenizerInfo {
  if (!cfg) return { run: (p) => p, byteLevel: false };
  switch (cfg.type) {
    case 'Sequence': {
      const steps = ((cfg as { pretokenizers?: PreTokenizerJson[] }).pretokenizers ?? []).map(buildPreTokenizer);
      return {
        run: (pieces, first) => steps.reduce((acc, s) => s.run(acc, first), pieces),
        byteLevel: steps.some((s) => s.byteLevel),
      };
    }
    case 'Split': {
      const c = cfg as { pattern: RegexOrString; behavior: SplitBehavior; invert?: boolean };
      const re = patternRegex(c.pattern);
      const behavior = c.behavior;
      const invert = c.invert ?? false;
      return { run: (pieces) => pieces.flatMap((p) => splitBy(p, re, behavior, invert)), byteLevel: false };
    }
    case 'ByteLevel': {
      const c = cfg as { add_prefix_space?: boolean; use_regex?: boolean };
      const addPrefix = c.add_prefix_space ?? true;
      const useRegex = c.use_regex ?? true;
      const re = useRegex ? translateRegex(GPT2_PATTERN) : null;
      // memo of piece -> byte-level string (text repeats words; the UTF-8 conversion dominates otherwise)
      const memo = new Map<string, string>();
      const conv = (q: string): string => {
        let b = memo.get(q);
        if (b === undefined) {
          b = toByteLevel(q);
          if (q.length <= 256) {
            if (memo.size >= 50_000) memo.clear();
            memo.set(q, b);
          }
        }
        return b;
      };
      return {
        run: (pieces) => {
          const out: string[] = [];
          for (let p of pieces) {
            if (addPrefix && !p.startsWith(' ')) p = ' ' + p;
            if (re) for (const q of splitBy(p, re, 'Isolated')) out.push(conv(q));
            else out.push(conv(p));
          }
          return out;
        },
        byteLevel: true,
      };
    }
    case 'Metaspace': {
      // SentencePiece-style: spaces become the replacement (▁), a ▁ is prepended (always, or only to the
      // input's first piece), and with `split` the text is cut before every ▁
      const c = cfg as { replacement?: unknown; prepend_scheme?: unknown; add_prefix_space?: unknown; split?: unknown };
      const rep = typeof c.replacement === 'string' && c.replacement.length > 0 ? c.replacement : '\u2581';
      const scheme = typeof c.prepend_scheme === 'string' ? c.prepend_scheme : c.add_prefix_space === false ? 'never' : 'always';
      if (scheme !== 'always' && scheme !== 'first' && scheme !== 'never') throw unsupported('The Metaspace prepend_scheme', scheme);
      const split = c.split !== false;
      const re = new RegExp(escapeRegex(rep), 'gu');
      return {
        run: (pieces, first = true) =>
          pieces.flatMap((p, i) => {
            let q = p.split(' ').join(rep);
            const prepend = scheme === 'always' || (scheme === 'first' && first && i === 0);
            if (prepend && !q.startsWith(rep)) q = rep + q;
            return split ? splitBy(q, re, 'MergedWithNext') : [q];
          }),
        byteLevel: false,
      };
    }
    case 'BertPreTokenizer':
      return { run: bertPreTokenize, byteLevel: false };
    case 'Digits': {
      const individual = (cfg as { individual_digits?: boolean }).individual_digits ?? false;
      const re = individual ? /\p{Nd}/gu : /\p{Nd}+/gu;
      return { run: (pieces) => pieces.flatMap((p) => splitBy(p, re, 'Isolated')), byteLevel: false };
    }
    default:
      throw unsupported('The pre-tokenizer', cfg.type);
  }
}

export function buildPostProcessor(cfg: PostProcessorJson | null | undefined, idOf: (token: string) => number | undefined): PostProcess | null {
  if (!cfg) return null;
  switch (cfg.type) {
    case 'ByteLevel':
      return (ids) => ids;
    case 'Sequence': {
      const list = ((cfg as { processors?: PostProcessorJson[] }).processors ?? []).map((p) => buildPostProcessor(p, idOf)).filter((f): f is PostProcess => f !== null);
      return (ids) => list.reduce((acc, f) => f(acc), ids);
    }
    case 'TemplateProcessing': {
      const c = cfg as { single?: unknown; special_tokens?: Record<string, { ids?: number[] }> };
      if (!Array.isArray(c.single)) throw new TributaryError('tokenizer/invalid', 'TemplateProcessing has no "single" template.', 'tokenizer.json');
      const pieces: Array<number[] | 'A'> = [];
      for (const piece of c.single as Array<Record<string, { id?: string }>>) {
        if (piece.Sequence) {
          pieces.push('A');
        } else if (piece.SpecialToken) {
          const name = String(piece.SpecialToken.id);
          const ids = c.special_tokens?.[name]?.ids;
          if (!Array.isArray(ids) || !ids.every((x) => Number.isInteger(x))) {
            throw new TributaryError('tokenizer/invalid', `TemplateProcessing names the special token "${name}" but does not list its ids.`, 'tokenizer.json');
          }
          pieces.push(ids);
        } else {
          throw new TributaryError('tokenizer/invalid', 'a TemplateProcessing piece is neither Sequence nor SpecialToken.', 'tokenizer.json');
        }
      }
      return (ids) => {
        const out: number[] = [];
        for (const p of pieces) {
          if (p === 'A') for (const x of ids) out.push(x);
          else for (const x of p) out.push(x);
        }
        return out;
      };
    }
    case 'RobertaProcessing':
    case 'BertProcessing': {
      const c = cfg as { cls?: [string, number]; sep?: [string, number] };
      const cls = c.cls?.[1] ?? (c.cls ? idOf(c.cls[0]) : undefined);
      const sep = c.sep?.[1] ?? (c.sep ? idOf(c.sep[0]) : undefined);
      if (cls === undefined || sep === undefined) throw new TributaryError('tokenizer/invalid', `${cfg.type} lacks cls/sep ids.`, 'tokenizer.json');
      return (ids) => [cls, ...ids, sep];
    }
    default:
      throw unsupported('The post-processor', cfg.type);
  }
}
