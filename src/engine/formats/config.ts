import { describeValue } from '../../core/describeValue.ts';
import { nestsDeeperThan } from '../../core/jsonDepth.ts';
import { TributaryError } from '../../core/errors.ts';
import type { RopeScaling } from '../cpu/kernels/rope.ts';
import type { LlamaConfig } from '../model/types.ts';

/** Architectures whose HF config.json this parser accepts. */
export const SUPPORTED_ARCHITECTURES = ['LlamaForCausalLM', 'Qwen2ForCausalLM', 'MistralForCausalLM'] as const;
export type Architecture = (typeof SUPPORTED_ARCHITECTURES)[number];

/**
 * A Llama-family model's configuration, parsed from HF `config.json`: everything the forward pass
 * needs (`LlamaConfig`, camelCase, defaults filled in) plus what generation needs (token ids).
 */
export interface ModelConfig extends LlamaConfig {
  architecture: Architecture;
  /** `model_type` (llama, qwen2, mistral) */
  modelType: string;
  bosTokenId: number | null;
  /** every id that ends generation (`eos_token_id` may be a list, e.g. Llama 3.1) */
  eosTokenIds: number[];
  padTokenId: number | null;
  /** `torch_dtype` / `dtype` of the checkpoint, informational (float32, float16, bfloat16) */
  torchDtype: string | null;
}

/**
 * Upper bounds for every dimension (each several times the largest open Llama-family model's) and for
 * the parameter count the dimensions imply: a config.json cannot make the loader allocate for
 * `num_hidden_layers: 2^31` (which used to abort the process at 4.8 GB) before any file is checked.
 */
export const MODEL_CONFIG_LIMITS = {
  hiddenSize: 65_536,
  intermediateSize: 262_144,
  numLayers: 1024,
  numHeads: 1024,
  headDim: 1024,
  vocabSize: 1 << 22,
  maxPositionEmbeddings: 1 << 21,
  /** 16 billion parameters: beyond what a browser tab can hold even at 4 bits. */
  maxParameters: 16e9,
  maxDepth: 32,
} as const;

/** The parameter count a config implies (embeddings, lm_head when untied, every layer's matrices and norms). */
export function impliedParameterCount(c: LlamaConfig): number {
  const d = c.hiddenSize;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const perLayer = 2 * d + d * q * 2 + d * kv * 2 + 3 * d * c.intermediateSize + (c.attentionBias ? q + 2 * kv : 0);
  return c.vocabSize * d * (c.tieWordEmbeddings ? 1 : 2) + d + c.numLayers * perLayer;
}

/**
 * Checks, before anything is allocated, that the weights a config implies fit what the checkpoint
 * files hold (at least half a byte per parameter: 4-bit) and the device's memory when known.
 */
export function checkModelFits(c: LlamaConfig, sizes: { checkpointBytes?: number; deviceBytes?: number }): void {
  const params = impliedParameterCount(c);
  if (sizes.checkpointBytes !== undefined && params * 0.5 > sizes.checkpointBytes) {
    throw fail(`it implies ${params.toExponential(2)} parameters, but the weight files hold only ${sizes.checkpointBytes} bytes: the config does not belong to these weights.`);
  }
  if (sizes.deviceBytes !== undefined && params * 0.5 > sizes.deviceBytes) {
    throw fail(`it implies ${params.toExponential(2)} parameters, more than this device's ${sizes.deviceBytes} bytes of memory can hold even at 4 bits.`);
  }
}

function fail(message: string): TributaryError {
  return new TributaryError('model/config', message, 'config.json');
}

