/**
 * Suffix arrays over integer texts by SA-IS (Nong, Zhang & Chan 2009: induced sorting of LMS substrings,
 * recursion on their names), linear time, written from the paper's description with the usual constant-factor
 * refinements, each chosen because it removes a cache miss per suffix on large texts:
 *
 * - no type array: while inducing, the type of `j - 1` follows from `T[j - 1]`, `T[j]` and what is known about
 *   `j` (in the L-scan every scanned suffix is L or LMS; in the S-scan a suffix at slot i of bucket c is S-type
 *   exactly when i is at or right of c's moving S pointer);
 * - LMS suffixes found by the first induce are marked by their sign, so collecting them needs no test;
 * - LMS substrings are named by comparing their symbols over a stored length (two LMS substrings of equal
 *   length and symbols are equal, types included), the lengths and names kept in the free half of SA;
 * - the reduced text and the recursion's SA live inside SA itself (at most n/2 LMS suffixes), so the whole
 *   build allocates one SA, one copy of the text and one bucket array per level.
 *
 * `text` holds integers in [1, alphabetSize); the builder appends the unique smallest sentinel 0 itself.
 * Also an O(n) checker (Burkhardt & Kärkkäinen's rank test) so a suffix array that arrives in a pack is
 * verified without re-sorting.
 */

const EMPTY = -1;

/** counts[c] = occurrences of c in T */
function countSymbols(T: Int32Array, K: number): Int32Array {
  const counts = new Int32Array(K);
  for (let i = 0; i < T.length; i++) counts[T[i]!]!++;
  return counts;
}

function bucketStarts(counts: Int32Array, b: Int32Array): void {
  let sum = 0;
  for (let c = 0; c < counts.length; c++) {
    b[c] = sum;
    sum += counts[c]!;
  }
}

function bucketEnds(counts: Int32Array, b: Int32Array): void {
  let sum = 0;
  for (let c = 0; c < counts.length; c++) {
    sum += counts[c]!;
    b[c] = sum;
  }
}

/**
 * Calls `visit(p)` for every LMS position p (S-type with an L-type predecessor) from right to left; the
 * sentinel n-1 is one. Types are computed on the fly from right to left.
 */
function forEachLmsRightToLeft(T: Int32Array, visit: (p: number) => void): void {
  const n = T.length;
  let nextIsS = true; // type of i + 1; the sentinel is S
  let next = T[n - 1]!;
  for (let i = n - 2; i >= 0; i--) {
    const c = T[i]!;
    const isS: boolean = c < next || (c === next && nextIsS);
    if (!isS && nextIsS) visit(i + 1);
    nextIsS = isS;
    next = c;
  }
}

/**
 * Induced sorting from the LMS suffixes already at their bucket ends (everything else EMPTY): the L-scan,
 * then the S-scan. With `markLms` the S-scan stores LMS suffixes as ~p (all other entries stay p).
 */
function induce(T: Int32Array, SA: Int32Array, counts: Int32Array, b: Int32Array, markLms: boolean): void {
  const n = T.length;
  bucketStarts(counts, b);
  // L-scan: a scanned j is L-type or LMS, so j - 1 is L-type exactly when T[j-1] >= T[j]
  for (let i = 0; i < n; i++) {
    const j = SA[i]!;
    if (j <= 0) continue;
    const c0 = T[j - 1]!;
    if (c0 >= T[j]!) SA[b[c0]!++] = j - 1;
  }
  bucketEnds(counts, b);
  // S-scan: j at slot i is S-type exactly when i >= b[T[j]] (its bucket's S part filled so far); j - 1 is S-type
  // when T[j-1] < T[j], or when they are equal and j is S-type
  for (let i = n - 1; i >= 0; i--) {
    const j = SA[i]!;
    if (j <= 0) continue;
    const c0 = T[j - 1]!;
    const c1 = T[j]!;
    if (c0 < c1 || (c0 === c1 && i >= b[c1]!)) {
      const p = j - 1;
      // p is LMS when its predecessor is L-type: T[p-1] > T[p] (p - 1 >= 0), since p itself is S-type
      SA[--b[c0]!] = markLms && p > 0 && T[p - 1]! > c0 ? ~p : p;
    }
  }
}

/**
 * SA-IS: writes into SA (length n) the suffix array of T (length n) whose last symbol is the unique smallest
 * (0); symbols < K. SA and T must not overlap.
 */
