/**
 * Loads a base model folder in HF layout (config.json, model.safetensors or a sharded index, tokenizer.json,
 * tokenizer_config.json; demo.json's system prompt when present) as f32 weights for training, in Node.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TributaryError } from '../../src/core/errors.ts';
import type { TokenizerConfig } from '../../src/engine/chat/chatTemplate.ts';
import { parseModelConfig, type ModelConfig } from '../../src/engine/formats/config.ts';
import { INDEX_FILE, loadModelWeights, openCheckpoint } from '../../src/engine/formats/weights.ts';
import type { LlamaWeights } from '../../src/engine/model/types.ts';
import { loadTokenizer, type Tokenizer } from '../../src/engine/tokenizer/tokenizer.ts';

export interface BaseModel {
  dir: string;
  config: ModelConfig;
  weights: LlamaWeights;
  tokenizer: Tokenizer;
  tokenizerConfig: TokenizerConfig;
  systemPrompt: string | null;
  /** the model id adapters name as their base (demo.json's id, else the folder name) */
  id: string;
}

export async function loadBaseModel(dir: string): Promise<BaseModel> {
  const need = (f: string): string => {
    const p = join(dir, f);
    if (!existsSync(p)) throw new TributaryError('model/missing-file', `${f} is missing in ${dir}; give a model folder in Hugging Face layout.`, f);
    return p;
  };
  const config = parseModelConfig(readFileSync(need('config.json'), 'utf8'));
  const index = existsSync(join(dir, INDEX_FILE)) ? readFileSync(join(dir, INDEX_FILE), 'utf8') : null;
  const source = await openCheckpoint((f) => Promise.resolve(new Uint8Array(readFileSync(join(dir, f)))), { index });
  const weights = await loadModelWeights(config, source);
  const tokenizer = loadTokenizer(readFileSync(need('tokenizer.json'), 'utf8'));
  const tokenizerConfig = JSON.parse(readFileSync(need('tokenizer_config.json'), 'utf8')) as TokenizerConfig;
  let systemPrompt: string | null = null;
  let id = dir.replace(/\/+$/, '').replace(/^.*\//, '');
  if (existsSync(join(dir, 'demo.json'))) {
    const demo = JSON.parse(readFileSync(join(dir, 'demo.json'), 'utf8')) as { id?: string; systemPrompt?: string };
    systemPrompt = demo.systemPrompt ?? null;
    id = demo.id ?? id;
  }
  return { dir, config, weights, tokenizer, tokenizerConfig, systemPrompt, id };
}
