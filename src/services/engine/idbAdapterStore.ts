/**
 * The OpenLoRA registry's `AdapterStore` over IndexedDB (`store/adapters`): metadata comes from the records, weights
 * are read and parsed (`parsePeftAdapter`) only when an adapter is loaded into a GPU slot. Read-only for the
 * registry: the engine writes records itself, so an adapter keeps the exact bytes (and so the id) it was imported with.
 */
import { TributaryError } from '../../core/errors.ts';
import type { AdapterMeta } from '../../core/adapter.ts';
import type { PeftAdapter } from '../../engine/lora/peft.ts';
import { parsePeftAdapter } from '../../engine/lora/peft.ts';
import type { AdapterStore } from '../../engine/lora/registry.ts';
import type { LlamaConfig } from '../../engine/model/types.ts';
import { getAdapterRecord, listAdapters, type AdapterSummary } from '../../store/adapters.ts';
import type { TributaryDB } from '../../store/db.ts';

export function metaOfSummary(r: AdapterSummary): AdapterMeta {
  return {
    id: r.id,
    name: r.name,
    owner: r.owner,
    datanets: [...r.datanets],
    rank: r.rank,
    alpha: r.alpha,
    scale: r.scale,
    useRslora: r.useRslora,
    targets: [...r.targets],
    baseModel: r.baseModel,
    bytes: r.bytes,
    ...(r.pricePerAnswer !== undefined ? { pricePerAnswer: r.pricePerAnswer } : {}),
  };
}

export class IdbAdapterStore implements AdapterStore {
  /**
   * Adapters served without being installed (ModelFactory's evaluation answers with a freshly trained adapter before
   * it is saved): `get` finds them here first.
   */
  readonly drafts = new Map<string, PeftAdapter>();

  constructor(
    private readonly db: TributaryDB,
    private readonly model: LlamaConfig,
    private readonly signature: string,
  ) {}

  async get(id: string): Promise<PeftAdapter> {
    const draft = this.drafts.get(id);
    if (draft) return draft;
    const r = await getAdapterRecord(this.db, id);
    if (!r) throw new TributaryError('lora/not-found', `Adapter ${id} is no longer installed; import it again on the Adapters page.`);
    const weights = new Uint8Array(await r.weights.arrayBuffer());
    const a = parsePeftAdapter({ config: r.config, weights }, this.model, { name: r.name, owner: r.owner, datanets: r.datanets, baseModel: r.baseModel });
    if (r.pricePerAnswer !== undefined) a.meta.pricePerAnswer = r.pricePerAnswer;
    return a;
  }

  async list(): Promise<AdapterMeta[]> {
    return (await listAdapters(this.db, this.signature)).map(metaOfSummary);
  }
}
