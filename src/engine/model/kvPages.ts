/**
 * The paged KV cache's allocator: per layer one K and one V pool of `nPages × pageSize` rows of `kvDim`, grown on
 * demand up to `budgetPages` (a bigger pool per layer, the old rows copied over: pages keep their numbers). Sequences
 * own pages as they grow (token j of a sequence sits in page `pages[floor(j / pageSize)]`) and give them back here.
 */
import { TributaryError } from '../../core/errors.ts';
import type { Backend, Tensor } from '../backend.ts';

export interface KvPagesOptions {
  numLayers: number;
  numKvHeads: number;
  headDim: number;
  /** tokens per page (default 16) */
  pageSize?: number;
  /** the budget in bytes (default: room for 64 sequences of `maxSeq`, at most 256 MiB, at least one sequence) */
  bytes?: number;
  /** the default context of a sequence */
  maxSeq: number;
}

export class KvPages {
  readonly pageSize: number;
  readonly pageBytes: number;
  readonly budgetPages: number;
  nPages: number;
  kPool: Tensor[];
  vPool: Tensor[];
  /** free pages, the lowest on top */
  private freePages: number[];
  private readonly shape: { layers: number; nKv: number; hd: number; kvDim: number };

  constructor(
    private readonly b: Backend,
    o: KvPagesOptions,
  ) {
    const pageSize = o.pageSize ?? 16;
    if (!Number.isInteger(pageSize) || pageSize <= 0) throw new TributaryError('engine/bad-config', `The KV page size must be a positive whole number of tokens (got ${pageSize}).`);
    const kvDim = o.numKvHeads * o.headDim;
    const bytesPerToken = 2 * o.numLayers * kvDim * 4;
    const pageBytes = pageSize * bytesPerToken;
    const kvBudget = o.bytes ?? Math.max(o.maxSeq * bytesPerToken, Math.min(64 * o.maxSeq * bytesPerToken, 256 * 2 ** 20));
    const budgetPages = Math.floor(kvBudget / pageBytes);
    if (!(budgetPages >= 1)) {
      throw new TributaryError('engine/bad-config', `A KV cache budget of ${kvBudget} bytes holds no page of ${pageSize} tokens (${pageBytes} bytes); give it at least that.`);
    }
    this.pageSize = pageSize;
    this.pageBytes = pageBytes;
    this.budgetPages = budgetPages;
    this.shape = { layers: o.numLayers, nKv: o.numKvHeads, hd: o.headDim, kvDim };
    const nPages = Math.min(budgetPages, Math.ceil((2 * o.maxSeq) / pageSize));
    this.nPages = nPages;
    this.kPool = Array.from({ length: o.numLayers }, () => b.alloc([nPages * pageSize, o.numKvHeads, o.headDim]));
    this.vPool = Array.from({ length: o.numLayers }, () => b.alloc([nPages * pageSize, o.numKvHeads, o.headDim]));
    this.freePages = Array.from({ length: nPages }, (_, i) => nPages - 1 - i);
  }

  /** pages in use */
  get used(): number {
    return this.nPages - this.freePages.length;
  }

  /** grows the pool to hold at least `want` pages (doubling, capped at the budget); the caller checked the budget */
  private grow(want: number): void {
    const { b, pageSize, nPages } = this;
    const { layers, nKv, hd, kvDim } = this.shape;
    const n = Math.min(this.budgetPages, Math.max(want, 2 * nPages));
    const rows = n * pageSize;
    const k: Tensor[] = [];
    const v: Tensor[] = [];
    try {
      for (let li = 0; li < layers; li++) {
        k.push(b.alloc([rows, nKv, hd]));
        v.push(b.alloc([rows, nKv, hd]));
      }
    } catch (e) {
      for (const t of [...k, ...v]) b.dispose(t);
      throw e;
    }
    // enqueued in order: every write and attention before this sees the old pool, every one after the new
    for (let li = 0; li < layers; li++) {
      b.copyRows(this.kPool[li]!, 0, k[li]!, 0, nPages * pageSize, kvDim);
      b.copyRows(this.vPool[li]!, 0, v[li]!, 0, nPages * pageSize, kvDim);
      b.dispose(this.kPool[li]!);
      b.dispose(this.vPool[li]!);
    }
    this.kPool = k;
    this.vPool = v;
    // the new pages under the free ones left (those are used first), the lowest new one on top of them
    this.freePages = [...Array.from({ length: n - nPages }, (_, i) => n - 1 - i), ...this.freePages];
    this.nPages = n;
  }

  /** Gives back a sequence's pages beyond the first `keep`. */
  release(pages: number[], keep: number): void {
    while (pages.length > keep) this.freePages.push(pages.pop()!);
  }

  /**
   * Pages for every sequence to hold `length` tokens, all or nothing: `engine/kv-full` (nothing taken) when the budget
   * cannot hold them.
   */
  reserve(seqs: readonly { pages: number[]; length: number }[]): void {
    const { pageSize, budgetPages } = this;
    let needPages = 0;
    for (const s of seqs) needPages += Math.max(0, Math.ceil(s.length / pageSize) - s.pages.length);
    const free = this.freePages.length + (budgetPages - this.nPages);
    if (needPages > free) {
      const mib = (x: number): string => (x / 2 ** 20).toFixed(1);
      throw new TributaryError(
        'engine/kv-full',
        `The KV cache is full: this step needs ${needPages} more pages of ${pageSize} tokens, but only ${free} of the budget's ${budgetPages} (${mib(budgetPages * this.pageBytes)} MiB) are free; ` +
          'wait for a running conversation to finish, close idle ones, or load the model with a larger KV cache budget.',
      );
    }
    if (needPages > this.freePages.length) this.grow(this.nPages - this.freePages.length + needPages);
    for (const s of seqs) {
      const want = Math.ceil(s.length / pageSize);
      while (s.pages.length < want) s.pages.push(this.freePages.pop()!);
    }
  }

  /** The pools, for disposal. */
  tensors(): Tensor[] {
    return [...this.kPool, ...this.vPool];
  }
}
