/**
 * Cutting a text into passages ("chunks") for retrieval and attribution.
 *
 * Guarantees of `splitPassages` (checked by property tests):
 * - deterministic: same text and options, same spans;
 * - spans are in order: both `start` and `end` strictly increase from one span to the next;
 * - no empty spans: every span starts and ends on a non-whitespace character (`text` is trimmed);
 * - coverage: every non-whitespace character of the text lies in at least one span; only whitespace
 *   can fall between two consecutive spans (a span never starts inside a word it skipped);
 * - bounded: a span has at most `size` units (characters, or tokens as counted by the tokenizer);
 * - consecutive spans overlap by at most `overlap` units; the overlap starts at a word start;
 * - a span ends at a paragraph break if one falls in the second half of the window, else at a sentence
 *   end, else at a line break, else at the last whitespace; a word is only cut when it is longer than
 *   the window (never between a surrogate pair or before a combining mark when avoidable).
 */
import { TributaryError } from './errors.ts';
import type { PassageOptions } from './types.ts';

export interface TextSpan {
  index: number;
  /** Offset of the first character in the chunked text (UTF-16 code units). */
  start: number;
  /** Offset just past the last character. */
  end: number;
  /** `text.slice(start, end)`. */
  text: string;
}

export interface Tokenizer {
  countTokens(s: string): number;
}

export const DEFAULT_PASSAGE_OPTIONS: PassageOptions = Object.freeze({ unit: 'chars', size: 800, overlap: 100 });

export const MIN_PASSAGE_SIZE = 100;
export const MAX_PASSAGE_SIZE = 8000;

/**
 * Checks chunking options (from a form, a pack, storage) and returns a clean copy.
 * `size` is a whole number in [100, 8000] units; `overlap` a whole number with 0 <= overlap < size / 2.
 * The same bounds apply to both units.
 */
export function validatePassageOptions(o: unknown): PassageOptions {
  if (typeof o !== 'object' || o === null) {
    throw new TributaryError('datanet/invalid', 'Chunking options are missing; use characters with a size and an overlap.');
  }
  const { unit, size, overlap } = o as Record<string, unknown>;
  if (unit !== 'chars' && unit !== 'tokens') {
    throw new TributaryError('datanet/invalid', `Chunking unit must be "chars" or "tokens", not ${show(unit)}.`);
  }
  const what = unit === 'chars' ? 'characters' : 'tokens';
  if (typeof size !== 'number' || !Number.isInteger(size) || size < MIN_PASSAGE_SIZE || size > MAX_PASSAGE_SIZE) {
    throw new TributaryError(
      'datanet/invalid',
      `Passage size must be a whole number from ${MIN_PASSAGE_SIZE} to ${MAX_PASSAGE_SIZE} ${what}, not ${show(size)}.`,
    );
  }
  if (typeof overlap !== 'number' || !Number.isInteger(overlap) || overlap < 0 || overlap * 2 >= size) {
    throw new TributaryError(
      'datanet/invalid',
      `Passage overlap must be a whole number from 0 to less than half the passage size (${size} ${what}), not ${show(overlap)}.`,
    );
  }
  return { unit, size, overlap };
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return v === null ? 'null' : typeof v;
}

const isWs = (c: number): boolean =>
  c === 0x20 ||
  (c >= 0x09 && c <= 0x0d) ||
  c === 0xa0 ||
  c === 0x1680 ||
  (c >= 0x2000 && c <= 0x200a) ||
  c === 0x2028 ||
  c === 0x2029 ||
  c === 0x202f ||
  c === 0x205f ||
  c === 0x3000 ||
  c === 0xfeff;

/** Ranks of a cut point (a word end: a non-whitespace character followed by whitespace, or a CJK stop). */
const RANK_SPACE = 0;
const RANK_LINE = 1;
const RANK_SENTENCE = 2;
const RANK_PARAGRAPH = 3;

const SENTENCE_END = new Set(['.', '!', '?', '…', '。', '！', '？', '‼', '⁇', '⁈', '⁉']);
/** Full stops after which CJK text may be cut even without a following space. */
const CJK_STOP = new Set(['。', '！', '？']);
const CLOSERS = new Set([')', ']', '}', '"', "'", '”', '’', '»', '›', '」', '』', '）']);

interface Boundaries {
  /** `cuts[r]`: ascending offsets of cut points of rank >= r. */
  cuts: number[][];
  /** Ascending offsets where a word starts (non-whitespace after whitespace or at 0). */
  wordStarts: number[];
}

function findBoundaries(text: string): Boundaries {
  const n = text.length;
  const cuts: number[][] = [[], [], [], []];
  const wordStarts: number[] = [];
  let prevWs = true;
  for (let i = 0; i < n; i++) {
    const ws = isWs(text.charCodeAt(i));
    if (!ws && prevWs) wordStarts.push(i);
    if (ws && !prevWs) {
      // i is the end of a word: rank it by the whitespace run that follows and the character before.
      let newlines = 0;
      for (let j = i; j < n && newlines < 2; j++) {
        const c = text.charCodeAt(j);
        if (!isWs(c)) break;
        if (c === 0x0a || c === 0x2029) newlines++;
      }
      const rank = newlines >= 2 ? RANK_PARAGRAPH : isSentenceEnd(text, i) ? RANK_SENTENCE : newlines === 1 ? RANK_LINE : RANK_SPACE;
      for (let r = 0; r <= rank; r++) cuts[r]!.push(i);
    } else if (!ws && i + 1 < n && CJK_STOP.has(text[i]!) && !isWs(text.charCodeAt(i + 1))) {
      // CJK sentences are not separated by spaces: the stop is a cut point and the next character starts a "word".
      for (let r = 0; r <= RANK_SENTENCE; r++) cuts[r]!.push(i + 1);
      wordStarts.push(i + 1);
    }
    prevWs = ws;
  }
  return { cuts, wordStarts };
}