const ARCH_BY_MODEL_TYPE: Record<string, Architecture> = { llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM', mistral: 'MistralForCausalLM' };

/**
 * Parses and validates an HF `config.json` of a Llama, Qwen2/2.5 or Mistral (no sliding window)
 * causal LM. Refuses with `model/config`, naming the field, anything the engine cannot run.
 */
export function parseModelConfig(input: string | object): ModelConfig {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (e) {
      throw fail(`it is not valid JSON (${(e as Error).message}).`);
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw fail('it is not a JSON object.');
  if (nestsDeeperThan(raw, MODEL_CONFIG_LIMITS.maxDepth)) throw fail(`it nests more than ${MODEL_CONFIG_LIMITS.maxDepth} levels deep; a config.json is a flat object.`);
  const c = raw as Record<string, unknown>;

  const archs = c['architectures'];
  let architecture: Architecture | undefined;
  if (Array.isArray(archs) && archs.length > 0) {
    architecture = (archs as unknown[]).find((a): a is Architecture => typeof a === 'string' && (SUPPORTED_ARCHITECTURES as readonly string[]).includes(a));
    if (!architecture) {
      throw fail(`the architecture ${describeValue(archs)} is not supported; Tributary runs ${SUPPORTED_ARCHITECTURES.join(', ')}.`);
    }
  } else if (typeof c['model_type'] === 'string' && ARCH_BY_MODEL_TYPE[c['model_type']]) {
    architecture = ARCH_BY_MODEL_TYPE[c['model_type']];
  } else {
    throw fail(`it names no supported architecture (architectures / model_type); Tributary runs ${SUPPORTED_ARCHITECTURES.join(', ')}.`);
  }
  const arch = architecture!;
  const modelType = typeof c['model_type'] === 'string' ? c['model_type'] : Object.entries(ARCH_BY_MODEL_TYPE).find(([, a]) => a === arch)![0];

  const posInt = (key: string, fallback?: number, max = Number.MAX_SAFE_INTEGER): number => {
    const v = c[key] ?? fallback;
    if (v === undefined) throw fail(`"${key}" is missing.`);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw fail(`"${key}" must be a positive integer (got ${describeValue(v)}).`);
    if (v > max) throw fail(`"${key}" is ${v}; at most ${max} is accepted (no runnable model comes near it).`);
    return v;
  };
  const posNum = (key: string, fallback: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw fail(`"${key}" must be a positive number (got ${describeValue(v)}).`);
    return v;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'boolean') throw fail(`"${key}" must be true or false (got ${describeValue(v)}).`);
    return v;
  };
  const optId = (key: string): number | null => {
    const v = c[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw fail(`"${key}" must be a token id (got ${describeValue(v)}).`);
    return v;
  };

  const hiddenSize = posInt('hidden_size', undefined, MODEL_CONFIG_LIMITS.hiddenSize);
  const intermediateSize = posInt('intermediate_size', undefined, MODEL_CONFIG_LIMITS.intermediateSize);
  const numLayers = posInt('num_hidden_layers', undefined, MODEL_CONFIG_LIMITS.numLayers);
  const numHeads = posInt('num_attention_heads', undefined, MODEL_CONFIG_LIMITS.numHeads);
  const numKvHeads = posInt('num_key_value_heads', numHeads, MODEL_CONFIG_LIMITS.numHeads);
  if (numHeads % numKvHeads !== 0) throw fail(`num_attention_heads (${numHeads}) must be a multiple of num_key_value_heads (${numKvHeads}).`);
  let headDim: number;
  if (c['head_dim'] !== undefined && c['head_dim'] !== null) {
    headDim = posInt('head_dim', undefined, MODEL_CONFIG_LIMITS.headDim);
  } else {
    if (hiddenSize % numHeads !== 0) throw fail(`hidden_size (${hiddenSize}) is not a multiple of num_attention_heads (${numHeads}) and no head_dim is given.`);
    headDim = hiddenSize / numHeads;
  }
  if (headDim % 2 !== 0) throw fail(`the head size (${headDim}) must be even for rotary embeddings.`);
  const vocabSize = posInt('vocab_size', undefined, MODEL_CONFIG_LIMITS.vocabSize);
  const maxPositionEmbeddings = posInt('max_position_embeddings', 2048, MODEL_CONFIG_LIMITS.maxPositionEmbeddings);
  const rmsNormEps = posNum('rms_norm_eps', 1e-6);
  const ropeTheta = posNum('rope_theta', 10000);

  const act = c['hidden_act'] ?? 'silu';
  if (act !== 'silu' && act !== 'swish') throw fail(`hidden_act "${String(act)}" is not supported (only silu).`);

  const ropeScaling = parseRopeScaling(c['rope_scaling']);

  // attention bias: Qwen2 always has q/k/v bias (no o bias); Llama's attention_bias would put one on o too
  let attentionBias: boolean;
  if (arch === 'Qwen2ForCausalLM') {
    attentionBias = true;
  } else {
    attentionBias = bool('attention_bias', false);
    if (attentionBias) throw fail('attention_bias: true (a bias on q, k, v and o) is not supported for Llama/Mistral models.');
  }
  if (bool('mlp_bias', false)) throw fail('mlp_bias: true is not supported.');

  // sliding-window attention is not implemented: refuse configs that would use it
  const sw = c['sliding_window'];
  if (arch === 'MistralForCausalLM' && sw !== undefined && sw !== null) {
    if (typeof sw !== 'number' || sw < maxPositionEmbeddings) {
      throw fail(`sliding_window (${describeValue(sw)}) is not supported; use a Mistral model without sliding-window attention (sliding_window: null).`);
    }
  }
  if (arch === 'Qwen2ForCausalLM' && c['use_sliding_window'] === true) throw fail('use_sliding_window: true is not supported.');

  const eos = c['eos_token_id'];
  let eosTokenIds: number[];
  if (eos === undefined || eos === null) eosTokenIds = [];
  else if (Array.isArray(eos)) {
    if (!eos.every((x) => Number.isSafeInteger(x) && (x as number) >= 0)) throw fail('"eos_token_id" must be a token id or a list of them.');
    eosTokenIds = eos as number[];
  } else if (typeof eos === 'number' && Number.isSafeInteger(eos) && eos >= 0) eosTokenIds = [eos];
  else throw fail('"eos_token_id" must be a token id or a list of them.');
  const bosTokenId = optId('bos_token_id');
  const padTokenId = optId('pad_token_id');
  for (const id of [...eosTokenIds, bosTokenId, padTokenId]) {
    if (id !== null && id >= vocabSize) throw fail(`the token id ${id} (bos/eos/pad) is outside the vocabulary (vocab_size ${vocabSize}).`);
  }
  const dtype = c['torch_dtype'] ?? c['dtype'];

  const out: ModelConfig = {
    architecture: arch,
    modelType,
    vocabSize,
    hiddenSize,
    intermediateSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps,
    ropeTheta,
    ropeScaling,
    maxPositionEmbeddings,
    tieWordEmbeddings: bool('tie_word_embeddings', false),
    attentionBias,
    bosTokenId,
    eosTokenIds,
    padTokenId,
    torchDtype: typeof dtype === 'string' ? dtype : null,
  };
  const params = impliedParameterCount(out);
  if (!(params <= MODEL_CONFIG_LIMITS.maxParameters)) {
    throw fail(`its dimensions imply ${params.toExponential(2)} parameters; at most ${MODEL_CONFIG_LIMITS.maxParameters.toExponential(0)} are accepted.`);
  }
  return out;
}

function parseRopeScaling(v: unknown): RopeScaling | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw fail('"rope_scaling" must be an object or null.');
  const r = v as Record<string, unknown>;
  const type = r['rope_type'] ?? r['type'] ?? 'default';
  const num = (key: string): number => {
    const x = r[key];
    if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) throw fail(`rope_scaling.${key} must be a positive number (got ${describeValue(x)}).`);
    return x;
  };
  switch (type) {
    case 'default':
      return null;
    case 'linear':
      return { rope_type: 'linear', factor: num('factor') };
    case 'llama3': {
      const out = {
        rope_type: 'llama3',
        factor: num('factor'),
        low_freq_factor: num('low_freq_factor'),
        high_freq_factor: num('high_freq_factor'),
        original_max_position_embeddings: num('original_max_position_embeddings'),
      };
      if (out.high_freq_factor <= out.low_freq_factor) throw fail('rope_scaling.high_freq_factor must be larger than low_freq_factor.');
      return out;
    }
    default:
      throw fail(`rope_scaling type "${String(type)}" is not supported (default, linear and llama3 are).`);
  }
}

