/**
 * The GPU-resident adapter pool (OpenLoRA): a fixed number of LoRA slots on the device — one backend `LoraPool` per
 * (layer, target module), each with `nSlots` slots of rank ≤ `maxRank` — shared by any number of registered adapters,
 * under a byte budget, with LRU eviction and just-in-time loading. The base model is never touched: switching adapters
 * only rewrites one slot.
 *
 * - `acquire(ids)` pins the adapters a batch needs and returns their slots. A resident adapter is a hit: a `Map`
 *   lookup and a move to the LRU tail, O(1) whatever the number of registered adapters. A non-resident one is a miss:
 *   it takes a free slot or evicts the least recently used unpinned adapter, reads the weights from the registry's
 *   store and uploads them into the slot — one upload. Concurrent acquires of the same adapter share one load.
 * - `release(ids)` unpins them (once per `acquire`). Pinned adapters are never evicted; a batch that needs more
 *   adapters than there are slots, or finds every slot pinned, is refused with `lora/pool-full` (nothing stays pinned).
 * - Zero padding: a slot reserves `maxRank` rows of A and columns of B for every targeted module of every layer. An
 *   adapter of rank r < maxRank fills the first r; the rest of the slot is unused (zeros, in effect): the slot costs
 *   the same device bytes for any rank (`stats().slotBytes` = bytes per resident adapter), while the kernels read only
 *   r rows (the slot records its rank), so padding costs no compute and the result is exactly the rank-r adapter's.
 *   A module the adapter does not target gets rank 0 in that slot (no work). Rank > maxRank is refused
 *   (`engine/lora-slot`) before anything is evicted.
 *
 * Slots live either in a model (`modelSlotTarget`, what `model.forward` reads: rows pass the slot as `adapterSlot`) or
 * in standalone backend pools (`backendSlotTarget`, for callers driving `backend.loraApply` themselves).
 *
 * @example
 * const model = createModel(backend, config, weights, { lora: { slots: slotsForBudget(config, 16, 64 << 20), maxRank: 16 } });
 * const pool = new AdapterPool(registry, modelSlotTarget(model, { maxRank: 16 }));
 * const slots = await pool.acquire([idA, idB]);
 * await model.forward([{ seq: s1, tokens: [t1], adapterSlot: slots.get(idA) }, { seq: s2, tokens: [t2], adapterSlot: slots.get(idB) }]);
 * pool.release([idA, idB]);
 */
import { TributaryError } from '../../core/errors.ts';
import type { Backend, LoraPool } from '../backend.ts';
import type { Model } from '../model/llama.ts';
import { loraTargetDims } from '../model/loraTargetDims.ts';
import { LORA_TARGETS, type LlamaConfig, type LoraAdapterWeights, type LoraTarget } from '../model/types.ts';
import { adapterWeightBytes, type PeftAdapter } from './peft.ts';
import type { AdapterLoader } from './registry.ts';

/** Where the slots are: `nSlots` slots of rank ≤ `maxRank`, each reserving `slotBytes` device bytes. */
export interface SlotTarget {
  readonly nSlots: number;
  readonly maxRank: number;
  readonly slotBytes: number;
  /** loads an adapter into a slot (`null` empties it) */
  write(slot: number, weights: LoraAdapterWeights | null): void;
}

/** Device bytes one slot reserves: `Σ layers Σ targets maxRank · (in + out) · 4`. */
export function loraSlotBytes(config: LlamaConfig, maxRank: number, targets: readonly LoraTarget[] = LORA_TARGETS): number {
  let per = 0;
  for (const t of targets) {
    const { inDim, outDim } = loraTargetDims(config, t);
    per += maxRank * (inDim + outDim) * 4;
  }
  return per * config.numLayers;
}

/** How many slots fit a byte budget (use it for `createModel`'s `lora.slots`). */
export function slotsForBudget(config: LlamaConfig, maxRank: number, budgetBytes: number, targets: readonly LoraTarget[] = LORA_TARGETS): number {
  return Math.floor(budgetBytes / loraSlotBytes(config, maxRank, targets));
}

