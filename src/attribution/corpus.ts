/**
 * A Datanet version's passages as one word-id text: passages in canonical order (contribution id, then
 * passage index), each followed by the separator id 1, word ids from 2 in order of first appearance. The
 * same passages always give the same ids, text and offsets, so indexes built anywhere agree.
 */
import type { Hex } from '../core/types.ts';
import { wordsOf } from './words.ts';

export interface CorpusPassage {
  contributionId: Hex;
  passageIndex: number;
  text: string;
}

export const SEPARATOR_ID = 1;
export const FIRST_WORD_ID = 2;

export interface Corpus {
  passages: CorpusPassage[];
  /** id → word (ids < FIRST_WORD_ID are empty strings) */
  vocab: string[];
  wordIds: Map<string, number>;
  /** word ids of all passages, each passage followed by SEPARATOR_ID */
  text: Int32Array;
  /** start of passage p in `text`; passageStarts[passages.length] = text.length */
  passageStarts: Int32Array;
}

export function sortPassages(passages: readonly CorpusPassage[]): CorpusPassage[] {
  return [...passages].sort((a, b) => (a.contributionId < b.contributionId ? -1 : a.contributionId > b.contributionId ? 1 : a.passageIndex - b.passageIndex));
}

export function buildCorpus(passages: readonly CorpusPassage[], onProgress?: (done: number, total: number) => void): Corpus {
  const sorted = sortPassages(passages);
  const vocab: string[] = ['', ''];
  const wordIds = new Map<string, number>();
  const parts: number[][] = [];
  let length = 0;
  sorted.forEach((p, i) => {
    const ids = wordsOf(p.text).words.map((w) => {
      let id = wordIds.get(w);
      if (id === undefined) {
        id = vocab.length;
        vocab.push(w);
        wordIds.set(w, id);
      }
      return id;
    });
    parts.push(ids);
    length += ids.length + 1;
    if (onProgress && i % 256 === 0) onProgress(i, sorted.length);
  });
  const text = new Int32Array(length);
  const passageStarts = new Int32Array(sorted.length + 1);
  let at = 0;
  parts.forEach((ids, i) => {
    passageStarts[i] = at;
    text.set(ids, at);
    at += ids.length;
    text[at++] = SEPARATOR_ID;
  });
  passageStarts[sorted.length] = at;
  onProgress?.(sorted.length, sorted.length);
  return { passages: sorted, vocab, wordIds, text, passageStarts };
}

/** The passage holding text position `pos` (binary search over passage starts). */
export function passageAt(corpus: Pick<Corpus, 'passageStarts'>, pos: number): number {
  const s = corpus.passageStarts;
  let lo = 0;
  let hi = s.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (s[mid]! <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
