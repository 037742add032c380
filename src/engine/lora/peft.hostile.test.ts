/** Hostile adapter_config.json / adapter files (issue 10): typed errors in bounded time. */
import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../core/errors.ts';
import { writeSafetensors, type TensorToWrite } from '../formats/safetensors.ts';
import { loraTargetDims } from '../model/loraTargetDims.ts';
import { randomConfig } from '../model/randomModel.ts';
import { parsePeftAdapter } from './peft.ts';

const model = randomConfig({ numLayers: 2 });
const baseCfg = { peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: ['q_proj'], bias: 'none' };

function tensors(layerName: (l: number) => string, r = 4): TensorToWrite[] {
  const { inDim, outDim } = loraTargetDims(model, 'q');
  return [0, 1].flatMap((l) => [
    { name: `base_model.model.model.layers.${layerName(l)}.self_attn.q_proj.lora_A.weight`, shape: [r, inDim], data: new Float32Array(r * inDim).fill(0.01) },
    { name: `base_model.model.model.layers.${layerName(l)}.self_attn.q_proj.lora_B.weight`, shape: [inDim === outDim ? outDim : outDim, r], data: new Float32Array(outDim * r).fill(0.01) },
  ]);
}

function outcome(cfg: unknown, t: TensorToWrite[] = tensors(String)): { code: string; ms: number } {
  const t0 = performance.now();
  try {
    parsePeftAdapter({ config: typeof cfg === 'string' ? cfg : JSON.stringify(cfg), weights: writeSafetensors(t) }, model);
  } catch (e) {
    if (!isTributaryError(e)) return { code: `untyped: ${String(e)}`, ms: performance.now() - t0 };
    return { code: e.code, ms: performance.now() - t0 };
  }
  return { code: 'accepted', ms: performance.now() - t0 };
}

describe('hostile PEFT adapters', () => {
  it('the base adapter is accepted', () => {
    expect(outcome(baseCfg).code).toBe('accepted');
  });

  it.each([
    ['lora_alpha 1e308', { ...baseCfg, lora_alpha: 1e308 }],
    ['lora_alpha -16', { ...baseCfg, lora_alpha: -16 }],
    ['lora_alpha that makes the scale huge with rsLoRA', { ...baseCfg, lora_alpha: 60_000, r: 4, use_rslora: true }],
    ['r of 2^40', { ...baseCfg, r: 2 ** 40 }],
    ['target_modules regex (0+)+ over a long layer index', { ...baseCfg, target_modules: 'model\\.layers\\.(0+)+\\.self_attn\\.q_proj' }],
    ['target_modules regex (.*)*x', { ...baseCfg, target_modules: '(.*)*x' }],
    ['target_modules regex (a|a)*', { ...baseCfg, target_modules: '(m|m)*odel.*' }],
    ['target_modules regex with a backreference', { ...baseCfg, target_modules: '(.*)\\1' }],
    ['target_modules regex with too many unbounded repeats', { ...baseCfg, target_modules: '.*.*.*.*.*.*.*.*x' }],
  ])('%s → lora/config', (_, cfg) => {
    const r = outcome(cfg);
    expect(r.code).toBe('lora/config');
    expect(r.ms).toBeLessThan(2000);
  });

  it('a tensor name with a long zero-padded layer index is refused (never fed to the regex)', () => {
    const cfg = { ...baseCfg, target_modules: 'model\\.layers\\.\\d+\\.self_attn\\.q_proj' };
    expect(outcome(cfg).code).toBe('accepted');
    const r = outcome(cfg, tensors((l) => '0'.repeat(40) + String(l)));
    expect(r.code).toBe('lora/weights');
  });

  it('config and PEFT fields nested a million deep → lora/config, not a stack overflow', () => {
    const deep = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
    for (const field of ['peft_type', 'lora_alpha', 'target_modules', 'modules_to_save', 'bias']) {
      const text = JSON.stringify({ ...baseCfg, [field]: 0 }).replace(`"${field}":0`, `"${field}":${deep}`);
      expect(outcome(text).code).toBe('lora/config');
    }
  });
});
