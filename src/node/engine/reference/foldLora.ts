/**
 * Merges a LoRA adapter into a copy of the base weights: `W' = W + scale · B·A` for every targeted module (f64 sums).
 * The ONNX reference runs the merged weights; the engine runs base + adapter through its multi-LoRA kernel.
 *
 * @example
 * const merged = foldLora(config, weights, adapter);
 */
import type { F32Matrix } from '../../../engine/quant.ts';
import { LORA_TARGETS, type LlamaConfig, type LlamaWeights, type LoraAdapterWeights } from '../../../engine/model/types.ts';

export function foldLora(_config: LlamaConfig, w: LlamaWeights, a: LoraAdapterWeights): LlamaWeights {
  const scale = a.scale ?? (a.rank === 0 ? 0 : a.alpha / a.rank);
  const r = a.rank;
  return {
    ...w,
    layers: w.layers.map((L, i) => {
      const out = { ...L };
      for (const t of LORA_TARGETS) {
        const m = a.layers[i]?.[t];
        if (!m || r === 0) continue;
        const base: F32Matrix = L[t];
        const data = base.data.slice();
        const { rows, cols } = base;
        for (let n = 0; n < rows; n++)
          for (let k = 0; k < cols; k++) {
            let s = 0;
            for (let j = 0; j < r; j++) s += m.B[n * r + j]! * m.A[j * cols + k]!;
            data[n * cols + k] = data[n * cols + k]! + scale * s;
          }
        out[t] = { kind: 'f32', rows, cols, data };
      }
      return out;
    }),
  };
}
