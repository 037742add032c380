/**
 * The optional passage encoder: a sentence-embedding ONNX model (a sentence-transformers export such as
 * all-MiniLM-L6-v2, or the project's own tiny one) run with onnxruntime-web — in the attribution worker in the browser
 * and with the same package in Node (the CLI). Texts are tokenized with the project's tokenizer
 * (src/engine/tokenizer), the graph gives per-token states, which are pooled (mean / CLS) and normalised as the
 * folder's `encoder.json` says; the index quantises them to int8 like every embedding index.
 *
 * - **One text per run**: no padding, so a text's vector never depends on what it was batched with (the CLI's
 *   index and the app's query agree to the bit on the same runtime).
 * - **Identity**: `onnx:<name>#<pooling>[-norm]@<maxLength>`, hash = SHA-256 over the config and the SHA-256 of the
 *   tokenizer and model files. An index made with it is only ever queried with it (`sameEncoder`).
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { TributaryError, isTributaryError } from '../../core/errors.ts';
import { sha256Hex, sha256Text } from '../../core/hash.ts';
import type { Hex } from '../../core/types.ts';
import { loadTokenizer } from '../../engine/tokenizer/index.ts';
import type { PassageEncoder } from '../encoder.ts';
import type { EncoderConfig } from './encoderConfig.ts';
import { encoderTokens } from './encoderTokens.ts';
import { poolTokenStates } from './pooling.ts';

/** What the encoder needs of onnxruntime (the `onnxruntime-web` module, in Node or in a worker). */
export interface OrtRuntime {
  InferenceSession: { create(model: Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession> };
  Tensor: new (type: 'int64', data: BigInt64Array, dims: readonly number[]) => Tensor;
}

/** The three things an encoder folder provides. */
export interface EncoderFiles {
  config: EncoderConfig;
  tokenizerJson: string;
  model: Uint8Array;
}

export interface OnnxPassageEncoder extends PassageEncoder {
  readonly config: EncoderConfig;
  /** frees the ONNX session */
  release(): Promise<void>;
}

/** Inputs a sentence-transformers export may take; anything else is refused when the encoder is made. */
const KNOWN_INPUTS = new Set(['input_ids', 'attention_mask', 'token_type_ids']);

/** The encoder's content hash: its config (what changes vectors) and its two files. */
export function onnxEncoderHash(files: EncoderFiles): Hex {
  const c = files.config;
  const shape = JSON.stringify({ dimension: c.dimension, maxLength: c.maxLength, normalize: c.normalize, output: c.output, padTokenId: c.padTokenId, pooling: c.pooling });
  return sha256Text(`tributary-onnx-encoder:1:${shape}:${sha256Text(files.tokenizerJson)}:${sha256Hex(files.model)}`);
}

export async function createOnnxEncoder(files: EncoderFiles, ort: OrtRuntime): Promise<OnnxPassageEncoder> {
  const { config } = files;
  const tokenizer = loadTokenizer(files.tokenizerJson);
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(files.model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  } catch (e) {
    throw new TributaryError('encoder/bad-file', `onnxruntime cannot load it as an ONNX graph (${(e as Error).message ?? String(e)}); check that the URL points at the exported model.`, config.model, { cause: e });
  }
  if (!session.inputNames.includes('input_ids')) throw new TributaryError('encoder/mismatch', `the graph takes ${session.inputNames.join(', ')}, not input_ids: it is not a sentence-transformers style encoder.`, config.model);
  const unknown = session.inputNames.filter((n) => !KNOWN_INPUTS.has(n));
  if (unknown.length) throw new TributaryError('encoder/mismatch', `the graph also needs ${unknown.join(', ')}, which a sentence encoder is not given (only input_ids, attention_mask, token_type_ids).`, config.model);
  if (!session.outputNames.includes(config.output)) {
    throw new TributaryError('encoder/mismatch', `the graph has no output "${config.output}" (it has ${session.outputNames.join(', ')}); set "output" in encoder.json.`, config.model);
  }
  const ref = { id: `onnx:${config.name}#${config.pooling}${config.normalize ? '-norm' : ''}@${config.maxLength}`, hash: onnxEncoderHash(files), dims: config.dimension };

  const embedOne = async (text: string): Promise<Float32Array> => {
    const ids = encoderTokens(tokenizer, text, config.maxLength);
    if (ids.length === 0) return new Float32Array(config.dimension);
    const T = ids.length;
    const feeds: Record<string, Tensor> = {};
    for (const name of session.inputNames) {
      const data = name === 'input_ids' ? BigInt64Array.from(ids, BigInt) : name === 'attention_mask' ? new BigInt64Array(T).fill(1n) : new BigInt64Array(T);
      feeds[name] = new ort.Tensor('int64', data, [1, T]);
    }
    let out: InferenceSession.OnnxValueMapType;
    try {
      out = await session.run(feeds, [config.output]);
    } catch (e) {
      throw new TributaryError('encoder/mismatch', `the model failed on a text of ${T} tokens (${(e as Error).message ?? String(e)}); the tokenizer may not belong to this model (token ids beyond its vocabulary).`, config.model, { cause: e });
    }
    const y = out[config.output] as Tensor | undefined;
    const dims = y?.dims ?? [];
    if (!y || y.type !== 'float32' || dims.length !== 3 || dims[0] !== 1 || dims[1] !== T) {
      throw new TributaryError('encoder/mismatch', `the output "${config.output}" is ${y?.type ?? 'missing'} [${dims.join(', ')}], not float32 [1, ${T}, ${config.dimension}] (per-token states).`, config.model);
    }
    if (dims[2] !== config.dimension) {
      throw new TributaryError('encoder/mismatch', `the model gives ${dims[2]} values per token but encoder.json says "dimension": ${config.dimension}; fix the config or pick the matching model.`, config.model);
    }
    const v = poolTokenStates(y.data as Float32Array, T, config.dimension, config.pooling, config.normalize);
    for (const x of v) if (!Number.isFinite(x)) throw new TributaryError('encoder/mismatch', 'the model gave a non-finite value; the model file is damaged.', config.model);
    return v;
  };

  // one probe run now, so a folder whose parts do not fit (the dimension, the output's shape) is refused when loaded
  try {
    await embedOne('Tributary');
  } catch (e) {
    await session.release().catch(() => undefined);
    throw isTributaryError(e) ? e : new TributaryError('encoder/mismatch', `the encoder failed on a probe text: ${(e as Error).message}`, config.model, { cause: e });
  }
  return {
    ref,
    config,
    async embed(texts) {
      const out: Float32Array[] = [];
      for (const t of texts) {
        try {
          out.push(await embedOne(t));
        } catch (e) {
          if (isTributaryError(e)) throw e;
          throw new TributaryError('encoder/mismatch', `the encoder failed: ${(e as Error).message}`, config.model, { cause: e });
        }
      }
      return out;
    },
    release: () => session.release(),
  };
}
