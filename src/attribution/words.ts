/**
 * The model-independent unit of every attribution index: a WORD of the normalised text. A word is a maximal
 * run of Unicode letters and digits; its form is NFKC + lower case. Everything else (spaces, punctuation,
 * symbols) only separates words. So the same text written by any model, with any tokenizer, in any casing
 * or spacing, gives the same words, and a suffix array over word ids serves every model's answers.
 */

const WORD = /[\p{L}\p{N}]+/gu;

export interface WordRun {
  /** normalised word forms */
  words: string[];
  /** UTF-16 offsets of each word in the original text: [starts[i], ends[i]) */
  starts: number[];
  ends: number[];
}

/** The normalised form of one word. */
export function normalizeWord(w: string): string {
  return w.normalize('NFKC').toLowerCase();
}

/** The words of `text` with their offsets in `text`. */
export function wordsOf(text: string): WordRun {
  const words: string[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  for (const m of text.matchAll(WORD)) {
    words.push(normalizeWord(m[0]));
    starts.push(m.index);
    ends.push(m.index + m[0].length);
  }
  return { words, starts, ends };
}

/** Words so common that sharing them says nothing about where an answer came from (BM25's IDF handles the rest). */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have he her his i if in into is it its ' +
    'me my no not of on or our she so than that the their them then there these they this those to too us was we were ' +
    'what when where which who whom why will with would you your yes'
  ).split(' '),
);
