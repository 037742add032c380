/**
 * A text's vector made by the model itself: the mean over its tokens of the final hidden state (after the final
 * norm), as sentence embeddings are commonly pooled. Runs one prefill in a fresh sequence (disposed after), with
 * the model's LoRA slot `adapterSlot` or the base model. No extra weights: works with any loaded model, offline.
 */
import type { Model } from './llama.ts';

export async function meanHiddenState(model: Model, tokens: readonly number[], opts: { adapterSlot?: number } = {}): Promise<Float32Array> {
  const d = model.config.hiddenSize;
  const out = new Float32Array(d);
  if (tokens.length === 0) return out;
  const seq = model.createSequence(Math.max(tokens.length, 1));
  try {
    const [states] = await model.forward([{ seq, tokens, adapterSlot: opts.adapterSlot ?? -1 }], { hidden: true });
    const n = tokens.length;
    for (let t = 0; t < n; t++) for (let j = 0; j < d; j++) out[j]! += states![t * d + j]!;
    for (let j = 0; j < d; j++) out[j]! /= n;
    return out;
  } finally {
    seq.dispose();
  }
}
