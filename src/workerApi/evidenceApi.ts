/**
 * The attribution-evidence part of the engine worker's surface (implemented by `services/engine/evidence/`): what
 * only the loaded model can give attribution.
 *
 * - `embedTexts`: passage / answer vectors from the loaded model's own hidden states (the mean of the final hidden
 *   state over a text's first 128 tokens), computed in f32 on the CPU from the model's checkpoint, exactly as the
 *   Node CLI's `modelEncoder` does: the same model and text give the same vector in the app and in Node, whatever
 *   device and quantisation chat runs with. The reply names the encoder (id + content hash + dims); an embedding
 *   index records it and is only ever queried with it.
 * - `answerGradient`: the gradient of an answer's loss w.r.t. an installed adapter's LoRA parameters, projected with
 *   the adapter's training log spec (`projectLoraGradient`): what gradient influence scores against the log. Only for
 *   adapters that carry a training log (trained in ModelFactory, or bundled demo adapters shipped with one); for any
 *   other the reply says why influence is not available.
 *
 * The attribution worker gets both through the page (function arguments of `AttributionApi.attributeAnswer`).
 */
import type { Hex } from '../core/types.ts';

export interface EncoderIdentity {
  id: string;
  hash: Hex;
  dims: number;
}

export interface EmbeddedTexts {
  encoder: EncoderIdentity;
  /** one vector of `encoder.dims` values per text, in order */
  vectors: Float32Array[];
}

export interface AnswerGradientRequest {
  adapterId: string;
  prompt: string;
  answer: string;
}

export type AnswerGradient =
  | {
      available: true;
      adapterId: string;
      /** the projected gradient (`projection.dim` values) */
      gradient: Float32Array;
      projection: { seed: number; dimPerModule: number; numLayers: number; targets: string[]; dim: number };
      /** answer tokens the loss was taken on */
      tokens: number;
      /** how the answer was made a training example (the record states it so a verifier makes the same one) */
      example: { form: 'chat' | 'lm'; seqLen: number; system: string };
    }
  | { available: false; adapterId: string; reason: string };

export interface EvidenceApi {
  /** Vectors of `texts` by the loaded model's encoder (at most 64 texts a call; the demo model is loaded when none is). */
  embedTexts(texts: string[]): Promise<EmbeddedTexts>;
  /** The projected LoRA gradient of `answer` (after `prompt`) for an installed adapter with a training log. */
  answerGradient(req: AnswerGradientRequest): Promise<AnswerGradient>;
}
