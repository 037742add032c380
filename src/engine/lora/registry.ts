/**
 * The adapter registry: every installed adapter's metadata in memory (a `Map` by id — 1,000 or 100,000 cost only
 * their metadata), the weights in an `AdapterStore` that is read only when an adapter must be (re)loaded into a GPU
 * slot (`AdapterPool`). The app backs the store with IndexedDB/OPFS; `MemoryAdapterStore` is the in-memory one for
 * tests and the demo.
 *
 * @example
 * const registry = await AdapterRegistry.open(new MemoryAdapterStore(), model.config);
 * await registry.add(parsePeftAdapter(files, model.config, { name: 'legal-qa' }));
 * const pool = new AdapterPool(registry, modelSlotTarget(model, { maxRank: 16 }));
 */
import { TributaryError } from '../../core/errors.ts';
import type { LlamaConfig } from '../model/types.ts';
import { checkAdapterWeights, type AdapterMeta, type PeftAdapter } from './peft.ts';

/** Where adapters live (IndexedDB/OPFS in the app). `get` returns the adapter whose `meta.id` is `id`. */
export interface AdapterStore {
  get(id: string): Promise<PeftAdapter>;
  list(): Promise<AdapterMeta[]>;
}

/** A store the registry can also add to and delete from. */
export interface WritableAdapterStore extends AdapterStore {
  put(adapter: PeftAdapter): Promise<void>;
  delete(id: string): Promise<void>;
}

const isWritable = (s: AdapterStore): s is WritableAdapterStore =>
  typeof (s as Partial<WritableAdapterStore>).put === 'function' && typeof (s as Partial<WritableAdapterStore>).delete === 'function';

const notFound = (id: string): TributaryError =>
  new TributaryError('lora/not-found', `No adapter with id ${id} is installed; import it on the Adapters page first.`);

/** Adapters held in memory. */
export class MemoryAdapterStore implements WritableAdapterStore {
  private readonly byId = new Map<string, PeftAdapter>();
  /** how many times `get` ran (tests count loads with it) */
  gets = 0;

  constructor(adapters: Iterable<PeftAdapter> = []) {
    for (const a of adapters) this.byId.set(a.meta.id, a);
  }
  get(id: string): Promise<PeftAdapter> {
    this.gets++;
    const a = this.byId.get(id);
    return a ? Promise.resolve(a) : Promise.reject(notFound(id));
  }
  list(): Promise<AdapterMeta[]> {
    return Promise.resolve([...this.byId.values()].map((a) => a.meta));
  }
  put(adapter: PeftAdapter): Promise<void> {
    this.byId.set(adapter.meta.id, adapter);
    return Promise.resolve();
  }
  delete(id: string): Promise<void> {
    this.byId.delete(id);
    return Promise.resolve();
  }
}

export interface AdapterFilter {
  owner?: string;
  datanet?: string;
  baseModel?: string;
}

/** What an `AdapterPool` needs from a registry: weights by id, and (optionally) metadata and removal events. */
export interface AdapterLoader {
  load(id: string): Promise<PeftAdapter>;
  meta?(id: string): AdapterMeta;
  onRemove?(listener: (id: string) => void): () => void;
}

export class AdapterRegistry implements AdapterLoader {
  private readonly metas = new Map<string, AdapterMeta>();
  private readonly removeListeners = new Set<(id: string) => void>();
  /** store reads so far (each one is an adapter (re)load) */
  loads = 0;

  /**
   * @param store where the weights are
   * @param model when given, adapters added are checked against it (`lora/mismatch` for another base model)
   */
  constructor(
    readonly store: AdapterStore,
    readonly model?: LlamaConfig,
    metas: Iterable<AdapterMeta> = [],
  ) {
    for (const m of metas) this.metas.set(m.id, m);
  }

  /** A registry over everything `store.list()` returns. */
  static async open(store: AdapterStore, model?: LlamaConfig): Promise<AdapterRegistry> {
    return new AdapterRegistry(store, model, await store.list());
  }

  get size(): number {
    return this.metas.size;
  }

  has(id: string): boolean {
    return this.metas.has(id);
  }

  /** Metadata of an installed adapter (`lora/not-found` otherwise). O(1). */
  meta(id: string): AdapterMeta {
    const m = this.metas.get(id);
    if (!m) throw notFound(id);
    return m;
  }

  /** Installed adapters, in the order they were added, optionally filtered. */
  list(filter: AdapterFilter = {}): AdapterMeta[] {
    const out: AdapterMeta[] = [];
    for (const m of this.metas.values()) {
      if (filter.owner !== undefined && m.owner?.toLowerCase() !== filter.owner.toLowerCase()) continue;
      if (filter.datanet !== undefined && !m.datanets.includes(filter.datanet)) continue;
      if (filter.baseModel !== undefined && m.baseModel !== filter.baseModel) continue;
      out.push(m);
    }
    return out;
  }

  /** Installs an adapter (writes it to the store when the store is writable). Adding the same id again is a no-op. */
  async add(adapter: PeftAdapter): Promise<AdapterMeta> {
    const have = this.metas.get(adapter.meta.id);
    if (have) return have;
    if (this.model) checkAdapterWeights(adapter.weights, this.model);
    if (isWritable(this.store)) await this.store.put(adapter);
    this.metas.set(adapter.meta.id, adapter.meta);
    return adapter.meta;
  }

  /** Uninstalls an adapter; listeners (the pool) drop it first, so an adapter in use by a request cannot be removed. */
  async remove(id: string): Promise<void> {
    if (!this.metas.has(id)) throw notFound(id);
    for (const l of this.removeListeners) l(id);
    if (isWritable(this.store)) await this.store.delete(id);
    this.metas.delete(id);
  }

  /** Reads an adapter's weights from the store (checking the store returned the adapter asked for). */
  async load(id: string): Promise<PeftAdapter> {
    if (!this.metas.has(id)) throw notFound(id);
    this.loads++;
    const a = await this.store.get(id);
    if (a.meta.id !== id) throw new TributaryError('storage/failed', `The adapter store returned ${a.meta.id} when asked for ${id}; its data is corrupt. Import the adapter again.`);
    return a;
  }

  onRemove(listener: (id: string) => void): () => void {
    this.removeListeners.add(listener);
    return () => this.removeListeners.delete(listener);
  }
}