/** The HF `config.json` object for a config (inverse of `parseModelConfig`), e.g. for generated models. */
export function modelConfigToHfJson(c: LlamaConfig & Partial<Pick<ModelConfig, 'architecture' | 'bosTokenId' | 'eosTokenIds' | 'padTokenId' | 'torchDtype'>>): Record<string, unknown> {
  const architecture = c.architecture ?? (c.attentionBias ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM');
  const modelType = Object.entries(ARCH_BY_MODEL_TYPE).find(([, a]) => a === architecture)![0];
  const eos = c.eosTokenIds ?? [];
  return {
    architectures: [architecture],
    model_type: modelType,
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    num_key_value_heads: c.numKvHeads,
    head_dim: c.headDim,
    hidden_act: 'silu',
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    rope_scaling: c.ropeScaling ?? null,
    max_position_embeddings: c.maxPositionEmbeddings,
    vocab_size: c.vocabSize,
    tie_word_embeddings: c.tieWordEmbeddings,
    ...(architecture === 'Qwen2ForCausalLM' ? {} : { attention_bias: false }),
    bos_token_id: c.bosTokenId ?? null,
    eos_token_id: eos.length === 1 ? eos[0] : eos.length === 0 ? null : eos,
    pad_token_id: c.padTokenId ?? null,
    torch_dtype: c.torchDtype ?? 'float32',
  };
}