/**
 * The slots of a model created with `lora: { slots, maxRank, targets }`; pass the same `maxRank` and `targets`
 * (checked against the model's reserved LoRA bytes: a backend may reserve more than the matrices need —
 * WebGPU adds a slot table and rounds buffers — but never less).
 */
export function modelSlotTarget(model: Model, lora: { maxRank: number; targets?: readonly LoraTarget[] }): SlotTarget {
  if (model.loraSlots <= 0) throw new TributaryError('engine/bad-config', 'The model was loaded without LoRA slots; load it with lora: { slots, maxRank }.');
  const slotBytes = loraSlotBytes(model.config, lora.maxRank, lora.targets);
  const reserved = model.memory().lora;
  if (lora.maxRank !== model.loraMaxRank || reserved < slotBytes * model.loraSlots) {
    throw new TributaryError(
      'engine/bad-config',
      `The model reserved ${reserved} LoRA bytes for ${model.loraSlots} slots, not ${slotBytes} per slot: pass the maxRank and targets it was loaded with.`,
    );
  }
  return {
    nSlots: model.loraSlots,
    maxRank: lora.maxRank,
    slotBytes: reserved / model.loraSlots,
    write: (slot, w) => model.setLoraSlot(slot, w),
  };
}

/** Standalone backend pools (one `LoraPool` per layer and target), for callers that run `loraApply` themselves. */
export interface BackendSlotTarget extends SlotTarget {
  /** `pools[layer][target]` */
  readonly pools: readonly Partial<Record<LoraTarget, LoraPool>>[];
  dispose(): void;
}

export function backendSlotTarget(backend: Backend, config: LlamaConfig, o: { slots: number; maxRank: number; targets?: readonly LoraTarget[] }): BackendSlotTarget {
  const targets = o.targets ?? LORA_TARGETS;
  let bytes = 0;
  const pools = Array.from({ length: config.numLayers }, () => {
    const layer: Partial<Record<LoraTarget, LoraPool>> = {};
    for (const t of targets) {
      const { inDim, outDim } = loraTargetDims(config, t);
      const p = backend.createLoraPool(o.slots, o.maxRank, inDim, outDim);
      bytes += p.bytes;
      layer[t] = p;
    }
    return layer;
  });
  const empty = { rank: 0, scale: 0, A: new Float32Array(0), B: new Float32Array(0) };
  return {
    nSlots: o.slots,
    maxRank: o.maxRank,
    slotBytes: o.slots > 0 ? bytes / o.slots : 0,
    pools,
    write(slot, w) {
      if (w) {
        if (w.layers.length !== config.numLayers) throw new TributaryError('lora/mismatch', `The adapter has ${w.layers.length} layers, the model ${config.numLayers}.`);
        for (const [i, l] of w.layers.entries()) {
          for (const t of Object.keys(l) as LoraTarget[]) {
            if (l[t] && !targets.includes(t)) throw new TributaryError('engine/lora-slot', `The adapter targets ${t}_proj (layer ${i}), but the slots cover only ${targets.join(', ')}.`);
          }
        }
      }
      const scale = w ? (w.scale ?? (w.rank === 0 ? 0 : w.alpha / w.rank)) : 0;
      pools.forEach((layer, i) => {
        for (const t of targets) {
          const m = w?.layers[i]![t];
          backend.writeLoraSlot(layer[t]!, slot, !w ? null : m ? { rank: w.rank, scale, A: m.A, B: m.B } : empty);
        }
      });
    },
    dispose() {
      for (const layer of pools) for (const p of Object.values(layer)) if (p) backend.dispose(p);
    },
  };
}

export interface AdapterPoolOptions {
  /** device bytes the pool may use (default: all the target's slots) */
  budgetBytes?: number;
}

