import { TributaryError } from '../../core/errors.ts';

const textEncoder = new TextEncoder();

/** Options of a byte-level BPE model (the `model` object of an HF `tokenizer.json` of type `BPE`). */
export interface BpeOptions {
  /** token -> id */
  vocab: ReadonlyMap<string, number>;
  /** merges in rank order (rank = index), each as the two token strings */
  merges: ReadonlyArray<readonly [string, string]>;
  /** when the whole word is a vocabulary entry, emit it without merging (Llama 3 sets this) */
  ignoreMerges?: boolean;
  /** id emitted for a symbol missing from the vocabulary; when absent the symbol is dropped (as HF does) */
  unkId?: number;
  /** consecutive unknown symbols become one `unkId` (HF `fuse_unk`) */
  fuseUnk?: boolean;
  /**
   * a character missing from the vocabulary becomes the tokens `<0xXX>` of its UTF-8 bytes (HF `byte_fallback`,
   * SentencePiece-style BPE: Llama 2, TinyLlama, Mistral); when one of those is missing too, `unkId` is used
   */
  byteFallback?: boolean;
  /** words of at most this many UTF-16 units are cached (default 256) */
  maxCachedWordLength?: number;
  /** the cache is cleared once it holds this many words (default 50,000) */
  cacheCapacity?: number;
  /** words of up to this many symbols use the quadratic scan, longer ones a heap (default 24; for tests) */
  scanLimit?: number;
}


/**
 * Byte Pair Encoding by merge rank, with the same tie-breaking as HF `tokenizers` (lowest rank first,
 * then leftmost position). Merges are stored in an open-addressing hash table keyed by the two
 * token ids, so merging a word never builds strings.
 */
export class BpeModel {
  private readonly vocab: ReadonlyMap<string, number>;
  private readonly ignoreMerges: boolean;
  private readonly unkId: number | undefined;
  private readonly fuseUnk: boolean;
  /** byte -> id of its `<0xXX>` token (-1: none); empty without byte fallback */
  private readonly byteIds: Int32Array;
  private readonly maxCached: number;
  private readonly cacheCapacity: number;
  private readonly scanLimit: number;
  private readonly cache = new Map<string, Int32Array>();
  // merge table: (a, b) -> (rank, merged id)
  private readonly mask: number;
  private readonly keyA: Int32Array;
  private readonly keyB: Int32Array;
  private readonly rankOf: Int32Array;
  private readonly mergedOf: Int32Array;
  /** char code -> id for single-character tokens (byte-level characters are all below 0x180) */
  private readonly charIds: Int32Array;