/**
 * How the reduced problem (the LMS suffixes, as a text of names) is sorted: by SA-IS recursion, by prefix doubling
 * over the repeated names only, or `auto` (doubling when few names repeat, recursion when doubling runs over its
 * work budget). The result is the same; tests force each path.
 */
export type ReducedSort = 'auto' | 'recursion' | 'doubling';

/**
 * Sorts the suffixes of `s` (symbols < K, the last one the unique smallest) into `sa` by prefix doubling that only
 * touches suffixes still tied: counting sort by the first symbol, then rounds in which each tied group is sorted by
 * the rank of the suffix h symbols further (h = 1, 2, 4, …) and split. With names that are nearly all distinct
 * (natural text at the top level: 99.97% on the synthetic Datanet) one or two rounds over a few thousand suffixes
 * replace a whole recursion level whose bucket array is as large as the text (a cache miss per access). Returns false,
 * `sa` unspecified and `s` untouched, as soon as the tied suffixes processed exceed `budget`.
 */
function sortByDoubling(s: Int32Array, sa: Int32Array, K: number, budget: number): boolean {
  const n = s.length;
  const start = new Int32Array(K + 1);
  for (let i = 0; i < n; i++) start[s[i]! + 1]!++;
  for (let c = 0; c < K; c++) start[c + 1]! += start[c]!;
  // rank = start of the suffix's group in sa (groups by the first h symbols)
  const rank = new Int32Array(n);
  const next = start.slice();
  for (let i = 0; i < n; i++) {
    const c = s[i]!;
    rank[i] = start[c]!;
    sa[next[c]!++] = i;
  }
  // tied groups as [start, length] pairs
  let groups: number[] = [];
  let tiedAtFirst = 0;
  for (let c = 0; c < K; c++) {
    const len = start[c + 1]! - start[c]!;
    if (len > 1) {
      groups.push(start[c]!, len);
      tiedAtFirst += len;
    }
  }
  // at least two rounds are likely: give up before sorting anything when they would not fit
  if (2 * tiedAtFirst > budget) return false;
  let work = 0;
  for (let h = 1; groups.length > 0; h *= 2) {
    // sort every group by the rank h further on (i + h < n: a tied suffix is longer than h, else it would hold the
    // unique last symbol within its first h symbols), then note the splits; ranks change only after all are sorted
    const splits: number[] = [];
    for (let g = 0; g < groups.length; g += 2) {
      const from = groups[g]!;
      const len = groups[g + 1]!;
      work += len;
      if (work > budget) return false;
      const members = sa.subarray(from, from + len);
      members.sort((a, b) => rank[a + h]! - rank[b + h]!);
      let runStart = 0;
      for (let k = 1; k <= len; k++) {
        if (k === len || rank[members[k]! + h] !== rank[members[k - 1]! + h]) {
          splits.push(from + runStart, k - runStart);
          runStart = k;
        }
      }
    }
    const tied: number[] = [];
    for (let x = 0; x < splits.length; x += 2) {
      const from = splits[x]!;
      const len = splits[x + 1]!;
      for (let k = from; k < from + len; k++) rank[sa[k]!] = from;
      if (len > 1) tied.push(from, len);
    }
    groups = tied;
  }
  return true;
}

