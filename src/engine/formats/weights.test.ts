import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../core/errors.ts';
import type { LlamaConfig } from '../model/types.ts';
import { parseModelConfig, modelConfigToHfJson } from './config.ts';
import { writeSafetensors, type TensorToWrite } from './safetensors.ts';
import { hfTensors } from './testModel.testkit.ts';
import { checkCheckpoint, hfTensorsFromWeights, loadModelWeights, openCheckpoint, parseWeightMap, type OpenFile } from './weights.ts';

const base: LlamaConfig = {
  vocabSize: 11,
  hiddenSize: 8,
  intermediateSize: 12,
  numLayers: 2,
  numHeads: 2,
  numKvHeads: 1,
  headDim: 4,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  ropeScaling: null,
  maxPositionEmbeddings: 64,
  tieWordEmbeddings: false,
  attentionBias: false,
};

const single = (tensors: TensorToWrite[]): OpenFile => {
  const f = writeSafetensors(tensors);
  return (name) => (name === 'model.safetensors' ? Promise.resolve(f) : Promise.reject(new Error(`no ${name}`)));
};

async function codeOf(f: () => Promise<unknown>): Promise<string> {
  try {
    await f();
  } catch (e) {
    return isTributaryError(e) ? `${e.code}: ${e.message}` : `not-a-TributaryError: ${String(e)}`;
  }
  return 'ok';
}

