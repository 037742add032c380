import type { LlamaConfig } from '../../engine/model/types.ts';

/**
 * The shapes a LoRA adapter must fit: layer count and the in/out sizes of q/k/v/o/gate/up/down. Two models with the
 * same signature take the same adapters (e.g. a model and its re-quantised copy).
 */
export function modelSignature(c: LlamaConfig): string {
  return `llama:L${c.numLayers}:d${c.hiddenSize}:h${c.numHeads}x${c.headDim}:kv${c.numKvHeads}:ff${c.intermediateSize}`;
}
