/**
 * Attribution evidence in the engine worker (contract: workerApi/evidenceApi.ts): passage and answer vectors from
 * the loaded model's own hidden states, and the projected LoRA gradient of an answer for gradient influence.
 *
 * - **Same vectors as Node.** Embeddings run on an f32 CPU twin of the loaded model, built from the model's kept
 *   checkpoint on first use (one thread, so the summation order is fixed), through `attribution/modelEncoder` — the
 *   very encoder the CLI uses. So the app's vectors equal the CLI's for the same model and text, whatever device and
 *   quantisation chat runs with, and an index built by `npm run cli -- pack` serves the app. The twin never touches
 *   the chat model: answers keep streaming while passages are embedded (they share the worker's thread, batch by
 *   batch).
 * - **Encoder identity** = the model's id and the SHA-256 of its weights file for the demo model (what the CLI hashes),
 *   else the SHA-256 of its f32 weights in load order.
 * - **Answer gradient.** `attribution/adapterGradient` (what verify-record takes too): a one-example trainer (CPU
 *   train ops, f32 base) with the adapter's LoRA weights written in, the answer tokenized exactly as ModelFactory's
 *   training examples are (chat template with the model's system prompt, the prompt as the question, loss on the
 *   answer), `exampleGradient`, then `projectLoraGradient` with the adapter's training-log spec. The reply says how
 *   the example was made (form, seqLen, system prompt): the record states it, so a verifier makes the same one.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { TributaryError } from '../../../core/errors.ts';
import type { Hex } from '../../../core/types.ts';
import type { AnswerGradient, AnswerGradientRequest, EmbeddedTexts } from '../../../workerApi/evidenceApi.ts';
import type { PassageEncoder } from '../../../attribution/encoder.ts';
import { adapterAnswerGradient } from '../../../attribution/adapterGradient.ts';
import { answerExample } from '../../../attribution/influenceFromLog.ts';
import { modelEncoder } from '../../../attribution/modelEncoder.ts';
import { createCpuBackend } from '../../../engine/cpu/cpuBackend.ts';
import { loadModelWeights } from '../../../engine/formats/weights.ts';
import { parsePeftAdapter } from '../../../engine/lora/peft.ts';
import { createModel, type Model } from '../../../engine/model/llama.ts';
import type { LlamaWeights } from '../../../engine/model/types.ts';
import { TRAINING_LOG_JSON, TRAINING_LOG_TENSORS, type TrainingLog } from '../../../engine/train/trainingLog.ts';
import { DEFAULT_TRAIN_CONFIG } from '../../../engine/train/types.ts';
import { getAdapterRecord } from '../../../store/adapters.ts';
import type { TributaryDB } from '../../../store/db.ts';
import { hasChatTemplate } from '../prompt.ts';
import type { Loaded } from '../context.ts';

/** Texts per `embedTexts` call (the attribution worker sends batches; a bigger call is refused). */
export const MAX_EMBED_TEXTS = 64;

/** What the action needs from the engine (built over its context by evidenceHost.ts). */
export interface EvidenceHost {
  db: TributaryDB;
  /** the loaded model (the demo model is loaded when none is) */
  model(): Promise<Loaded>;
  /** SHA-256 of the model's weights file when the engine knows it (the demo model's manifest), else null */
  weightsFileHash(L: Loaded): Promise<Hex | null>;
}

interface Twin {
  loaded: Loaded;
  weights: LlamaWeights;
  model: Model | null;
  /** made once per twin (concurrent callers share it) */
  encoder: Promise<PassageEncoder> | null;
}

export function f32WeightsHash(weights: LlamaWeights): Hex {
  const h = sha256.create();
  const add = (a: Float32Array): void => void h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  add(weights.embed.data);
  for (const l of weights.layers) {
    for (const k of ['inputNorm', 'postAttentionNorm', 'qBias', 'kBias', 'vBias'] as const) if (l[k]) add(l[k]);
    for (const k of ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const) add(l[k].data);
  }
  add(weights.finalNorm);
  if (weights.lmHead) add(weights.lmHead.data);
  return `0x${bytesToHex(h.digest())}`;
}

const unavailable = (adapterId: string, reason: string): AnswerGradient => ({ available: false, adapterId, reason });

export class EvidenceAction {
  private twin: Twin | null = null;
  private twinLoading: Promise<Twin> | null = null;

  constructor(private readonly host: EvidenceHost) {}

  /** The f32 weights of the loaded model (once per loaded model). */
  private async twinOf(L: Loaded): Promise<Twin> {
    if (this.twin?.loaded === L) return this.twin;
    if (!this.twinLoading) {
      this.twin?.model?.dispose();
      this.twin = null;
      this.twinLoading = loadModelWeights(L.config, L.checkpoint)
        .then((weights) => (this.twin = { loaded: L, weights, model: null, encoder: null }))
        .finally(() => (this.twinLoading = null));
    }
    const t = await this.twinLoading;
    return t.loaded === L ? t : this.twinOf(L);
  }

