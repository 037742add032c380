import type { Address, Hex } from '../core/types.ts';

/** A previewed source kept in memory (never written) until `submitContributions` signs and stores it. */
export interface PreviewEntry {
  previewId: string;
  datanetId: string;
  contributor: Address;
  title: string;
  mediaType: string;
  sourceBytes: number;
  textHash: Hex;
  /** Every passage of the normalised text (duplicates are re-checked, and left out, at submission). */
  /** `hash`: exact text (signed via chunksHash); `dedupeHash`: case/whitespace-insensitive, for duplicate checks. */
  chunks: { index: number; start: number; end: number; text: string; hash: Hex; dedupeHash: Hex }[];
  minhash: number[];
  createdAt: number;
}

/** Previews older than this are forgotten (the user previews again). */
export const PREVIEW_TTL_MS = 6 * 60 * 60 * 1000;
/** At most this many previews are kept; the oldest go first. */
export const PREVIEW_MAX = 500;

/** An in-memory, bounded map of previews by id. */
export class PreviewStore {
  readonly #entries = new Map<string, PreviewEntry>();

  put(entry: PreviewEntry, now: number): void {
    this.#evict(now);
    this.#entries.set(entry.previewId, entry);
    while (this.#entries.size > PREVIEW_MAX) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  get(previewId: string, now: number): PreviewEntry | undefined {
    this.#evict(now);
    return this.#entries.get(previewId);
  }

  delete(previewId: string): void {
    this.#entries.delete(previewId);
  }

  get size(): number {
    return this.#entries.size;
  }

  #evict(now: number): void {
    for (const [id, e] of this.#entries) {
      if (now - e.createdAt <= PREVIEW_TTL_MS) break; // insertion order = age order
      this.#entries.delete(id);
    }
  }
}
