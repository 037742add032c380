/** Invariant checks for `splitPassages` output, shared by the unit and property tests (not app code). */
import type { TextSpan, Tokenizer } from './passage.ts';
import type { PassageOptions } from './types.ts';

const WS = /\s/;

/** Returns a description of the first broken invariant, or null when the spans are valid for `text`. */
export function spanProblem(text: string, spans: TextSpan[], opts: PassageOptions, tokenizer?: Tokenizer): string | null {
  const hasText = /\S/.test(text);
  if (!hasText) return spans.length === 0 ? null : 'whitespace-only text gave spans';
  if (spans.length === 0) return 'no spans for a text with content';
  const measure = (s: string): number => (opts.unit === 'chars' ? s.length : tokenizer!.countTokens(s));
  const covered = new Uint8Array(text.length);
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i]!;
    if (s.index !== i) return `span ${i} has index ${s.index}`;
    if (!(s.start >= 0 && s.end <= text.length && s.start < s.end)) return `span ${i} has bad bounds [${s.start}, ${s.end})`;
    if (s.text !== text.slice(s.start, s.end)) return `span ${i} text is not text.slice(start, end)`;
    if (WS.test(s.text[0]!) || WS.test(s.text[s.text.length - 1]!)) return `span ${i} is not trimmed`;
    if (measure(s.text) > opts.size) return `span ${i} has ${measure(s.text)} units > ${opts.size}`;
    if (i > 0) {
      const p = spans[i - 1]!;
      if (!(s.start > p.start && s.end > p.end)) return `span ${i} is not after span ${i - 1}`;
      if (s.start > p.end && /\S/.test(text.slice(p.end, s.start))) return `non-whitespace skipped between spans ${i - 1} and ${i}`;
      if (s.start < p.end && measure(text.slice(s.start, p.end)) > opts.overlap) return `overlap ${i - 1}/${i} exceeds ${opts.overlap}`;
    }
    covered.fill(1, s.start, s.end);
  }
  for (let i = 0; i < text.length; i++) {
    if (!covered[i] && !WS.test(text[i]!)) return `character ${i} (${JSON.stringify(text[i])}) is not covered`;
  }
  return null;
}
