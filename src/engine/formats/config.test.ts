import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isTributaryError } from '../../core/errors.ts';
import { modelConfigToHfJson, parseModelConfig } from './config.ts';

// Real configs (trimmed of fields the parser ignores), from the models' config.json.
const SMOLLM2_135M = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 1,
  eos_token_id: 2,
  head_dim: 64,
  hidden_act: 'silu',
  hidden_size: 576,
  initializer_range: 0.041666666666666664,
  intermediate_size: 1536,
  max_position_embeddings: 8192,
  mlp_bias: false,
  model_type: 'llama',
  num_attention_heads: 9,
  num_hidden_layers: 30,
  num_key_value_heads: 3,
  pad_token_id: 2,
  pretraining_tp: 1,
  rms_norm_eps: 1e-5,
  rope_scaling: null,
  rope_theta: 100000,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.42.3',
  use_cache: true,
  vocab_size: 49152,
};

const LLAMA32_1B = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  bos_token_id: 128000,
  eos_token_id: [128001, 128008, 128009],
  head_dim: 64,
  hidden_act: 'silu',
  hidden_size: 2048,
  intermediate_size: 8192,
  max_position_embeddings: 131072,
  mlp_bias: false,
  model_type: 'llama',
  num_attention_heads: 32,
  num_hidden_layers: 16,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-5,
  rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
  rope_theta: 500000.0,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  vocab_size: 128256,
};

const QWEN25_05B = {
  architectures: ['Qwen2ForCausalLM'],
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151645,
  hidden_act: 'silu',
  hidden_size: 896,
  initializer_range: 0.02,
  intermediate_size: 4864,
  max_position_embeddings: 32768,
  max_window_layers: 21,
  model_type: 'qwen2',
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  sliding_window: 32768,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  use_cache: true,
  use_sliding_window: false,
  vocab_size: 151936,
};

const TINYLLAMA = {
  architectures: ['LlamaForCausalLM'],
  bos_token_id: 1,
  eos_token_id: 2,
  hidden_act: 'silu',
  hidden_size: 2048,
  intermediate_size: 5632,
  max_position_embeddings: 2048,
  model_type: 'llama',
  num_attention_heads: 32,
  num_hidden_layers: 22,
  num_key_value_heads: 4,
  rms_norm_eps: 1e-5,
  rope_scaling: null,
  tie_word_embeddings: false,
  torch_dtype: 'bfloat16',
  vocab_size: 32000,
};

const MISTRAL_V03 = {
  architectures: ['MistralForCausalLM'],
  bos_token_id: 1,
  eos_token_id: 2,
  hidden_act: 'silu',
  hidden_size: 4096,
  intermediate_size: 14336,
  max_position_embeddings: 32768,
  model_type: 'mistral',
  num_attention_heads: 32,
  num_hidden_layers: 32,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-5,
  rope_theta: 1000000.0,
  sliding_window: null,
  tie_word_embeddings: false,
  torch_dtype: 'bfloat16',
  vocab_size: 32768,
};

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isTributaryError(e)) return `${e.code}: ${e.message}`;
    return `not-a-TributaryError: ${String(e)}`;
  }
  return 'accepted';
}

