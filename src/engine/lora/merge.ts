/**
 * Adapter merging (ensembles): a weighted linear combination of LoRA adapters as one new adapter, exactly.
 *
 * Adapter i changes a module by `ΔW_i = s_i · B_i · A_i` (`A_i [r_i, in]`, `B_i [out, r_i]`, `s_i` its scale). The
 * merge concatenates ranks: `A' = [A_1; A_2; …]` (`[Σr_i, in]`), `B' = [c_1·B_1, c_2·B_2, …]` (`[out, Σr_i]`) with
 * `c_i = w_i · s_i / s'`, so `s' · B' · A' = Σ_i w_i · ΔW_i` for every module — no approximation (beyond rounding
 * `c_i · B_i` to f32). The result has `r' = Σ r_i` and `lora_alpha = r'` (so `s' = 1`, plain LoRA scaling). Modules
 * an input does not adapt get zero rows/columns for its block (zero delta). Inputs with weight 0 or rank 0 are left out.
 * Rank grows with every input; the pool refuses an adapter above its slots' `maxRank` (`engine/lora-slot`).
 *
 * @example
 * const ensemble = mergeAdapters([{ adapter: legal, weight: 0.7 }, { adapter: medical, weight: 0.3 }], model.config, { name: 'legal+medical' });
 */
import { TributaryError } from '../../core/errors.ts';
import { loraTargetDims } from '../model/loraTargetDims.ts';
import { LORA_TARGETS, type LlamaConfig, type LoraAdapterWeights, type LoraTarget } from '../model/types.ts';
import { createPeftAdapter, loraScale, type AdapterInfo, type PeftAdapter } from './peft.ts';

export interface MergePart {
  adapter: PeftAdapter | LoraAdapterWeights;
  weight: number;
}

const weightsOf = (a: PeftAdapter | LoraAdapterWeights): LoraAdapterWeights => ('meta' in a ? a.weights : a);

/** The merged matrices (`rank = Σ r_i`, `alpha = rank`, `scale = 1`). */
export function mergeAdapterWeights(parts: readonly MergePart[], model: LlamaConfig): LoraAdapterWeights {
  if (parts.length === 0) throw new TributaryError('lora/config', 'Merging needs at least one adapter.');
  for (const p of parts) {
    if (!Number.isFinite(p.weight)) throw new TributaryError('lora/config', `A merge weight must be a finite number (got ${p.weight}).`);
    const w = weightsOf(p.adapter);
    if (w.layers.length !== model.numLayers) {
      throw new TributaryError('lora/mismatch', `An adapter to merge has ${w.layers.length} layers, the model ${model.numLayers}; merge adapters of one base model only.`);
    }
  }
  const used = parts
    .map((p) => ({ w: weightsOf(p.adapter), weight: p.weight }))
    .filter((p) => p.weight !== 0 && p.w.rank > 0)
    .map((p) => ({ ...p, scale: p.w.scale ?? loraScale(p.w.rank, p.w.alpha, false) }));
  const rank = used.reduce((s, p) => s + p.w.rank, 0);
  const scale = rank === 0 ? 0 : 1;
  const layers: LoraAdapterWeights['layers'] = [];
  for (let l = 0; l < model.numLayers; l++) {
    const layer: LoraAdapterWeights['layers'][number] = {};
    for (const t of LORA_TARGETS) {
      if (!used.some((p) => p.w.layers[l]![t])) continue;
      const { inDim, outDim } = loraTargetDims(model, t);
      const A = new Float32Array(rank * inDim);
      const B = new Float32Array(outDim * rank);
      let off = 0;
      for (const p of used) {
        const r = p.w.rank;
        const m = p.w.layers[l]![t as LoraTarget];
        if (m) {
          if (m.A.length !== r * inDim || m.B.length !== outDim * r) {
            throw new TributaryError('lora/mismatch', `Layer ${l} ${t}_proj of an adapter to merge is not ${r}×${inDim} / ${outDim}×${r}; it was made for another base model.`);
          }
          A.set(m.A, off * inDim);
          const c = (p.weight * p.scale) / scale;
          for (let o = 0; o < outDim; o++) for (let j = 0; j < r; j++) B[o * rank + off + j] = c * m.B[o * r + j]!;
        }
        off += r;
      }
      layer[t] = { A, B };
    }
    layers.push(layer);
  }
  return { rank, alpha: rank, scale, layers };
}

/**
 * Merges adapters into a new `PeftAdapter` (new id). Its Datanets are the union of the inputs' (when they are
 * `PeftAdapter`s) unless `info.datanets` says otherwise.
 */
export function mergeAdapters(parts: readonly MergePart[], model: LlamaConfig, info: AdapterInfo = {}): PeftAdapter {
  const weights = mergeAdapterWeights(parts, model);
  const metas = parts.flatMap((p) => ('meta' in p.adapter ? [p.adapter.meta] : []));
  const datanets = info.datanets ?? [...new Set(metas.flatMap((m) => m.datanets))];
  const name = info.name ?? `merge of ${metas.map((m) => m.name).join(' + ') || `${parts.length} adapters`}`;
  const baseModel = info.baseModel !== undefined ? info.baseModel : (metas.find((m) => m.baseModel)?.baseModel ?? null);
  return createPeftAdapter(weights, model, { ...info, name, datanets, baseModel, useRslora: false });
}
