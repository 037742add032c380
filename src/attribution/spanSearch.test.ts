import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildCorpus, type CorpusPassage } from './corpus.ts';
import { answerIds, findSpans, firstWordRanges, longestMatches, type SpanIndex } from './spanSearch.ts';
import { buildSuffixArray } from './suffixArray.ts';
import { wordsOf } from './words.ts';

const cid = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as const;

function indexOf(passages: CorpusPassage[]): SpanIndex {
  const corpus = buildCorpus(passages);
  return { corpus, sa: buildSuffixArray(corpus.text, corpus.vocab.length) };
}

/** Oracle: longest L such that answer words [i, i+L) occur contiguously inside one passage; and the count. */
function bruteLongest(passages: string[][], q: string[], i: number): { len: number; count: number } {
  let best = 0;
  let count = 0;
  for (let L = 1; i + L <= q.length; L++) {
    let c = 0;
    for (const p of passages) for (let s = 0; s + L <= p.length; s++) if (q.slice(i, i + L).every((w, k) => p[s + k] === w)) c++;
    if (c === 0) break;
    best = L;
    count = c;
  }
  return { len: best, count };
}

const WORDS = ['ash', 'bay', 'cove', 'dune', 'elm', 'fen'];
const sentence = fc.array(fc.constantFrom(...WORDS), { minLength: 0, maxLength: 25 }).map((w) => w.join(' '));

describe('span search', () => {
  it('longest match and count at every answer position equal a brute-force scan (property)', () => {
    fc.assert(
      fc.property(fc.array(sentence, { minLength: 1, maxLength: 6 }), sentence, (texts, answer) => {
        const index = indexOf(texts.map((text, k) => ({ contributionId: cid(k + 1), passageIndex: 0, text })));
        const passageWords = index.corpus.passages.map((p) => wordsOf(p.text).words);
        const q = wordsOf(answer).words;
        // with and without the first-word lookup table
        for (const ix of [index, { ...index, firstWord: firstWordRanges(index.corpus) }]) {
          const { len, lo, hi } = longestMatches(ix, answerIds(ix.corpus, q));
          q.forEach((_, i) => {
            const want = bruteLongest(passageWords, q, i);
            expect(len[i]).toBe(want.len);
            if (want.len > 0) expect(hi[i]! - lo[i]!).toBe(want.count);
          });
        }
      }),
      { numRuns: 400 },
    );
  });

  it('equals the brute-force scan where a passage is repeated many times and the answer copies long stretches (property)', () => {
    // many copies keep suffix-array ranges wide for many words (the galloping narrowing's fast path); answers
    // copied from a passage with edits probe both the wide and the shrinking cases
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 30 }),
        fc.array(sentence, { maxLength: 4 }),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(...WORDS, 'zzz')), { maxLength: 3 }),
        fc.nat(),
        (boiler, copies, others, edits, cut) => {
          const texts = [...Array.from({ length: copies }, () => boiler.join(' ')), ...others];
          const index = indexOf(texts.map((text, k) => ({ contributionId: cid(k + 1), passageIndex: 0, text })));
          const passageWords = index.corpus.passages.map((p) => wordsOf(p.text).words);
          const q = [...boiler.slice(cut % boiler.length), ...boiler];
          for (const [at, w] of edits) q[at % q.length] = w;
          const { len, lo, hi } = longestMatches({ ...index, firstWord: firstWordRanges(index.corpus) }, answerIds(index.corpus, q));
          q.forEach((_, i) => {
            const want = bruteLongest(passageWords, q, i);
            expect(len[i]).toBe(want.len);
            if (want.len > 0) expect(hi[i]! - lo[i]!).toBe(want.count);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps only maximal spans, never across passages, with their exact passages and answer offsets', () => {
    const index = indexOf([
      { contributionId: cid(1), passageIndex: 0, text: 'The Zorblat festival is held in Quenby Harbour every spring.' },
      { contributionId: cid(2), passageIndex: 0, text: 'The Zorblat festival is held in Lintwick every autumn.' },
      { contributionId: cid(2), passageIndex: 1, text: 'Quenby Harbour' },
    ]);
    const answer = 'Well: the Zorblat Festival is held in QUENBY harbour!';
    const spans = findSpans(index, answer, 'Where is the Zorblat festival held?');
    expect(spans).toHaveLength(1);
    const [s] = spans;
    expect(answer.slice(s!.answerStart, s!.answerEnd)).toBe('the Zorblat Festival is held in QUENBY harbour');
    expect(s!.count).toBe(1);
    expect(index.corpus.passages[s!.occurrences[0]!.passage]!.contributionId).toBe(cid(1));
  });

  it('drops spans that are too short, only stop words, or too common', () => {
    const common = Array.from({ length: 12 }, (_, k) => ({ contributionId: cid(k + 1), passageIndex: 0, text: `green valley number${k}` }));
    const index = indexOf(common);
    expect(findSpans(index, 'the green valley')).toEqual([]); // 12 occurrences > maxCount
    expect(findSpans(index, 'number3 is')).toEqual([]); // one word matches
    expect(findSpans(index, 'valley number3').map((s) => s.count)).toEqual([1]);
  });

  it('weighs words echoed from the prompt less than words the answer brings', () => {
    const index = indexOf([{ contributionId: cid(1), passageIndex: 0, text: 'ash bay cove dune' }]);
    const fresh = findSpans(index, 'ash bay cove dune', '')[0]!.weight;
    const echoed = findSpans(index, 'ash bay cove dune', 'ash bay cove')[0]!.weight;
    expect(echoed).toBeLessThan(fresh);
  });
});