/** Whether the word ending at `end` ends a sentence (terminal punctuation, maybe followed by closers). */
function isSentenceEnd(text: string, end: number): boolean {
  let k = end - 1;
  for (let guard = 0; guard < 3 && k > 0 && CLOSERS.has(text[k]!); guard++) k--;
  return k >= 0 && SENTENCE_END.has(text[k]!);
}

/** Largest value in ascending `arr` that is <= `hi` and > `lo`, or -1. */
function lastIn(arr: number[], lo: number, hi: number): number {
  let a = 0;
  let b = arr.length;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (arr[m]! <= hi) a = m + 1;
    else b = m;
  }
  const v = a > 0 ? arr[a - 1]! : -1;
  return v > lo ? v : -1;
}

/** Smallest value in ascending `arr` that is >= `lo`, or -1. */
function firstAtLeast(arr: number[], lo: number): number {
  let a = 0;
  let b = arr.length;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (arr[m]! < lo) a = m + 1;
    else b = m;
  }
  return a < arr.length ? arr[a]! : -1;
}

/**
 * Cuts `text` into overlapping spans of at most `opts.size` units. Offsets index into `text` as given
 * (callers pass the normalised text). Whitespace-only text gives `[]`.
 */
export function splitPassages(text: string, opts: PassageOptions, tokenizer?: Tokenizer): TextSpan[] {
  const { unit, size, overlap } = validatePassageOptions(opts);
  if (unit === 'tokens' && !tokenizer) {
    throw new TributaryError('datanet/invalid', 'Token-based chunking needs a tokenizer; none is loaded yet — use characters.');
  }
  const n = text.length;
  const nextNonWs = (i: number): number => {
    while (i < n && isWs(text.charCodeAt(i))) i++;
    return i;
  };
  let textEnd = n;
  while (textEnd > 0 && isWs(text.charCodeAt(textEnd - 1))) textEnd--;
  const first = nextNonWs(0);
  if (first >= n) return [];

  const { cuts, wordStarts } = findBoundaries(text);
  const count = (s: number, e: number): number => tokenizer!.countTokens(text.slice(s, e));

  /** Largest end e > pos such that [pos, e) fits in `size` units (at least one character). */
  const windowEnd = (pos: number): number => {
    if (unit === 'chars') return Math.min(n, pos + size);
    let lo = pos + 1;
    let step = size * 4;
    while (pos + step < n && count(pos, pos + step) <= size) {
      lo = pos + step;
      step *= 2;
    }
    let hi = Math.min(n, pos + step);
    if (count(pos, hi) <= size) return hi;
    // invariant: [pos, lo) fits (or lo = pos + 1), [pos, hi) does not
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (count(pos, mid) <= size) lo = mid;
      else hi = mid;
    }
    return lo;
  };

  /** Where the overlap of the next span starts, given the span [pos, end); always > pos. */
  const overlapStart = (pos: number, end: number): number => {
    const noOverlap = nextNonWs(end);
    if (overlap === 0) return noOverlap;
    let t: number;
    if (unit === 'chars') {
      t = end - overlap;
    } else {
      // smallest t such that [t, end) has at most `overlap` tokens
      let lo = pos;
      let hi = end;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (count(mid, end) <= overlap) hi = mid;
        else lo = mid + 1;
      }
      t = lo;
    }
    const w = firstAtLeast(wordStarts, Math.max(t, pos + 1));
    return w !== -1 && w < end ? w : noOverlap;
  };

  /** Cut point for a span starting at `pos` whose window ends at `limit`; cut > lower. */
  const pickCut = (pos: number, limit: number, lower: number): { cut: number; forced: boolean } => {
    const half = Math.max(lower, pos + Math.floor((limit - pos) / 2));
    for (let r = RANK_PARAGRAPH; r >= RANK_LINE; r--) {
      const c = lastIn(cuts[r]!, half, limit);
      if (c !== -1) return { cut: c, forced: false };
    }
    const c = lastIn(cuts[RANK_SPACE]!, lower, limit);
    if (c !== -1) return { cut: c, forced: false };
    // No word end in the window: the word is longer than the window. Avoid splitting a surrogate pair
    // or separating a combining mark from its base when there is room to step back.
    let cut = limit;
    while (cut - 1 > lower && (isLowSurrogate(text.charCodeAt(cut)) || isCombining(text, cut))) cut--;
    return { cut: cut > lower ? cut : limit, forced: true };
  };

  const spans: TextSpan[] = [];
  let pos = first;
  let prevEnd = -1;
  for (;;) {
    const limit = windowEnd(pos);
    let end: number;
    if (limit >= textEnd) {
      end = textEnd;
    } else {
      const lower = Math.max(pos, prevEnd);
      const { cut, forced } = pickCut(pos, limit, lower);
      if (forced && prevEnd >= 0 && pos < nextNonWs(prevEnd)) {
        // The overlap left no room to finish the next word: start this span without overlap.
        pos = nextNonWs(prevEnd);
        continue;
      }
      end = cut;
      while (end > pos + 1 && isWs(text.charCodeAt(end - 1))) end--;
    }
    spans.push({ index: spans.length, start: pos, end, text: text.slice(pos, end) });
    if (nextNonWs(end) >= textEnd) break;
    prevEnd = end;
    pos = overlapStart(pos, end);
  }
  return spans;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

const COMBINING = /\p{M}/u;
function isCombining(text: string, i: number): boolean {
  const ch = text[i];
  return ch !== undefined && COMBINING.test(ch);
}
