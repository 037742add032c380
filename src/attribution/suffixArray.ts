/**
 * Suffix arrays over integer texts by SA-IS (Nong, Zhang & Chan 2009: induced sorting of LMS substrings,
 * recursion on their names), linear time, in typed arrays. Written from the paper's description.
 *
 * `text` holds integers in [1, alphabetSize); the builder appends the unique smallest sentinel 0 itself.
 * Also an O(n) checker (Burkhardt & Kärkkäinen's rank test) so a suffix array that arrives in a pack is
 * verified without re-sorting.
 */

const S = 1;
const L = 0;

function buckets(T: Int32Array, K: number, ends: boolean): Int32Array {
  const b = new Int32Array(K);
  for (let i = 0; i < T.length; i++) b[T[i]!]!++;
  let sum = 0;
  for (let c = 0; c < K; c++) {
    sum += b[c]!;
    b[c] = ends ? sum : sum - b[c]!;
  }
  return b;
}

function induce(T: Int32Array, SA: Int32Array, t: Uint8Array, K: number): void {
  const n = T.length;
  let b = buckets(T, K, false);
  for (let i = 0; i < n; i++) {
    const j = SA[i]! - 1;
    if (j >= 0 && t[j] === L) SA[b[T[j]!]!++] = j;
  }
  b = buckets(T, K, true);
  for (let i = n - 1; i >= 0; i--) {
    const j = SA[i]! - 1;
    if (j >= 0 && t[j] === S) SA[--b[T[j]!]!] = j;
  }
}

/** SA-IS on T whose last symbol is the unique smallest (0); symbols < K. */
function sais(T: Int32Array, K: number): Int32Array {
  const n = T.length;
  const SA = new Int32Array(n);
  if (n === 1) return SA;
  const t = new Uint8Array(n);
  t[n - 1] = S;
  for (let i = n - 2; i >= 0; i--) t[i] = T[i]! < T[i + 1]! || (T[i] === T[i + 1] && t[i + 1] === S) ? S : L;
  const isLms = (i: number): boolean => i > 0 && t[i] === S && t[i - 1] === L;

  // 1. LMS suffixes at their bucket ends, then induce: sorts the LMS substrings
  SA.fill(-1);
  let b = buckets(T, K, true);
  for (let i = 1; i < n; i++) if (isLms(i)) SA[--b[T[i]!]!] = i;
  induce(T, SA, t, K);

  // 2. name the sorted LMS substrings
  let n1 = 0;
  for (let i = 0; i < n; i++) if (isLms(SA[i]!)) SA[n1++] = SA[i]!;
  const names = new Int32Array(n).fill(-1);
  let name = 0;
  let prev = -1;
  for (let i = 0; i < n1; i++) {
    const pos = SA[i]!;
    let diff = prev < 0;
    for (let d = 0; !diff; d++) {
      if (T[pos + d] !== T[prev + d] || t[pos + d] !== t[prev + d]) diff = true;
      else if (d > 0 && (isLms(pos + d) || isLms(prev + d))) break;
    }
    if (diff) {
      name++;
      prev = pos;
    }
    names[pos] = name - 1;
  }
  const lmsPos = new Int32Array(n1);
  const s1 = new Int32Array(n1);
  for (let i = 1, j = 0; i < n; i++) {
    if (isLms(i)) {
      lmsPos[j] = i;
      s1[j++] = names[i]!;
    }
  }

  // 3. sort the LMS suffixes (recursively when names repeat)
  let SA1: Int32Array;
  if (name < n1) SA1 = sais(s1, name);
  else {
    SA1 = new Int32Array(n1);
    for (let i = 0; i < n1; i++) SA1[s1[i]!] = i;
  }

  // 4. induce the whole suffix array from the sorted LMS suffixes
  SA.fill(-1);
  b = buckets(T, K, true);
  for (let i = n1 - 1; i >= 0; i--) {
    const j = lmsPos[SA1[i]!]!;
    SA[--b[T[j]!]!] = j;
  }
  induce(T, SA, t, K);
  return SA;
}

/**
 * The suffix array of `text` (symbols in [1, alphabetSize)): positions 0..n-1 in lexicographic order of
 * their suffixes (a shorter suffix that is a prefix of a longer one comes first).
 */
export function buildSuffixArray(text: Int32Array, alphabetSize: number): Int32Array {
  const n = text.length;
  if (n === 0) return new Int32Array(0);
  const T = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const c = text[i]!;
    if (c < 1 || c >= alphabetSize) throw new RangeError(`symbol ${c} at ${i} is outside [1, ${alphabetSize})`);
    T[i] = c;
  }
  T[n] = 0;
  return sais(T, alphabetSize).subarray(1);
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