describe('parseModelConfig', () => {
  it('SmolLM2-135M', () => {
    expect(parseModelConfig(SMOLLM2_135M)).toEqual({
      architecture: 'LlamaForCausalLM',
      modelType: 'llama',
      vocabSize: 49152,
      hiddenSize: 576,
      intermediateSize: 1536,
      numLayers: 30,
      numHeads: 9,
      numKvHeads: 3,
      headDim: 64,
      rmsNormEps: 1e-5,
      ropeTheta: 100000,
      ropeScaling: null,
      maxPositionEmbeddings: 8192,
      tieWordEmbeddings: true,
      attentionBias: false,
      bosTokenId: 1,
      eosTokenIds: [2],
      padTokenId: 2,
      torchDtype: 'bfloat16',
    });
  });

  it('Llama 3.2 1B: llama3 rope scaling, list of eos ids', () => {
    const c = parseModelConfig(JSON.stringify(LLAMA32_1B));
    expect(c.ropeScaling).toEqual({ rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 });
    expect(c.eosTokenIds).toEqual([128001, 128008, 128009]);
    expect(c.ropeTheta).toBe(500000);
    expect(c.numKvHeads).toBe(8);
  });

  it('Qwen2.5-0.5B: q/k/v bias, head_dim from hidden/heads, sliding window off', () => {
    const c = parseModelConfig(QWEN25_05B);
    expect(c.architecture).toBe('Qwen2ForCausalLM');
    expect(c.attentionBias).toBe(true);
    expect(c.headDim).toBe(64);
    expect(c.rmsNormEps).toBe(1e-6);
    expect(c.eosTokenIds).toEqual([151645]);
  });

  it('TinyLlama: defaults (rope_theta 10000, untied head)', () => {
    const c = parseModelConfig(TINYLLAMA);
    expect(c.ropeTheta).toBe(10000);
    expect(c.tieWordEmbeddings).toBe(false);
    expect(c.headDim).toBe(64);
    expect(c.padTokenId).toBeNull();
  });

  it('Mistral without sliding window is accepted, with one is refused', () => {
    expect(parseModelConfig(MISTRAL_V03).architecture).toBe('MistralForCausalLM');
    expect(refusal(() => parseModelConfig({ ...MISTRAL_V03, sliding_window: 4096 }))).toMatch(/^model\/config: config.json: sliding_window \(4096\) is not supported/);
    expect(refusal(() => parseModelConfig({ ...QWEN25_05B, use_sliding_window: true }))).toMatch(/use_sliding_window/);
  });

  it.each([
    ['unsupported architecture', { ...SMOLLM2_135M, architectures: ['GPT2LMHeadModel'] }, /GPT2LMHeadModel.*not supported/],
    ['no architecture at all', { hidden_size: 8 }, /no supported architecture/],
    ['missing hidden_size', { ...TINYLLAMA, hidden_size: undefined }, /"hidden_size" is missing/],
    ['non-integer layers', { ...TINYLLAMA, num_hidden_layers: 2.5 }, /"num_hidden_layers" must be a positive integer/],
    ['heads not a multiple of kv heads', { ...TINYLLAMA, num_key_value_heads: 5 }, /multiple of num_key_value_heads/],
    ['hidden not divisible by heads', { ...TINYLLAMA, hidden_size: 2050 }, /not a multiple of num_attention_heads/],
    ['odd head_dim', { ...TINYLLAMA, head_dim: 63 }, /must be even/],
    ['negative eps', { ...TINYLLAMA, rms_norm_eps: -1 }, /rms_norm_eps/],
    ['gelu', { ...TINYLLAMA, hidden_act: 'gelu' }, /hidden_act "gelu"/],
    ['yarn rope scaling', { ...TINYLLAMA, rope_scaling: { type: 'yarn', factor: 4 } }, /rope_scaling type "yarn"/],
    ['llama3 scaling without factors', { ...LLAMA32_1B, rope_scaling: { rope_type: 'llama3', factor: 8 } }, /rope_scaling.low_freq_factor/],
    ['llama attention_bias', { ...TINYLLAMA, attention_bias: true }, /attention_bias/],
    ['mlp bias', { ...TINYLLAMA, mlp_bias: true }, /mlp_bias/],
    ['eos outside the vocabulary', { ...TINYLLAMA, eos_token_id: 99999 }, /outside the vocabulary/],
    ['bad eos', { ...TINYLLAMA, eos_token_id: 'x' }, /eos_token_id/],
    ['not JSON', '{nope', /not valid JSON/],
    ['not an object', '[1]', /not a JSON object/],
  ])('refuses %s', (_l, cfg, re) => {
    const r = refusal(() => parseModelConfig(cfg as object));
    expect(r.startsWith('model/config: ')).toBe(true);
    expect(r).toMatch(re);
  });

  it('round-trips through modelConfigToHfJson', () => {
    for (const cfg of [SMOLLM2_135M, LLAMA32_1B, QWEN25_05B, TINYLLAMA, MISTRAL_V03]) {
      const c = parseModelConfig(cfg);
      const again = parseModelConfig(modelConfigToHfJson(c));
      expect(again).toEqual(c);
    }
  });

  it('random JSON is refused only with model/config', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('architectures', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'vocab_size', 'rope_scaling', 'eos_token_id', 'head_dim', 'model_type'), fc.jsonValue({ maxDepth: 2 })), (extra) => {
        const r = refusal(() => parseModelConfig({ ...TINYLLAMA, ...extra }));
        expect(r === 'accepted' || r.startsWith('model/config: ')).toBe(true);
      }),
      { numRuns: 500, seed: 2 },
    );
  });
});
