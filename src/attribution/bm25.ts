/**
 * BM25 over passages (Robertson & Zaragoza): score(q, p) = Σ_t qw(t) · idf(t) · tf(t,p)·(k1+1) /
 * (tf(t,p) + k1·(1 − b + b·|p|/avgdl)), idf(t) = ln(1 + (N − df + 0.5)/(df + 0.5)). Terms are the words of
 * the normalised text (words.ts). `qw(t)` lets the caller weigh query terms (attribution weighs words the
 * answer echoes from the prompt less than words the answer brought).
 */
import { wordsOf } from './words.ts';

export interface Bm25Params {
  k1: number;
  b: number;
}

export const DEFAULT_BM25: Bm25Params = { k1: 1.2, b: 0.75 };

export interface Bm25Index {
  params: Bm25Params;
  /** number of passages */
  n: number;
  avgdl: number;
  lengths: Int32Array;
  /** term → postings: passage ids and term frequencies */
  postings: Map<string, { ids: Int32Array; tfs: Int32Array }>;
}

export function buildBm25(passages: readonly string[], params: Bm25Params = DEFAULT_BM25): Bm25Index {
  const lengths = new Int32Array(passages.length);
  const lists = new Map<string, { ids: number[]; tfs: number[] }>();
  let total = 0;
  passages.forEach((text, p) => {
    const words = wordsOf(text).words;
    lengths[p] = words.length;
    total += words.length;
    const tf = new Map<string, number>();
    for (const w of words) tf.set(w, (tf.get(w) ?? 0) + 1);
    for (const [w, f] of tf) {
      let l = lists.get(w);
      if (!l) lists.set(w, (l = { ids: [], tfs: [] }));
      l.ids.push(p);
      l.tfs.push(f);
    }
  });
  const postings = new Map<string, { ids: Int32Array; tfs: Int32Array }>();
  for (const [w, l] of lists) postings.set(w, { ids: Int32Array.from(l.ids), tfs: Int32Array.from(l.tfs) });
  return { params, n: passages.length, avgdl: passages.length ? total / passages.length : 0, lengths, postings };
}

export function bm25Idf(index: Bm25Index, term: string): number {
  const df = index.postings.get(term)?.ids.length ?? 0;
  return Math.log(1 + (index.n - df + 0.5) / (df + 0.5));
}

/** BM25 score of every passage for the query terms (each distinct term once, weighted by `weight(term)`). */
export function bm25Scores(index: Bm25Index, queryTerms: readonly string[], weight: (term: string) => number = () => 1): Float64Array {
  const scores = new Float64Array(index.n);
  const { k1, b } = index.params;
  for (const t of new Set(queryTerms)) {
    const post = index.postings.get(t);
    if (!post) continue;
    const w = weight(t) * bm25Idf(index, t);
    if (w === 0) continue;
    for (let k = 0; k < post.ids.length; k++) {
      const p = post.ids[k]!;
      const tf = post.tfs[k]!;
      scores[p]! += (w * (tf * (k1 + 1))) / (tf + k1 * (1 - b + (b * index.lengths[p]!) / index.avgdl));
    }
  }
  return scores;
}
