import type { LlamaConfig } from '../model/types.ts';
import type { TensorToWrite } from './safetensors.ts';

/** Test helper: HF-named tensors for a config, each filled with a value that identifies it. */
export function hfTensors(c: LlamaConfig): TensorToWrite[] {
  let k = 0;
  const t = (name: string, shape: number[]): TensorToWrite => {
    const n = shape.reduce((a, b) => a * b, 1);
    const tag = ++k;
    return { name, shape, data: Float32Array.from({ length: n }, (_, i) => tag + i / 1000) };
  };
  const d = c.hiddenSize;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const list = [t('model.embed_tokens.weight', [c.vocabSize, d]), t('model.norm.weight', [d])];
  if (!c.tieWordEmbeddings) list.push(t('lm_head.weight', [c.vocabSize, d]));
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}.`;
    list.push(
      t(`${p}input_layernorm.weight`, [d]),
      t(`${p}post_attention_layernorm.weight`, [d]),
      t(`${p}self_attn.q_proj.weight`, [q, d]),
      t(`${p}self_attn.k_proj.weight`, [kv, d]),
      t(`${p}self_attn.v_proj.weight`, [kv, d]),
      t(`${p}self_attn.o_proj.weight`, [d, q]),
      t(`${p}mlp.gate_proj.weight`, [c.intermediateSize, d]),
      t(`${p}mlp.up_proj.weight`, [c.intermediateSize, d]),
      t(`${p}mlp.down_proj.weight`, [d, c.intermediateSize]),
    );
    if (c.attentionBias) list.push(t(`${p}self_attn.q_proj.bias`, [q]), t(`${p}self_attn.k_proj.bias`, [kv]), t(`${p}self_attn.v_proj.bias`, [kv]));
  }
  return list;
}

