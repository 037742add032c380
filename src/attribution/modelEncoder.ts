/**
 * The default passage encoder: the loaded chat model itself. A text's vector is the mean of the model's final
 * hidden states over the text's tokens (engine/model/hiddenStates), at most `maxTokens` tokens. No extra
 * download: it works offline with whatever model is loaded (the demo model included). The encoder's identity
 * is the model's id and content hash (and the adapter's, when one is applied).
 */
import { sha256Text } from '../core/hash.ts';
import type { Hex } from '../core/types.ts';
import { meanHiddenState } from '../engine/model/hiddenStates.ts';
import type { Model } from '../engine/model/llama.ts';
import type { PassageEncoder } from './encoder.ts';

export interface TextTokenizer {
  encode(text: string): number[];
}

export function modelEncoder(model: Model, tokenizer: TextTokenizer, ident: { id: string; hash: Hex; adapterSlot?: number; maxTokens?: number }): PassageEncoder {
  const maxTokens = ident.maxTokens ?? 128;
  return {
    ref: { id: `${ident.id}#mean-hidden@${maxTokens}`, hash: sha256Text(`${ident.hash}:mean-hidden:${maxTokens}`), dims: model.config.hiddenSize },
    async embed(texts) {
      const out: Float32Array[] = [];
      for (const t of texts) out.push(await meanHiddenState(model, tokenizer.encode(t).slice(0, maxTokens), { adapterSlot: ident.adapterSlot ?? -1 }));
      return out;
    },
  };
}
