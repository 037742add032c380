/**
 * Merging installed adapters (weighted) into a new one.
 */
import type { AdapterImportInfo } from '../../workerApi/engineApi.ts';
import { TributaryError } from '../../core/errors.ts';
import { mergeAdapters as mergeLoraAdapters } from '../../engine/lora/merge.ts';
import { PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE, writePeftAdapter } from '../../engine/lora/peft.ts';
import { type AdapterSummary } from '../../store/adapters.ts';
import type { EngineContext } from './context.ts';
import { loadedModel } from './loadModel.ts';
import { installAdapter } from './installAdapter.ts';
import { MAX_ADAPTER_RANK } from './buildModel.ts';

export async function mergeAdapters(ctx: EngineContext, parts: { id: string; weight: number }[], info: AdapterImportInfo): Promise<AdapterSummary> {
  const L = await loadedModel(ctx);
  if (parts.length < 2) throw new TributaryError('lora/config', 'Pick at least two adapters to merge.');
  const loadedParts = [];
  for (const p of parts) {
    if (!Number.isFinite(p.weight)) throw new TributaryError('lora/config', `A merge weight must be a number (got ${p.weight}).`);
    loadedParts.push({ adapter: await L.registry.load(p.id), weight: p.weight });
  }
  const rank = loadedParts.filter((p) => p.weight !== 0).reduce((s, p) => s + p.adapter.meta.rank, 0);
  if (rank > MAX_ADAPTER_RANK) {
    throw new TributaryError('engine/lora-slot', `The merged adapter would have rank ${rank} (the ranks add up), above the ${MAX_ADAPTER_RANK} an adapter slot holds; merge fewer or smaller adapters.`);
  }
  const datanets = [...new Set(loadedParts.flatMap((p) => p.adapter.meta.datanets))];
  const name = info.name?.trim() || loadedParts.map((p) => p.adapter.meta.name).join(' + ');
  const merged = mergeLoraAdapters(loadedParts, L.config, { name, owner: info.owner ?? null, datanets: info.datanets ?? datanets, baseModel: loadedParts[0]!.adapter.meta.baseModel });
  const files = writePeftAdapter(merged);
  const detail = loadedParts.map((p) => `${p.weight} × ${p.adapter.meta.name}`).join(' + ');
  return installAdapter(ctx, merged, files[PEFT_CONFIG_FILE], files[PEFT_WEIGHTS_FILE], 'merge', detail);
}
