/**
 * Verbatim spans (infini-gram / OLMoTrace style): the maximal stretches of an answer's words that occur,
 * word for word, in a Datanet's passages, found with the Datanet's suffix array.
 *
 * For each answer position i, the longest match length L(i) is found by narrowing the suffix array range
 * one word at a time (two binary searches per word). A span [i, i+L(i)) is MAXIMAL when it is not inside
 * the previous position's span (i + L(i) > i - 1 + L(i - 1)). The occurrence count of a span is its final
 * suffix array range's size.
 *
 * Which spans count (the rule, see docs/ATTRIBUTION.md): a maximal span is KEPT when it has at least
 * `minWords` words, at least one of them not a stop word, and occurs at most `maxCount` times. A kept span's
 * weight is its number of content words not in the prompt (words the model chose, not echoed) plus
 * `echoWeight` per echoed content word, times log2(1 + maxCount / count) (rarer is stronger).
 */
import type { Corpus } from './corpus.ts';
import { passageAt } from './corpus.ts';
import { STOP_WORDS, wordsOf } from './words.ts';

export interface SpanIndex {
  corpus: Corpus;
  sa: Int32Array;
  /**
   * optional: `firstWord[w]..firstWord[w+1]` is the suffix-array range of suffixes starting with word w (the SA
   * is sorted by first word), so the first word of a match costs one lookup instead of two binary searches
   */
  firstWord?: Int32Array;
}

/** The first-word ranges of a suffix array (a counting pass over the text). */
export function firstWordRanges(corpus: Corpus): Int32Array {
  const starts = new Int32Array(corpus.vocab.length + 1);
  for (let i = 0; i < corpus.text.length; i++) starts[corpus.text[i]! + 1]!++;
  for (let w = 0; w < corpus.vocab.length; w++) starts[w + 1]! += starts[w]!;
  return starts;
}

export interface SpanRule {
  minWords: number;
  maxCount: number;
  echoWeight: number;
}

export const DEFAULT_SPAN_RULE: SpanRule = { minWords: 2, maxCount: 8, echoWeight: 0.25 };

export interface SpanOccurrence {
  /** index into corpus.passages */
  passage: number;
  /** word offset inside the corpus text */
  at: number;
}

export interface FoundSpan {
  /** answer word range [wordStart, wordEnd) */
  wordStart: number;
  wordEnd: number;
  /** UTF-16 offsets in the answer */
  answerStart: number;
  answerEnd: number;
  count: number;
  weight: number;
  occurrences: SpanOccurrence[];
}

/** The word at `depth` of the suffix at slot x (0 past the end: an ended suffix sorts first). */
function wordAt(T: Int32Array, sa: Int32Array, x: number, depth: number): number {
  const p = sa[x]! + depth;
  return p < T.length ? T[p]! : 0;
}

/**
 * The part [start, end) of the suffix array range [lo, hi) (all suffixes agreeing on their first `depth` words) whose
 * word at `depth` is `word`. Galloping searches from both ends instead of plain binary searches: where the range
 * does not shrink (a phrase repeated in many passages, a long verbatim copy) each word costs two probes instead of
 * 2·log2(range), and where it shrinks the cost stays O(log range). So a match of L words costs O(L + log n) probes
 * and an answer of m words at most O(m·(Lmax + log n)) (docs/ATTRIBUTION.md, "Index build and query speed").
 */
