/**
 * A `PassageEncoder` over the engine worker's `embedTexts` (the loaded model's own hidden states). Its identity is
 * what the engine reports; it is learnt from a first call (the answer's text, whose vector is kept for the query), and
 * every later reply must name the same encoder — a model swapped mid-build fails with `attribution/encoder-mismatch`
 * instead of mixing two encoders' vectors in one index.
 */
import { sameEncoder, type PassageEncoder } from '../../attribution/encoder.ts';
import type { EmbedTextsFn } from '../../workerApi/attributionApi.ts';

/** Texts per engine call (the engine takes at most 64). */
const BATCH = 32;

export async function engineEncoder(embed: EmbedTextsFn, firstText = ''): Promise<PassageEncoder> {
  const first = await embed([firstText]);
  const ref = { ...first.encoder };
  const known = new Map<string, Float32Array>([[firstText, first.vectors[0]!]]);
  return {
    ref,
    async embed(texts) {
      const out: Float32Array[] = new Array(texts.length);
      const todo: number[] = [];
      texts.forEach((t, i) => {
        const v = known.get(t);
        if (v) out[i] = v;
        else todo.push(i);
      });
      for (let k = 0; k < todo.length; k += BATCH) {
        const part = todo.slice(k, k + BATCH);
        const r = await embed(part.map((i) => texts[i]!));
        sameEncoder(ref, r.encoder);
        part.forEach((i, j) => (out[i] = r.vectors[j]!));
      }
      return out;
    },
  };
}