  constructor(opts: BpeOptions) {
    this.vocab = opts.vocab;
    this.ignoreMerges = opts.ignoreMerges ?? false;
    this.unkId = opts.unkId;
    this.fuseUnk = opts.fuseUnk ?? false;
    this.byteIds = new Int32Array(opts.byteFallback ? 256 : 0).fill(-1);
    for (let b = 0; b < this.byteIds.length; b++) {
      this.byteIds[b] = this.vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`) ?? -1;
    }
    this.maxCached = opts.maxCachedWordLength ?? 256;
    this.cacheCapacity = opts.cacheCapacity ?? 50_000;
    this.scanLimit = opts.scanLimit ?? 24;

    let cap = 16;
    while (cap < opts.merges.length * 2) cap *= 2;
    this.mask = cap - 1;
    this.keyA = new Int32Array(cap).fill(-1);
    this.keyB = new Int32Array(cap);
    this.rankOf = new Int32Array(cap);
    this.mergedOf = new Int32Array(cap);
    opts.merges.forEach(([a, b], rank) => {
      const ia = this.vocab.get(a);
      const ib = this.vocab.get(b);
      const im = this.vocab.get(a + b);
      if (ia === undefined || ib === undefined || im === undefined) {
        const missing = ia === undefined ? a : ib === undefined ? b : a + b;
        throw new TributaryError(
          'tokenizer/invalid',
          `merge ${rank} ("${a} ${b}") uses the token "${missing}", which is not in the vocabulary. The tokenizer.json is inconsistent; use the model's original file.`,
          'tokenizer.json',
        );
      }
      let h = this.hash(ia, ib);
      while (this.keyA[h] !== -1) {
        if (this.keyA[h] === ia && this.keyB[h] === ib) break; // a repeated merge takes its last rank, as in HF
        h = (h + 1) & this.mask;
      }
      this.keyA[h] = ia;
      this.keyB[h] = ib;
      this.rankOf[h] = rank;
      this.mergedOf[h] = im;
    });

    this.charIds = new Int32Array(0x200).fill(-1);
    for (const [tok, id] of this.vocab) {
      if (tok.length === 1 && tok.charCodeAt(0) < 0x200) this.charIds[tok.charCodeAt(0)] = id;
    }
  }

  private hash(a: number, b: number): number {
    return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77)) & this.mask;
  }

  /** Slot of the merge (a, b) in the table, or -1. */
  private find(a: number, b: number): number {
    let h = this.hash(a, b);
    for (;;) {
      const k = this.keyA[h]!;
      if (k === -1) return -1;
      if (k === a && this.keyB[h] === b) return h;
      h = (h + 1) & this.mask;
    }
  }

  /** Rank of merging tokens `a` and `b`, or -1 when they do not merge. */
  mergeRank(a: number, b: number): number {
    const s = this.find(a, b);
    return s < 0 ? -1 : this.rankOf[s]!;
  }

  /** Token ids of one pre-tokenized word (already in the byte-level alphabet). */
  encodeWord(word: string): Int32Array {
    const cached = this.cache.get(word);
    if (cached) return cached;
    const ids = this.encodeUncached(word);
    if (word.length <= this.maxCached) {
      if (this.cache.size >= this.cacheCapacity) this.cache.clear();
      this.cache.set(word, ids);
    }
    return ids;
  }

  /** Drops every cached word (memory). */
  clearCache(): void {
    this.cache.clear();
  }

  private encodeUncached(word: string): Int32Array {
    if (this.ignoreMerges) {
      const id = this.vocab.get(word);
      if (id !== undefined) return Int32Array.of(id);
    }
    const syms: number[] = [];
    let lastWasUnk = false;
    for (const ch of word) {
      const code = ch.length === 1 ? ch.charCodeAt(0) : -1;
      let id = code >= 0 && code < 0x200 ? this.charIds[code]! : -1;
      if (id < 0) id = this.vocab.get(ch) ?? -1;
      if (id >= 0) {
        syms.push(id);
        lastWasUnk = false;
        continue;
      }
      if (this.byteIds.length > 0) {
        const bytes = textEncoder.encode(ch);
        let all = true;
        for (const b of bytes) if (this.byteIds[b]! < 0) all = false;
        if (all) {
          for (const b of bytes) syms.push(this.byteIds[b]!);
          lastWasUnk = false;
          continue;
        }
      }
      if (this.unkId !== undefined && !(this.fuseUnk && lastWasUnk)) syms.push(this.unkId);
      // without an unk token the symbol is dropped, as HF does
      lastWasUnk = this.unkId !== undefined;
    }
    if (syms.length < 2) return Int32Array.from(syms);
    return syms.length <= this.scanLimit ? this.mergeScan(syms) : this.mergeHeap(syms);
  }

  /** Repeatedly merges the lowest-ranked (then leftmost) adjacent pair. O(n^2); best for short words. */
  private mergeScan(syms: number[]): Int32Array {
    let n = syms.length;
    const s = Int32Array.from(syms);
    for (;;) {
      let bestRank = 0x7fffffff;
      let bestPos = -1;
      let bestMerged = -1;
      for (let i = 0; i + 1 < n; i++) {
        const slot = this.find(s[i]!, s[i + 1]!);
        if (slot >= 0 && this.rankOf[slot]! < bestRank) {
          bestRank = this.rankOf[slot]!;
          bestPos = i;
          bestMerged = this.mergedOf[slot]!;
        }
      }
      if (bestPos < 0) break;
      s[bestPos] = bestMerged;
      s.copyWithin(bestPos + 1, bestPos + 2, n);
      n--;
      if (n === 1) break;
    }
    return s.slice(0, n);
  }

  /** The same merges with a binary heap over (rank, position) and a linked list: O(n log n). */
  private mergeHeap(syms: number[]): Int32Array {
    const n = syms.length;
    const ids = Int32Array.from(syms);
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const alive = new Uint8Array(n).fill(1);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new MinHeap();
    const SHIFT = 4294967296; // key = rank * 2^32 + position: exact in a double for rank < 2^20
    const push = (i: number): void => {
      const j = next[i]!;
      if (j < 0) return;
      const r = this.mergeRank(ids[i]!, ids[j]!);
      if (r >= 0) heap.push(r * SHIFT + i);
    };
    for (let i = 0; i + 1 < n; i++) push(i);
    while (heap.size > 0) {
      const key = heap.pop();
      const rank = Math.floor(key / SHIFT);
      const i = key - rank * SHIFT;
      if (!alive[i]) continue;
      const j = next[i]!;
      if (j < 0) continue;
      const slot = this.find(ids[i]!, ids[j]!);
      if (slot < 0 || this.rankOf[slot] !== rank) continue; // stale entry
      ids[i] = this.mergedOf[slot]!;
      alive[j] = 0;
      const k = next[j]!;
      next[i] = k;
      if (k >= 0) prev[k] = i;
      if (prev[i]! >= 0) push(prev[i]!);
      push(i);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]!) out.push(ids[i]!);
    return Int32Array.from(out);
  }
}

/** A binary min-heap of numbers. */
class MinHeap {
  private a = new Float64Array(64);
  size = 0;

  push(v: number): void {
    if (this.size === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    const a = this.a;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= v) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = v;
  }

  pop(): number {
    const a = this.a;
    const top = a[0]!;
    const last = a[--this.size]!;
    let i = 0;
    const n = this.size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && a[r]! < a[l]! ? r : l;
      if (a[c]! >= last) break;
      a[i] = a[c]!;
      i = c;
    }
    if (n > 0) a[i] = last;
    return top;
  }
}