function sais(T: Int32Array, SA: Int32Array, K: number, reducedSort: ReducedSort): void {
  const n = T.length;
  if (n === 1) {
    SA[0] = 0;
    return;
  }
  const counts = countSymbols(T, K);
  const b = new Int32Array(K);

  // 1. LMS suffixes at their bucket ends in text order, then induce: sorts the LMS substrings
  SA.fill(EMPTY);
  bucketEnds(counts, b);
  forEachLmsRightToLeft(T, (p) => {
    SA[--b[T[p]!]!] = p;
  });
  induce(T, SA, counts, b, true);

  // 2. the sorted LMS suffixes to SA[0..n1): the sentinel first (alone in bucket 0), then the marked ones
  let n1 = 1;
  SA[0] = n - 1;
  for (let i = 1; i < n; i++) {
    const j = SA[i]!;
    if (j < EMPTY) SA[n1++] = ~j;
  }
  // each LMS substring's length (up to and including the next LMS symbol) at SA[n1 + (p >> 1)]: LMS positions
  // are at least 2 apart and n1 <= n/2, so these slots are distinct and inside SA
  SA.fill(0, n1);
  let nextLms = n - 1;
  SA[n1 + ((n - 1) >> 1)] = 1;
  forEachLmsRightToLeft(T, (p) => {
    if (p === n - 1) return;
    SA[n1 + (p >> 1)] = nextLms - p + 1;
    nextLms = p;
  });
  // name them in sorted order (name + 1 stored, 0 = no LMS there); equal length and symbols = equal substring
  let names = 0;
  let prev = -1;
  let prevLen = 0;
  for (let i = 0; i < n1; i++) {
    const p = SA[i]!;
    const len = SA[n1 + (p >> 1)]!;
    let same = prev >= 0 && len === prevLen;
    for (let d = 0; same && d < len; d++) if (T[p + d] !== T[prev + d]) same = false;
    if (!same) names++;
    prev = p;
    prevLen = len;
    SA[n1 + (p >> 1)] = names;
  }
  // the reduced text (names in text order) to SA[n-n1..n)
  for (let i = n - 1, j = n; i >= n1; i--) {
    const v = SA[i]!;
    if (v > 0) SA[--j] = v - 1;
  }
  const s1 = SA.subarray(n - n1);
  const sa1 = SA.subarray(0, n1);

  // 3. sort the LMS suffixes: the names are the ranks when all differ; else by doubling over the repeated ones when
  // that stays cheap (at most n1/8 tied suffixes sorted over all rounds, each sort O(g log g)), else recursively
  if (names === n1) for (let i = 0; i < n1; i++) sa1[s1[i]!] = i;
  else {
    const budget = reducedSort === 'doubling' ? Infinity : reducedSort === 'auto' ? n1 / 8 : -1;
    if (!(budget >= 0 && sortByDoubling(s1, sa1, names, budget))) sais(s1, sa1, names, reducedSort);
  }

  // 4. LMS positions in text order replace the reduced text; map the sorted ranks to positions
  let k = n1;
  forEachLmsRightToLeft(T, (p) => {
    s1[--k] = p;
  });
  for (let i = 0; i < n1; i++) sa1[i] = s1[sa1[i]!]!;
  SA.fill(EMPTY, n1);
  // to their bucket ends, largest first (a target slot is never left of its source, so nothing is overwritten)
  bucketEnds(counts, b);
  for (let i = n1 - 1; i >= 0; i--) {
    const p = SA[i]!;
    SA[i] = EMPTY;
    SA[--b[T[p]!]!] = p;
  }
  induce(T, SA, counts, b, false);
}

/**
 * The suffix array of `text` (symbols in [1, alphabetSize)): positions 0..n-1 in lexicographic order of
 * their suffixes (a shorter suffix that is a prefix of a longer one comes first).
 */
export function buildSuffixArray(text: Int32Array, alphabetSize: number, reducedSort: ReducedSort = 'auto'): Int32Array {
  const n = text.length;
  if (n === 0) return new Int32Array(0);
  const T = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const c = text[i]!;
    if (!(c >= 1 && c < alphabetSize)) throw new RangeError(`symbol ${c} at ${i} is outside [1, ${alphabetSize})`);
    T[i] = c;
  }
  T[n] = 0;
  const SA = new Int32Array(n + 1);
  sais(T, SA, alphabetSize, reducedSort);
  return SA.subarray(1);
}
/**
 * True when `sa` is exactly the suffix array of `text`, in O(n): a permutation of 0..n-1 whose neighbours
 * are in order by their first symbol, and by the rank of the rest where first symbols tie.
 */
export function isSuffixArrayOf(sa: Int32Array, text: Int32Array): boolean {
  const n = text.length;
  if (sa.length !== n) return false;
  const rank = new Int32Array(n + 1).fill(-1);
  for (let i = 0; i < n; i++) {
    const p = sa[i]!;
    if (!(p >= 0 && p < n) || rank[p] !== -1) return false;
    rank[p] = i;
  }
  rank[n] = -1; // the empty suffix sorts first
  for (let i = 0; i + 1 < n; i++) {
    const a = sa[i]!;
    const b = sa[i + 1]!;
    if (text[a]! > text[b]!) return false;
    if (text[a] === text[b] && rank[a + 1]! >= rank[b + 1]!) return false;
  }
  return true;
}
