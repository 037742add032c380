/**
 * Loads a model folder (HF layout: config.json, model.safetensors, tokenizer.json, tokenizer_config.json) in Node
 * onto the CPU backend, with greedy chat generation and the model's own passage encoder. Default folder: the
 * bundled demo model (`public/models/tributary-demo`, trained by `npm run train:demo`, committed).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { sha256Hex } from '../../src/core/hash.ts';
import { modelWeightsHash } from '../../src/core/attribution/weightsHash.ts';
import type { Hex } from '../../src/core/types.ts';
import { applyChatTemplate, type TokenizerConfig } from '../../src/engine/chat/chatTemplate.ts';
import { createCpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { parseModelConfig, type ModelConfig } from '../../src/engine/formats/config.ts';
import { loadModelWeights, openCheckpoint } from '../../src/engine/formats/weights.ts';
import { createModel, type Model } from '../../src/engine/model/llama.ts';
import { generate } from '../../src/engine/model/generate.ts';
import type { LlamaWeights, LoraAdapterWeights } from '../../src/engine/model/types.ts';
import { loadTokenizer, type Tokenizer } from '../../src/engine/tokenizer/index.ts';
import { modelEncoder } from '../../src/attribution/modelEncoder.ts';
import type { PassageEncoder } from '../../src/attribution/encoder.ts';

export const DEMO_MODEL_DIR = 'public/models/tributary-demo';

/**
 * The content hash of a model folder's weights (core/attribution/weightsHash): `model.safetensors`, or the shards
 * `model.safetensors.index.json` names — the hash the app records for the same files.
 */
export function weightsHashOfDir(dir: string): Hex {
  const index = join(dir, 'model.safetensors.index.json');
  const files = existsSync(index) ? [...new Set(Object.values((JSON.parse(readFileSync(index, 'utf8')) as { weight_map: Record<string, string> }).weight_map))] : ['model.safetensors'];
  return modelWeightsHash(files.map((path) => ({ path, sha256: sha256Hex(new Uint8Array(readFileSync(join(dir, path)))) })));
}

/** An adapter folder (PEFT: adapter_config.json, adapter_model.safetensors): its id and content hash (SHA-256 of its weights). */
export function adapterRefOfDir(dir: string): { id: Hex; hash: Hex } {
  const file = join(resolve(dir), 'adapter_model.safetensors');
  if (!existsSync(file)) throw Object.assign(new Error(`no adapter in ${resolve(dir)} (adapter_model.safetensors missing)`), { code: 'model/missing-file' });
  const hash = sha256Hex(new Uint8Array(readFileSync(file)));
  return { id: hash, hash };
}

export interface LoadedModel {
  id: string;
  hash: Hex;
  dir: string;
  config: ModelConfig;
  weights: LlamaWeights;
  tokenizer: Tokenizer;
  tokenizerConfig: TokenizerConfig;
  model: Model;
  encoder: PassageEncoder;
  /** the adapter in slot 0, if any */
  adapter: { id: string; hash: Hex } | null;
  answer(prompt: string, maxNewTokens?: number): Promise<string>;
}

export async function loadModelDir(dir = DEMO_MODEL_DIR, opts: { adapter?: { id: string; hash: Hex; weights: LoraAdapterWeights; rank: number } } = {}): Promise<LoadedModel> {
  const abs = resolve(dir);
  if (!existsSync(join(abs, 'config.json'))) {
    throw Object.assign(new Error(`no model in ${abs} (config.json missing)${dir === DEMO_MODEL_DIR ? '; restore it with `git checkout -- public/models/tributary-demo` or retrain it with `npm run train:demo`' : ''}`), { code: 'model/missing-file' });
  }
  const config = parseModelConfig(readFileSync(join(abs, 'config.json'), 'utf8'));
  const source = await openCheckpoint(async (name) => new Uint8Array(readFileSync(join(abs, name))));
  const weights = await loadModelWeights(config, source);
  const tokenizer = loadTokenizer(readFileSync(join(abs, 'tokenizer.json'), 'utf8'));
  const tokenizerConfig = JSON.parse(readFileSync(join(abs, 'tokenizer_config.json'), 'utf8')) as TokenizerConfig;
  const model = createModel(createCpuBackend(), config, weights, opts.adapter ? { lora: { slots: 1, maxRank: opts.adapter.rank } } : {});
  const slot = opts.adapter ? 0 : -1;
  if (opts.adapter) model.setLoraSlot(0, opts.adapter.weights);
  const id = basename(abs);
  const hash = weightsHashOfDir(abs);
  // the encoder is the BASE model's (adapter-independent), so one index serves every adapter of this base
  const encoder = modelEncoder(model, { encode: (t) => tokenizer.encode(t) }, { id, hash });
  return {
    id,
    hash,
    dir: abs,
    config,
    weights,
    tokenizer,
    tokenizerConfig,
    model,
    encoder,
    adapter: opts.adapter ? { id: opts.adapter.id, hash: opts.adapter.hash } : null,
    async answer(prompt, maxNewTokens = 48) {
      const text = applyChatTemplate(tokenizerConfig, [{ role: 'user', content: prompt }], { addGenerationPrompt: true });
      const ids = tokenizer.encode(text);
      const it = generate(model, ids, { maxNewTokens, sampling: { temperature: 0 }, stopTokens: config.eosTokenIds, adapterSlot: slot });
      const out: number[] = [];
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        out.push(r.value);
      }
      return tokenizer.decode(out, { skipSpecialTokens: true }).trim();
    },
  };
}
