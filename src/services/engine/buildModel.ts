/**
 * Builds a model on a backend: the weights streamed tensor by tensor, quantised, with LoRA slots for the adapter budget.
 */
import type { LoadProgress, QuantChoice } from '../../workerApi/engineApi.ts';
import type { ModelConfig } from '../../engine/formats/config.ts';
import { streamModelWeights, type TensorSource } from '../../engine/formats/weights.ts';
import { AdapterPool, loraSlotBytes, modelSlotTarget } from '../../engine/lora/pool.ts';
import type { AdapterRegistry } from '../../engine/lora/registry.ts';
import type { Model } from '../../engine/model/llama.ts';
import { createModelBuilder } from '../../engine/model/modelBuilder.ts';
import { Scheduler } from '../../engine/serving/scheduler.ts';
import type { LlamaConfig } from '../../engine/model/types.ts';
import { type ChosenBackend } from './backendChoice.ts';

/** Largest adapter rank the engine installs (merges add ranks: 4 rank-8 adapters fit). */
export const MAX_ADAPTER_RANK = 32;

/**
 * The rank a model's adapter slots hold: the largest of 32, 16, 8 for which four slots fit the memory budget (a slot
 * reserves `maxRank` for every module of every layer; a small budget on a big model gets rank-8 slots).
 */
export function slotRankFor(c: LlamaConfig, budgetBytes: number): number {
  for (const r of [MAX_ADAPTER_RANK, 16]) if (loraSlotBytes(c, r) * 4 <= budgetBytes) return r;
  return 8;
}
/** Default context of a conversation (KV cache per answer). */
const MAX_CONTEXT = 2048;

/** Uploads the checkpoint's weights to a backend (quantised) with LoRA slots for the budget. */
export async function buildModel(chosen: ChosenBackend, c: ModelConfig, checkpoint: TensorSource, quant: QuantChoice, budgetBytes: number, progress: (p: LoadProgress) => void) {
  const maxRank = slotRankFor(c, budgetBytes);
  const slotBytes = loraSlotBytes(c, maxRank);
  const slots = Math.max(1, Math.floor(budgetBytes / slotBytes));
  const maxSeq = Math.min(c.maxPositionEmbeddings, MAX_CONTEXT);
  // tensor by tensor: each is read, converted to f32, quantised and uploaded before the next is read, so loading
  // needs about one tensor of memory beyond the model, not the whole model as f32
  const builder = createModelBuilder(chosen.backend, c, { quant, lora: { slots, maxRank }, maxSeq });
  let model: Model;
  try {
    await streamModelWeights(c, checkpoint, (slot, value) => builder.put(slot, value), {
      onProgress: (done, total) => progress({ phase: 'weights', loaded: done, total }),
    });
    progress({ phase: 'device', loaded: 0, total: 1 });
    model = builder.finish();
  } catch (e) {
    builder.abort();
    throw e;
  }
  progress({ phase: 'device', loaded: 1, total: 1 });
  return {
    model,
    maxSeq,
    maxRank,
    serving: (registry: AdapterRegistry) => {
      // the model's own slots; their device size comes from the backend (WebGPU adds a slot table and buffer rounding)
      const target = modelSlotTarget(model, { maxRank });
      const pool = new AdapterPool(registry, target, { budgetBytes: Math.max(budgetBytes, target.slotBytes) });
      return { pool, scheduler: new Scheduler(model, { pool, maxSeq }) };
    },
  };
}

/** Parameters of a model (for the model info). */
export function paramCount(c: ModelConfig): number {
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  const d = c.hiddenSize;
  const perLayer = d * qDim * 2 + d * kvDim * 2 + 3 * d * c.intermediateSize + 2 * d + (c.attentionBias ? qDim + 2 * kvDim : 0);
  return c.vocabSize * d * (c.tieWordEmbeddings ? 1 : 2) + c.numLayers * perLayer + d;
}