  private async encoder(): Promise<PassageEncoder> {
    const L = await this.host.model();
    const t = await this.twinOf(L);
    t.encoder ??= (async () => {
      const hash = (await this.host.weightsFileHash(L)) ?? f32WeightsHash(t.weights);
      t.model = createModel(createCpuBackend({ threads: 1 }), L.config, t.weights);
      return modelEncoder(t.model, { encode: (s) => L.tokenizer.encode(s) }, { id: L.info.id, hash });
    })();
    t.encoder.catch(() => (t.encoder = null));
    return t.encoder;
  }

  async embedTexts(texts: string[]): Promise<EmbeddedTexts> {
    if (!Array.isArray(texts) || texts.some((s) => typeof s !== 'string')) throw new TributaryError('attribution/invalid-input', 'embedTexts takes a list of texts.');
    if (texts.length > MAX_EMBED_TEXTS) throw new TributaryError('attribution/invalid-input', `embedTexts takes at most ${MAX_EMBED_TEXTS} texts a call (got ${texts.length}); send them in batches.`);
    const enc = await this.encoder();
    return { encoder: { ...enc.ref }, vectors: await enc.embed(texts) };
  }

  async answerGradient(req: AnswerGradientRequest): Promise<AnswerGradient> {
    const { adapterId, prompt, answer } = req;
    if (typeof adapterId !== 'string' || typeof prompt !== 'string' || typeof answer !== 'string') throw new TributaryError('attribution/invalid-input', 'answerGradient needs an adapter id, the prompt and the answer as text.');
    const rec = await getAdapterRecord(this.host.db, adapterId);
    if (!rec) return unavailable(adapterId, 'the adapter is not installed here');
    const logJson = rec.trainingFiles?.[TRAINING_LOG_JSON];
    if (!logJson || !rec.trainingFiles?.[TRAINING_LOG_TENSORS]) return unavailable(adapterId, `"${rec.name}" carries no training log (only adapters trained in ModelFactory, or shipped with their log, have one)`);
    let log: Omit<TrainingLog, 'gradients'>;
    try {
      log = JSON.parse(await logJson.text()) as Omit<TrainingLog, 'gradients'>;
    } catch {
      return unavailable(adapterId, `the training log of "${rec.name}" cannot be read`);
    }
    if (log.format !== 'tributary-training-log' || !log.projection || log.checkpoints.length === 0) return unavailable(adapterId, `the training log of "${rec.name}" holds no gradient checkpoint`);
    if (answer.trim() === '') return unavailable(adapterId, 'the answer is empty');
    const L = await this.host.model();
    if (rec.modelSignature !== L.info.signature) return unavailable(adapterId, `"${rec.name}" was made for another base model than the one loaded`);
    const adapter = parsePeftAdapter({ config: rec.config, weights: new Uint8Array(await rec.weights.arrayBuffer()) }, L.config);
    if (adapter.meta.useRslora) return unavailable(adapterId, `"${rec.name}" uses rsLoRA scaling, which the trainer does not reproduce`);
    const spec = { seed: log.projection.seed, dimPerModule: log.projection.dimPerModule, numLayers: log.projection.numLayers, targets: log.projection.targets };
    if (spec.numLayers !== L.config.numLayers) return unavailable(adapterId, `the training log of "${rec.name}" was made for a model with ${spec.numLayers} layers`);
    const hp = rec.training?.hyperParameters ?? {};
    const seqLen = Math.min(typeof hp['seqLen'] === 'number' ? hp['seqLen'] : DEFAULT_TRAIN_CONFIG.seqLen, L.info.contextLength);
    const tc = L.tokenizerConfig ?? {};
    // the same example the CLI's influence takes (attribution/influenceFromLog answerExample); a model without a chat
    // template trained on plain text, so its answer is plain text too
    const form = L.tokenizerConfig !== null && hasChatTemplate(L.tokenizerConfig) ? 'chat' : 'lm';
    const system = form === 'chat' ? (L.systemPrompt ?? null) : null;
    const example = answerExample({ tokenizer: L.tokenizer, tokenizerConfig: tc, seqLen, system, form }, prompt, answer);
    if (!example) return unavailable(adapterId, 'the answer gives no token to take a gradient on');
    const t = await this.twinOf(L);
    const gradient = await adapterAnswerGradient({ config: L.config, base: t.weights, adapter, spec, example, seqLen, padId: L.config.eosTokenIds[0] ?? 0, subject: adapterId });
    let tokens = 0;
    for (let i = 1; i < example.lossMask.length; i++) tokens += example.lossMask[i]!;
    return { available: true, adapterId, gradient, projection: { ...spec, targets: [...spec.targets], dim: gradient.length }, tokens, example: { form, seqLen, system: system ?? '' } };
  }
}