function narrow(index: SpanIndex, lo: number, hi: number, depth: number, word: number): [number, number] {
  const { sa } = index;
  const T = index.corpus.text;
  // start: first x in [lo, hi) with wordAt(T, sa, x, depth) >= word, galloping right from lo
  let start: number;
  if (wordAt(T, sa, lo, depth) >= word) start = lo;
  else {
    let below = lo; // wordAt(T, sa, below, depth) < word
    let step = 1;
    while (below + step < hi && wordAt(T, sa, below + step, depth) < word) {
      below += step;
      step *= 2;
    }
    let a = below + 1;
    let b = Math.min(below + step, hi);
    while (a < b) {
      const m = (a + b) >>> 1;
      if (wordAt(T, sa, m, depth) < word) a = m + 1;
      else b = m;
    }
    start = a;
  }
  if (start === hi || wordAt(T, sa, start, depth) !== word) return [start, start];
  // end: first x in [start, hi) with wordAt(T, sa, x, depth) > word, galloping left from hi - 1
  if (wordAt(T, sa, hi - 1, depth) === word) return [start, hi];
  let above = hi - 1; // wordAt(T, sa, above, depth) > word
  let step = 1;
  while (above - step > start && wordAt(T, sa, above - step, depth) > word) {
    above -= step;
    step *= 2;
  }
  let a = Math.max(above - step, start) + 1;
  let b = above;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (wordAt(T, sa, m, depth) <= word) a = m + 1;
    else b = m;
  }
  return [start, a];
}

/** Longest-match length at each answer position and its suffix array range. */
export function longestMatches(index: SpanIndex, ids: Int32Array): { len: Int32Array; lo: Int32Array; hi: Int32Array } {
  const m = ids.length;
  const len = new Int32Array(m);
  const lo = new Int32Array(m);
  const hi = new Int32Array(m);
  const n = index.sa.length;
  for (let i = 0; i < m; i++) {
    let a = 0;
    let b = n;
    let l = 0;
    const fw = index.firstWord;
    if (fw && ids[i]! > 1) {
      a = fw[ids[i]!]!;
      b = fw[ids[i]! + 1]!;
      if (a < b) l = 1;
    }
    while (i + l < m && ids[i + l]! > 1) {
      const [na, nb] = narrow(index, a, b, l, ids[i + l]!);
      if (na >= nb) break;
      a = na;
      b = nb;
      l++;
    }
    len[i] = l;
    lo[i] = a;
    hi[i] = b;
  }
  return { len, lo, hi };
}

/** Word ids of a text in the corpus vocabulary (-1 for words the corpus never uses). */
export function answerIds(corpus: Corpus, words: readonly string[]): Int32Array {
  return Int32Array.from(words, (w) => corpus.wordIds.get(w) ?? -1);
}

/** The kept maximal spans of `answer` in the index (see the rule above), in answer order. */
export function findSpans(index: SpanIndex, answer: string, prompt = '', rule: SpanRule = DEFAULT_SPAN_RULE): FoundSpan[] {
  const run = wordsOf(answer);
  const promptWords = new Set(wordsOf(prompt).words);
  const ids = answerIds(index.corpus, run.words);
  const { len, lo, hi } = longestMatches(index, ids);
  const out: FoundSpan[] = [];
  let prevEnd = 0;
  for (let i = 0; i < ids.length; i++) {
    const end = i + len[i]!;
    if (len[i]! === 0 || end <= prevEnd) continue;
    prevEnd = end;
    const count = hi[i]! - lo[i]!;
    if (len[i]! < rule.minWords || count > rule.maxCount) continue;
    let novel = 0;
    let echoed = 0;
    for (let k = i; k < end; k++) {
      const w = run.words[k]!;
      if (STOP_WORDS.has(w)) continue;
      if (promptWords.has(w)) echoed++;
      else novel++;
    }
    if (novel + echoed === 0) continue;
    const occurrences: SpanOccurrence[] = [];
    for (let x = lo[i]!; x < hi[i]!; x++) occurrences.push({ passage: passageAt(index.corpus, index.sa[x]!), at: index.sa[x]! });
    occurrences.sort((p, q) => p.at - q.at);
    out.push({
      wordStart: i,
      wordEnd: end,
      answerStart: run.starts[i]!,
      answerEnd: run.ends[end - 1]!,
      count,
      weight: (novel + rule.echoWeight * echoed) * Math.log2(1 + rule.maxCount / count),
      occurrences,
    });
  }
  return out;
}
