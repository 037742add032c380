/** Hostile config.json files (issue 10): every dimension bounded, typed errors, nothing allocated. */
import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../core/errors.ts';
import { checkModelFits, impliedParameterCount, parseModelConfig } from './config.ts';

const base = {
  architectures: ['LlamaForCausalLM'],
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  vocab_size: 300,
  max_position_embeddings: 256,
};

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return isTributaryError(e) ? e.code : `untyped: ${String(e)}`;
  }
  return 'accepted';
}

describe('hostile config.json', () => {
  it('the base config is accepted', () => {
    expect(code(() => parseModelConfig(base))).toBe('accepted');
  });

  it.each([
    ['num_hidden_layers', 2 ** 31],
    ['hidden_size', 2 ** 20],
    ['intermediate_size', 2 ** 30],
    ['num_attention_heads', 2 ** 16],
    ['num_key_value_heads', 2 ** 16],
    ['head_dim', 2 ** 20],
    ['vocab_size', 2 ** 32],
    ['max_position_embeddings', 2 ** 40],
  ])('%s = %d → model/config', (key, value) => {
    expect(code(() => parseModelConfig({ ...base, [key]: value }))).toBe('model/config');
  });

  it('dimensions each within bounds but together past the parameter limit → model/config', () => {
    expect(code(() => parseModelConfig({ ...base, hidden_size: 16384, intermediate_size: 65536, num_hidden_layers: 1000, num_attention_heads: 128, num_key_value_heads: 128 }))).toBe('model/config');
  });

  it('a field nested a million deep → model/config, not a stack overflow', () => {
    const deep = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
    for (const key of ['architectures', 'hidden_size', 'rope_scaling', 'eos_token_id', 'sliding_window']) {
      const text = JSON.stringify({ ...base, [key]: 0 }).replace(`"${key}":0`, `"${key}":${deep}`);
      expect(code(() => parseModelConfig(text))).toBe('model/config');
    }
  });

  it('the implied size is checked against the files and the device before allocating', () => {
    const c = parseModelConfig(base);
    const params = impliedParameterCount(c);
    expect(code(() => checkModelFits(c, { checkpointBytes: params * 4, deviceBytes: 1e12 }))).toBe('accepted');
    expect(code(() => checkModelFits(c, { checkpointBytes: 100 }))).toBe('model/config');
    expect(code(() => checkModelFits(c, { deviceBytes: 100 }))).toBe('model/config');
  });
});