export interface AdapterPoolStats {
  /** slots usable under the budget */
  capacity: number;
  resident: number;
  pinned: number;
  loading: number;
  /** device bytes one resident adapter takes (its slot, whatever its rank) */
  slotBytes: number;
  budgetBytes: number;
  /** resident × slotBytes */
  residentBytes: number;
  /** f32 bytes of the resident adapters' own matrices (≤ residentBytes; the rest is rank padding) */
  adapterBytes: number;
  hits: number;
  misses: number;
  evictions: number;
  /** milliseconds spent loading (store read + upload), all misses together */
  loadMs: number;
}

interface Entry {
  id: string;
  slot: number;
  pins: number;
  /** resolved once the weights are in the slot */
  ready: Promise<void>;
  loaded: boolean;
  bytes: number;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export class AdapterPool {
  readonly capacity: number;
  readonly budgetBytes: number;
  /** resident and loading adapters, least recently used first (a `Map` keeps insertion order; a touch re-inserts) */
  private readonly entries = new Map<string, Entry>();
  private readonly free: number[] = [];
  private counts = { hits: 0, misses: 0, evictions: 0, loadMs: 0 };
  /** Adapters evicted to make room and not loaded since (so "evicted" is told apart from "never loaded"). */
  private readonly evicted = new Set<string>();
  private readonly unsubscribe: (() => void) | undefined;

  constructor(
    private readonly loader: AdapterLoader,
    readonly target: SlotTarget,
    opts: AdapterPoolOptions = {},
  ) {
    const budget = opts.budgetBytes ?? target.nSlots * target.slotBytes;
    this.capacity = Math.min(target.nSlots, target.slotBytes > 0 ? Math.floor(budget / target.slotBytes) : target.nSlots);
    this.budgetBytes = budget;
    if (this.capacity <= 0) {
      throw new TributaryError('lora/pool-full', `A budget of ${budget} bytes holds no adapter slot (${target.slotBytes} bytes each, ${target.nSlots} reserved); raise the budget or lower the maximum rank.`);
    }
    for (let s = this.capacity - 1; s >= 0; s--) this.free.push(s);
    this.unsubscribe = loader.onRemove?.((id) => this.invalidate(id));
  }

  /** The slot of a resident (loaded) adapter, or undefined. Does not pin or touch it. */
  slotOf(id: string): number | undefined {
    const e = this.entries.get(id);
    return e?.loaded ? e.slot : undefined;
  }

  isResident(id: string): boolean {
    return this.entries.get(id)?.loaded === true;
  }

  /** Resident adapter ids, least recently used first. */
  residentIds(): string[] {
    return [...this.entries.values()].filter((e) => e.loaded).map((e) => e.id);
  }

  /** Adapters being loaded into a slot now. */
  loadingIds(): string[] {
    return [...this.entries.values()].filter((e) => !e.loaded).map((e) => e.id);
  }

  /** Adapters this pool loaded once and evicted since (not resident now, not loading); never-loaded ones are not here. */
  evictedIds(): string[] {
    return [...this.evicted];
  }

  /**
   * Pins the adapters of a batch and returns `id → slot` (ids may repeat; each distinct id is pinned once and must
   * be released once). Loads the ones that are not resident.
   */
  acquire(ids: Iterable<string>): Promise<Map<string, number>> {
    const distinct = [...new Set(ids)];
    const out = new Map<string, number>();
    if (distinct.length > this.capacity) {
      return Promise.reject(
        new TributaryError('lora/pool-full', `This batch needs ${distinct.length} different adapters, but the pool holds ${this.capacity}; raise the adapter memory budget or batch fewer adapters.`),
      );
    }
    const pinned: Entry[] = [];
    const pending: Promise<void>[] = [];
    try {
      for (const id of distinct) {
        let e = this.entries.get(id);
        if (e) {
          this.entries.delete(id);
          this.entries.set(id, e);
          if (e.loaded) this.counts.hits++;
          else pending.push(e.ready);
        } else {
          e = this.startLoad(id);
          pending.push(e.ready);
        }
        e.pins++;
        pinned.push(e);
        out.set(id, e.slot);
      }
    } catch (err) {
      for (const e of pinned) e.pins--;
      return Promise.reject(err as Error);
    }
    if (pending.length === 0) return Promise.resolve(out);
    return Promise.all(pending).then(
      () => out,
      (err: unknown) => {
        for (const e of pinned) e.pins--;
        throw err;
      },
    );
  }

  /** Unpins adapters pinned by one `acquire` (each distinct id once). */
  release(ids: Iterable<string>): void {
    for (const id of new Set(ids)) {
      const e = this.entries.get(id);
      if (!e || e.pins === 0) throw new TributaryError('engine/lora-slot', `Adapter ${id} is not pinned; release only what acquire returned.`);
      e.pins--;
    }
  }

  /** Drops an adapter from the pool (e.g. uninstalled). `lora/in-use` while a request has it pinned. */
  invalidate(id: string): void {
    const e = this.entries.get(id);
    this.evicted.delete(id);
    if (!e) return;
    if (e.pins > 0) throw new TributaryError('lora/in-use', `Adapter ${id} is in use by a running request; stop it first.`);
    this.entries.delete(id);
    this.target.write(e.slot, null);
    this.free.push(e.slot);
  }

  stats(): AdapterPoolStats {
    let resident = 0;
    let pinned = 0;
    let loading = 0;
    let adapterBytes = 0;
    for (const e of this.entries.values()) {
      if (e.loaded) {
        resident++;
        adapterBytes += e.bytes;
      } else loading++;
      if (e.pins > 0) pinned++;
    }
    return {
      capacity: this.capacity,
      resident,
      pinned,
      loading,
      slotBytes: this.target.slotBytes,
      budgetBytes: this.budgetBytes,
      residentBytes: resident * this.target.slotBytes,
      adapterBytes,
      ...this.counts,
    };
  }

  /** Stops listening to the registry (the slots stay as they are). */
  close(): void {
    this.unsubscribe?.();
  }

  /** Reserves a slot for `id` (free or evicted, synchronously) and starts loading into it. */
  private startLoad(id: string): Entry {
    const meta = this.loader.meta?.(id); // throws lora/not-found for unknown ids before anything is evicted
    if (meta && meta.rank > this.target.maxRank) {
      throw new TributaryError('engine/lora-slot', `Adapter "${meta.name}" has rank ${meta.rank}, above the slots' maximum ${this.target.maxRank}; load the model with a larger maxRank.`);
    }
    let slot = this.free.pop();
    if (slot === undefined) {
      for (const e of this.entries.values()) {
        if (e.pins === 0 && e.loaded) {
          this.entries.delete(e.id);
          this.evicted.add(e.id);
          this.counts.evictions++;
          slot = e.slot;
          break;
        }
      }
    }
    if (slot === undefined) {
      throw new TributaryError('lora/pool-full', `All ${this.capacity} adapter slots are in use by running requests; wait for one to finish or raise the adapter memory budget.`);
    }
    this.counts.misses++;
    this.evicted.delete(id);
    const s = slot;
    const t0 = now();
    const entry: Entry = { id, slot: s, pins: 0, loaded: false, bytes: 0, ready: Promise.resolve() };
    entry.ready = this.loader.load(id).then(
      (a: PeftAdapter) => {
        if (this.entries.get(id) !== entry) return; // invalidated meanwhile
        if (a.weights.rank > this.target.maxRank) {
          throw new TributaryError('engine/lora-slot', `Adapter "${a.meta.name}" has rank ${a.weights.rank}, above the slots' maximum ${this.target.maxRank}; load the model with a larger maxRank.`);
        }
        this.target.write(s, a.weights);
        entry.loaded = true;
        entry.bytes = adapterWeightBytes(a.weights);
        this.counts.loadMs += now() - t0;
      },
    );
    entry.ready.catch(() => {
      // a failed load gives its slot back
      if (this.entries.get(id) === entry) {
        this.entries.delete(id);
        this.free.push(s);
      }
    });
    this.entries.set(id, entry);
    return entry;
  }
}