describe('loadModelWeights', () => {
  it('maps every HF tensor to its place (untied, Llama)', async () => {
    const tensors = hfTensors(base);
    const src = await openCheckpoint(single([...tensors, { name: 'model.layers.0.self_attn.rotary_emb.inv_freq', shape: [2], data: [1, 2] }]));
    const progress: number[] = [];
    const w = await loadModelWeights(base, src, { onProgress: (d) => progress.push(d) });
    const by = new Map(tensors.map((t) => [t.name, t.data as Float32Array]));
    expect(w.embed).toMatchObject({ kind: 'f32', rows: 11, cols: 8 });
    expect(w.embed.data).toEqual(by.get('model.embed_tokens.weight'));
    expect(w.lmHead!.data).toEqual(by.get('lm_head.weight'));
    expect(w.finalNorm).toEqual(by.get('model.norm.weight'));
    expect(w.layers).toHaveLength(2);
    const L1 = w.layers[1]!;
    expect(L1.q).toMatchObject({ rows: 8, cols: 8 });
    expect(L1.k).toMatchObject({ rows: 4, cols: 8 });
    expect(L1.o).toMatchObject({ rows: 8, cols: 8 });
    expect(L1.down).toMatchObject({ rows: 8, cols: 12 });
    expect(L1.gate.data).toEqual(by.get('model.layers.1.mlp.gate_proj.weight'));
    expect(L1.inputNorm).toEqual(by.get('model.layers.1.input_layernorm.weight'));
    expect(L1.postAttentionNorm).toEqual(by.get('model.layers.1.post_attention_layernorm.weight'));
    expect(L1.qBias).toBeUndefined();
    expect(progress.at(-1)).toBe(3 + 2 * 9);
  });

  it('Qwen2: q/k/v biases; tied embeddings ignore a shipped lm_head', async () => {
    const c = { ...base, attentionBias: true, tieWordEmbeddings: true };
    const tensors = hfTensors(c);
    const w = await loadModelWeights(c, await openCheckpoint(single([...tensors, { name: 'lm_head.weight', shape: [11, 8], data: new Float32Array(88) }])));
    expect(w.lmHead).toBeUndefined();
    expect(w.layers[0]!.qBias).toHaveLength(8);
    expect(w.layers[0]!.kBias).toHaveLength(4);
    expect(w.layers[0]!.vBias).toEqual(tensors.find((t) => t.name === 'model.layers.0.self_attn.v_proj.bias')!.data);
  });

  it('sharded checkpoints through model.safetensors.index.json', async () => {
    const tensors = hfTensors(base);
    const a = writeSafetensors(tensors.slice(0, 10));
    const b = writeSafetensors(tensors.slice(10));
    const files: Record<string, Uint8Array> = { 'model-00001-of-00002.safetensors': a, 'model-00002-of-00002.safetensors': b };
    const index = {
      metadata: { total_size: a.length + b.length },
      weight_map: Object.fromEntries(tensors.map((t, i) => [t.name, i < 10 ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors'])),
    };
    const opened: string[] = [];
    const src = await openCheckpoint(
      (n) => {
        opened.push(n);
        return Promise.resolve(files[n]!);
      },
      { index: JSON.stringify(index) },
    );
    expect(opened.sort()).toEqual(Object.keys(files).sort());
    expect(src.fileOf('model.layers.1.mlp.down_proj.weight')).toBe('model-00002-of-00002.safetensors');
    const w = await loadModelWeights(base, src);
    expect(w.layers[1]!.down.data).toEqual(tensors.find((t) => t.name === 'model.layers.1.mlp.down_proj.weight')!.data);

    // the index names a tensor its shard does not hold
    const lying = { weight_map: { ...index.weight_map, 'model.norm.weight': 'model-00002-of-00002.safetensors' } };
    expect(tensors.findIndex((t) => t.name === 'model.norm.weight')).toBeLessThan(10); // it really is in shard 1
    expect(await codeOf(() => openCheckpoint((n) => Promise.resolve(files[n]!), { index: lying }))).toMatch(/^model\/missing-tensor: .*index says "model.norm.weight" is in model-00002/);
    expect(await codeOf(() => openCheckpoint((n) => Promise.resolve(files[n]!), { index: '{"weight_map": {"x": "../evil.safetensors"}}' }))).toMatch(/^model\/safetensors/);
    expect(() => parseWeightMap('{"nope": 1}')).toThrow(/weight_map/);
  });

  it('names the missing tensor', async () => {
    const tensors = hfTensors(base).filter((t) => t.name !== 'model.layers.1.mlp.up_proj.weight');
    const r = await codeOf(async () => loadModelWeights(base, await openCheckpoint(single(tensors))));
    expect(r).toMatch(/^model\/missing-tensor: the checkpoint has no tensor "model.layers.1.mlp.up_proj.weight" \(expected shape \[12, 8\]\)/);
  });

  it('names a tensor with the wrong shape', async () => {
    const tensors = hfTensors(base).map((t) => (t.name === 'model.layers.0.self_attn.k_proj.weight' ? { ...t, shape: [8, 4] } : t));
    const r = await codeOf(async () => checkCheckpoint(base, await openCheckpoint(single(tensors))));
    expect(r).toMatch(/^model\/tensor-shape: model.safetensors: tensor "model.layers.0.self_attn.k_proj.weight" has shape \[8, 4\], but config.json implies \[4, 8\]/);
  });

  it('refuses NaN weights by default', async () => {
    const tensors = hfTensors(base).map((t) => (t.name === 'model.norm.weight' ? { ...t, data: Float32Array.from(t.data as Float32Array, (x, i) => (i === 3 ? NaN : x)) } : t));
    expect(await codeOf(async () => loadModelWeights(base, await openCheckpoint(single(tensors))))).toMatch(/^model\/non-finite: .*"model.norm.weight" holds NaN at element 3/);
  });

  it('hfTensorsFromWeights + modelConfigToHfJson write a checkpoint that loads back identically (bf16 too)', async () => {
    const cfg = parseModelConfig(modelConfigToHfJson({ ...base, attentionBias: true, architecture: 'Qwen2ForCausalLM', eosTokenIds: [2] }));
    const w = await loadModelWeights(cfg, await openCheckpoint(single(hfTensors(cfg))));
    const again = await loadModelWeights(cfg, await openCheckpoint(single(hfTensorsFromWeights(cfg, w))));
    expect(again).toEqual(w);
    const bf = await loadModelWeights(cfg, await openCheckpoint(single(hfTensorsFromWeights(cfg, w, 'BF16'))));
    expect(bf.embed.data[5]).toBeCloseTo(w.embed.data[5]!, 2);
  });
});
