import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../core/errors.ts';
import { sha256Hex } from '../../core/hash.ts';
import { writeSafetensors, type TensorToWrite } from '../formats/safetensors.ts';
import { loraTargetDims } from '../model/loraTargetDims.ts';
import { randomAdapter, randomConfig } from '../model/randomModel.ts';
import { LORA_TARGETS, type LoraTarget } from '../model/types.ts';
import { createPeftAdapter, loraScale, parsePeftAdapter, peftTensorName, writePeftAdapter, PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE } from './peft.ts';

const config = randomConfig({ numLayers: 2 });
const OWNER = '0x1111111111111111111111111111111111111111' as const;
const baseCfg = { peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj'], fan_in_fan_out: false, bias: 'none' };

/** PEFT files for a config object and tensors (default: correct q/v tensors of rank 4 for both layers). */
function files(cfg: Record<string, unknown> = baseCfg, tensors?: TensorToWrite[], metadata?: Record<string, string>): { config: string; weights: Uint8Array } {
  return { config: JSON.stringify(cfg), weights: writeSafetensors(tensors ?? qvTensors(4), metadata) };
}

function qvTensors(r: number, targets: readonly LoraTarget[] = ['q', 'v'], fill = 0.01): TensorToWrite[] {
  const out: TensorToWrite[] = [];
  for (let l = 0; l < config.numLayers; l++) {
    for (const t of targets) {
      const { inDim, outDim } = loraTargetDims(config, t);
      out.push({ name: peftTensorName(l, t, 'A'), shape: [r, inDim], data: new Float32Array(r * inDim).fill(fill) });
      out.push({ name: peftTensorName(l, t, 'B'), shape: [outDim, r], data: new Float32Array(outDim * r).fill(-fill) });
    }
  }
  return out;
}

function errOf(f: () => unknown): { code: string; message: string } | undefined {
  try {
    f();
  } catch (e) {
    if (isTributaryError(e)) return { code: e.code, message: e.message };
    return { code: `not-a-TributaryError`, message: String(e) };
  }
  return undefined;
}

const parse = (f: { config: string | Uint8Array; weights: Uint8Array }) => parsePeftAdapter(f, config);

describe('PEFT adapters', () => {
  it('round-trips: parse(write(a)) has the same matrices and metadata, and writing again gives the same bytes', () => {
    const w = randomAdapter(config, { seed: 5, rank: 4, alpha: 16, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] });
    const a = createPeftAdapter(w, config, { name: 'legal-qa', owner: OWNER, datanets: ['dn-1', 'dn-2'], baseModel: 'HuggingFaceTB/SmolLM2-135M' });
    const out = writePeftAdapter(a);
    expect(Object.keys(out).sort()).toEqual([PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE]);
    expect(sha256Hex(out[PEFT_WEIGHTS_FILE])).toBe(a.meta.id);
    expect(a.meta.bytes).toBe(out[PEFT_WEIGHTS_FILE].length);
    const cfg = JSON.parse(new TextDecoder().decode(out[PEFT_CONFIG_FILE])) as Record<string, unknown>;
    expect(cfg).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 16, use_rslora: false, fan_in_fan_out: false, base_model_name_or_path: 'HuggingFaceTB/SmolLM2-135M' });
    expect(cfg['target_modules']).toEqual(['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']);
    const b = parsePeftAdapter({ config: out[PEFT_CONFIG_FILE], weights: out[PEFT_WEIGHTS_FILE] }, config);
    expect(b.meta).toEqual(a.meta);
    expect(b.meta).toMatchObject({ name: 'legal-qa', owner: OWNER, datanets: ['dn-1', 'dn-2'], rank: 4, alpha: 16, scale: 4, targets: LORA_TARGETS });
    expect(b.weights).toEqual({ ...w, scale: 4 });
    const again = writePeftAdapter(b);
    expect(again[PEFT_WEIGHTS_FILE]).toEqual(out[PEFT_WEIGHTS_FILE]);
    expect(again[PEFT_CONFIG_FILE]).toEqual(out[PEFT_CONFIG_FILE]);
  });

  it('reads plain PEFT files: F16/BF16 tensors, "default" infix, no prefix, all-linear, regex targets, rsLoRA, layers_to_transform', () => {
    const f16 = qvTensors(4).map((t) => ({ ...t, dtype: 'F16' as const }));
    const a = parse(files(baseCfg, f16));
    expect(a.meta).toMatchObject({ rank: 4, alpha: 8, scale: 2, targets: ['q', 'v'], owner: null, name: 'adapter', datanets: [], baseModel: null });
    expect(a.weights.layers[1]!.q!.A[0]).toBeCloseTo(0.01, 4);
    const bf = parse(files(baseCfg, qvTensors(4).map((t) => ({ ...t, dtype: 'BF16' as const }))));
    expect(bf.weights.layers[0]!.v!.B[0]).toBeCloseTo(-0.01, 3);
    const infix = qvTensors(4).map((t) => ({ ...t, name: t.name.replace('.weight', '.default.weight') }));
    expect(parse(files(baseCfg, infix)).meta.targets).toEqual(['q', 'v']);
    const noPrefix = qvTensors(4).map((t) => ({ ...t, name: t.name.replace('base_model.model.', '') }));
    expect(parse(files(baseCfg, noPrefix)).meta.targets).toEqual(['q', 'v']);
    expect(parse(files({ ...baseCfg, target_modules: 'all-linear' }, qvTensors(4, LORA_TARGETS))).meta.targets).toEqual(LORA_TARGETS);
    expect(parse(files({ ...baseCfg, target_modules: '.*\\.(q|v)_proj' })).meta.targets).toEqual(['q', 'v']);
    expect(parse(files({ ...baseCfg, target_modules: ['model.layers.0.self_attn.q_proj', 'model.layers.1.self_attn.q_proj', 'v_proj'] })).meta.targets).toEqual(['q', 'v']);
    const rs = parse(files({ ...baseCfg, use_rslora: true }));
    expect(rs.meta.scale).toBe(8 / 2);
    expect(rs.weights.scale).toBe(loraScale(4, 8, true));
    const one = parse(files({ ...baseCfg, layers_to_transform: [1] }, qvTensors(4).filter((t) => t.name.includes('layers.1.'))));
    expect(one.weights.layers[0]).toEqual({});
    expect(Object.keys(one.weights.layers[1]!)).toEqual(['q', 'v']);
    // provenance from the file's metadata; the caller's info wins
    const md = { 'tributary.name': 'from-file', 'tributary.owner': OWNER, 'tributary.datanets': '["dn-9"]' };
    expect(parse(files(baseCfg, undefined, md)).meta).toMatchObject({ name: 'from-file', owner: OWNER, datanets: ['dn-9'] });
    expect(parsePeftAdapter(files(baseCfg, undefined, md), config, { name: 'mine', owner: null }).meta).toMatchObject({ name: 'mine', owner: null, datanets: ['dn-9'] });
    // the id is the sha256 of the safetensors bytes
    const f = files();
    expect(parse(f).meta.id).toBe(sha256Hex(f.weights));
  });

  it('reads a config as peft writes it (every field of LoraConfig)', () => {
    const real = {
      alpha_pattern: {},
      auto_mapping: null,
      base_model_name_or_path: 'HuggingFaceTB/SmolLM2-135M',
      bias: 'none',
      exclude_modules: null,
      fan_in_fan_out: false,
      inference_mode: true,
      init_lora_weights: true,
      layer_replication: null,
      layers_pattern: null,
      layers_to_transform: null,
      loftq_config: {},
      lora_alpha: 16,
      lora_bias: false,
      lora_dropout: 0.05,
      megatron_config: null,
      megatron_core: 'megatron.core',
      modules_to_save: null,
      peft_type: 'LORA',
      r: 4,
      rank_pattern: {},
      revision: null,
      target_modules: ['v_proj', 'q_proj'],
      task_type: 'CAUSAL_LM',
      trainable_token_indices: null,
      use_dora: false,
      use_rslora: false,
    };
    expect(parse(files(real)).meta).toMatchObject({ rank: 4, alpha: 16, scale: 4, targets: ['q', 'v'], baseModel: 'HuggingFaceTB/SmolLM2-135M' });
    const partial = qvTensors(4).filter((t) => !t.name.includes('layers.1.self_attn.q_proj'));
    expect(parse(files({ ...real, exclude_modules: ['model.layers.1.self_attn.q_proj'] }, partial)).weights.layers[1]).not.toHaveProperty('q');
    expect(errOf(() => parse(files({ ...real, layer_replication: [[0, 2]] })))?.message).toMatch(/layer_replication/);
    expect(errOf(() => parse(files({ ...real, trainable_token_indices: [1, 2] })))?.message).toMatch(/trainable_token_indices/);
  });

  it('a scale the config cannot express is folded into B; a rank-0 adapter round-trips', () => {
    const w = { ...randomAdapter(config, { seed: 1, rank: 2, alpha: 4, targets: ['o'] }), scale: 3 };
    const a = createPeftAdapter(w, config);
    const back = parse({ config: writePeftAdapter(a)[PEFT_CONFIG_FILE], weights: writePeftAdapter(a)[PEFT_WEIGHTS_FILE] });
    expect(back.weights.scale).toBe(2);
    const B0 = w.layers[0]!.o!.B;
    back.weights.layers[0]!.o!.B.forEach((x, i) => expect(x).toBeCloseTo(B0[i]! * 1.5, 6));
    const zero = createPeftAdapter({ rank: 0, alpha: 0, layers: [{ q: { A: new Float32Array(0), B: new Float32Array(0) } }, {}] }, config);
    const zf = writePeftAdapter(zero);
    const z = parse({ config: zf[PEFT_CONFIG_FILE], weights: zf[PEFT_WEIGHTS_FILE] });
    expect(z.meta).toEqual(zero.meta);
    expect(z.weights.scale).toBe(0);
  });

  it('refuses malformed adapter_config.json clearly (lora/config)', () => {
    const cases: [unknown, RegExp][] = [
      ['{not json', /not JSON/],
      [[1, 2], /not a JSON object/],
      [{ ...baseCfg, peft_type: 'IA3' }, /only LORA/],
      [{ ...baseCfg, r: -1 }, /r must be/],
      [{ ...baseCfg, r: 2.5 }, /r must be/],
      [{ ...baseCfg, lora_alpha: 'x' }, /lora_alpha/],
      [{ ...baseCfg, fan_in_fan_out: true }, /fan_in_fan_out/],
      [{ ...baseCfg, use_dora: true }, /DoRA/],
      [{ ...baseCfg, rank_pattern: { q_proj: 8 } }, /rank_pattern/],
      [{ ...baseCfg, alpha_pattern: { q_proj: 8 } }, /alpha_pattern/],
      [{ ...baseCfg, modules_to_save: ['lm_head'] }, /modules_to_save/],
      [{ ...baseCfg, bias: 'all' }, /bias/],
      [{ ...baseCfg, target_modules: ['q_proj', 'embed_tokens'] }, /embed_tokens.*cannot adapt/],
      [{ ...baseCfg, target_modules: undefined }, /missing/],
      [{ ...baseCfg, target_modules: [] }, /empty/],
      [{ ...baseCfg, target_modules: '(' }, /regular expression/],
      [{ ...baseCfg, use_rslora: 'yes' }, /use_rslora/],
      [{ ...baseCfg, layers_to_transform: ['a'] }, /layers_to_transform/],
    ];
    for (const [cfg, re] of cases) {
      const f = { config: typeof cfg === 'string' ? cfg : JSON.stringify(cfg), weights: writeSafetensors(qvTensors(4)) };
      const e = errOf(() => parse(f));
      expect(e?.code, JSON.stringify(cfg)).toBe('lora/config');
      expect(e?.message).toMatch(re);
      expect(e?.message).toMatch(/adapter_config\.json/);
    }
    expect(errOf(() => parse({ config: Uint8Array.of(0xff, 0xfe), weights: writeSafetensors(qvTensors(4)) }))?.message).toMatch(/UTF-8/);
    expect(errOf(() => parsePeftAdapter(files(), config, { owner: '0x12' as `0x${string}` }))?.code).toBe('lora/config');
  });

  it('refuses malformed or mismatched adapter_model.safetensors clearly (lora/weights, lora/mismatch)', () => {
    const good = writeSafetensors(qvTensors(4));
    const t = qvTensors(4);
    const nan = t.map((x, i) => (i === 3 ? { ...x, data: Float32Array.from(x.data as Float32Array, (v, j) => (j === 5 ? NaN : v)) } : x));
    const inf = t.map((x, i) => (i === 0 ? { ...x, data: Float32Array.from(x.data as Float32Array, (v, j) => (j === 0 ? Infinity : v)) } : x));
    const { inDim, outDim } = loraTargetDims(config, 'q');
    const cases: [string, Uint8Array, string, RegExp][] = [
      ['truncated', good.subarray(0, good.length - 10), 'lora/weights', /not a valid safetensors/],
      ['header only', good.subarray(0, 6), 'lora/weights', /8-byte header/],
      ['garbage', new Uint8Array(64).fill(7), 'lora/weights', /not a valid safetensors|header length/],
      ['NaN', writeSafetensors(nan), 'lora/weights', /NaN at element 5/],
      ['Inf', writeSafetensors(inf), 'lora/weights', /Infinity at element 0/],
      ['missing B', writeSafetensors(t.filter((x) => x.name !== peftTensorName(1, 'v', 'B'))), 'lora/weights', /Layer 1 v_proj has lora_A but no lora_B/],
      ['missing A', writeSafetensors(t.filter((x) => x.name !== peftTensorName(0, 'q', 'A'))), 'lora/weights', /Layer 0 q_proj has lora_B but no lora_A/],
      ['missing module', writeSafetensors(t.filter((x) => !x.name.includes('layers.1.self_attn.q_proj'))), 'lora/weights', /Layer 1 q_proj is listed.*incomplete/],
      ['not targeted', writeSafetensors([...t, ...qvTensors(4, ['k'])]), 'lora/weights', /target_modules does not name/],
      ['embedding', writeSafetensors([...t, { name: 'base_model.model.model.embed_tokens.lora_embedding_A', shape: [1], data: [0] }]), 'lora/weights', /embeddings/],
      ['dora', writeSafetensors([...t, { name: 'base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector', shape: [1], data: [0] }]), 'lora/weights', /DoRA/],
      ['lm_head', writeSafetensors([...t, { name: 'base_model.model.lm_head.weight', shape: [1], data: [0] }]), 'lora/weights', /modules_to_save/],
      ['unknown module', writeSafetensors([...t, { name: 'base_model.model.model.layers.0.self_attn.rotary.lora_A.weight', shape: [1], data: [0] }]), 'lora/weights', /not a LoRA A\/B/],
      ['q under mlp', writeSafetensors([...t, { name: 'base_model.model.model.layers.0.mlp.q_proj.lora_A.weight', shape: [1], data: [0] }]), 'lora/weights', /not a LoRA A\/B/],
      ['int dtype', writeSafetensors(t.map((x, i) => (i === 0 ? { ...x, dtype: 'I8' as const, data: new Int8Array(x.data.length) } : x))), 'lora/weights', /I8/],
      ['rank differs', writeSafetensors(qvTensors(2)), 'lora/weights', /expected \[4, 64\]/],
      ['A transposed', writeSafetensors(t.map((x, i) => (i === 0 ? { ...x, shape: [inDim, 4] } : x))), 'lora/weights', /A is \[r, in\]/],
      ['other model (in)', writeSafetensors(t.map((x, i) => (i === 0 ? { ...x, shape: [4, inDim * 2], data: new Float32Array(8 * inDim) } : x))), 'lora/mismatch', /another base model/],
      ['other model (out)', writeSafetensors(t.map((x, i) => (i === 1 ? { ...x, shape: [outDim + 8, 4], data: new Float32Array((outDim + 8) * 4) } : x))), 'lora/mismatch', /\[72, 4\], expected \[64, 4\]/],
      ['extra layer', writeSafetensors([...t, ...qvTensors(4).filter((x) => x.name.includes('layers.0.')).map((x) => ({ ...x, name: x.name.replace('layers.0.', 'layers.7.') }))]), 'lora/mismatch', /layer 7.*2 layers/],
      ['duplicate', writeSafetensors([...t, { ...t[0]!, name: t[0]!.name.replace('.weight', '.default.weight') }]), 'lora/weights', /two lora_A/],
      ['no tensors', writeSafetensors([]), 'lora/weights', /incomplete|no LoRA tensors/],
      ['bad owner', writeSafetensors(t, { 'tributary.owner': 'bob' }), 'lora/weights', /not a 0x address/],
      ['bad datanets', writeSafetensors(t, { 'tributary.datanets': '{' }), 'lora/weights', /tributary\.datanets/],
    ];
    for (const [what, weights, code, re] of cases) {
      const e = errOf(() => parse({ config: JSON.stringify(baseCfg), weights }));
      expect(e?.code, what).toBe(code);
      expect(e?.message, what).toMatch(re);
      expect(e?.message, what).toMatch(/adapter_model\.safetensors/);
    }
    const e = errOf(() => parse(files({ ...baseCfg, layers_to_transform: [0] })));
    expect(e?.message).toMatch(/layers_to_transform leaves out/);
    expect(errOf(() => parse(files({ ...baseCfg, layers_to_transform: [5] })))?.code).toBe('lora/mismatch');
  });

  it('createPeftAdapter checks matrices against the model', () => {
    const w = randomAdapter(config, { rank: 2 });
    expect(errOf(() => createPeftAdapter({ ...w, layers: w.layers.slice(1) }, config))?.code).toBe('lora/mismatch');
    expect(errOf(() => createPeftAdapter(w, randomConfig({ numLayers: 2, hiddenSize: 32 })))?.code).toBe('lora/mismatch');
    const bad = randomAdapter(config, { rank: 2, targets: ['q'] });
    bad.layers[0]!.q!.A[3] = NaN;
    expect(errOf(() => createPeftAdapter(bad, config))?.message).toMatch(/NaN/);
  });
});
