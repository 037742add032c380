/**
 * The small config of an ONNX sentence encoder folder (`encoder.json`), and its reading from a sentence-transformers
 * folder when the folder has none (`1_Pooling/config.json`, `sentence_bert_config.json`, `modules.json`).
 *
 * ```json
 * { "format": "tributary-sentence-encoder", "name": "all-MiniLM-L6-v2", "model": "onnx/model.onnx",
 *   "tokenizer": "tokenizer.json", "output": "last_hidden_state", "pooling": "mean", "normalize": true,
 *   "dimension": 384, "maxLength": 256 }
 * ```
 * `model`, `tokenizer` and `output` have those defaults (`model.onnx`); `padTokenId` defaults to 0.
 */
import { TributaryError } from '../../core/errors.ts';

export const ENCODER_CONFIG_FILE = 'encoder.json';
export const ENCODER_CONFIG_FORMAT = 'tributary-sentence-encoder';

export type Pooling = 'mean' | 'cls';

export interface EncoderConfig {
  name: string;
  /** path of the ONNX graph inside the folder */
  model: string;
  /** path of the HF tokenizer.json inside the folder */
  tokenizer: string;
  /** the graph output holding per-token states `[B, T, dimension]` */
  output: string;
  pooling: Pooling;
  normalize: boolean;
  dimension: number;
  /** tokens per text, special tokens included (longer texts are cut) */
  maxLength: number;
  padTokenId: number;
}

/** The JSON as written (defaults allowed). */
export interface EncoderConfigJson {
  format: typeof ENCODER_CONFIG_FORMAT;
  name: string;
  model?: string;
  tokenizer?: string;
  output?: string;
  pooling: Pooling;
  normalize: boolean;
  dimension: number;
  maxLength: number;
  padTokenId?: number;
}

const bad = (why: string, file = ENCODER_CONFIG_FILE): never => {
  throw new TributaryError('encoder/bad-file', `${why}. See docs/ATTRIBUTION.md ("An ONNX sentence encoder") for what the file holds.`, file);
};

const relPath = (v: unknown, field: string, fallback: string): string => {
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || v === '' || v.length > 200 || v.startsWith('/') || v.split('/').some((p) => p === '..' || p === '') || /^[a-z]+:/i.test(v)) {
    return bad(`"${field}" must be a relative path inside the encoder folder`);
  }
  return v;
};

/** Validates a parsed `encoder.json`. */
export function parseEncoderConfig(json: unknown, file = ENCODER_CONFIG_FILE): EncoderConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return bad('it is not a JSON object', file);
  const j = json as Record<string, unknown>;
  if (j.format !== ENCODER_CONFIG_FORMAT) bad(`"format" must be "${ENCODER_CONFIG_FORMAT}"`, file);
  if (typeof j.name !== 'string' || j.name.trim() === '' || j.name.length > 100) bad('"name" must be a short text', file);
  if (j.pooling !== 'mean' && j.pooling !== 'cls') bad('"pooling" must be "mean" or "cls"', file);
  if (typeof j.normalize !== 'boolean') bad('"normalize" must be true or false', file);
  if (!Number.isInteger(j.dimension) || (j.dimension as number) < 1 || (j.dimension as number) > 1040) bad('"dimension" must be a whole number from 1 to 1040 (int8 dot products stay exact up to 1040)', file);
  if (!Number.isInteger(j.maxLength) || (j.maxLength as number) < 2 || (j.maxLength as number) > 8192) bad('"maxLength" must be a whole number from 2 to 8192', file);
  if (j.padTokenId !== undefined && (!Number.isInteger(j.padTokenId) || (j.padTokenId as number) < 0)) bad('"padTokenId" must be a token id', file);
  if (j.output !== undefined && (typeof j.output !== 'string' || j.output === '')) bad('"output" must name a graph output', file);
  return {
    name: (j.name as string).trim(),
    model: relPath(j.model, 'model', 'model.onnx'),
    tokenizer: relPath(j.tokenizer, 'tokenizer', 'tokenizer.json'),
    output: (j.output as string | undefined) ?? 'last_hidden_state',
    pooling: j.pooling as Pooling,
    normalize: j.normalize as boolean,
    dimension: j.dimension as number,
    maxLength: j.maxLength as number,
    padTokenId: (j.padTokenId as number | undefined) ?? 0,
  };
}

/**
 * The config of a sentence-transformers folder without an `encoder.json`: pooling and dimension from
 * `1_Pooling/config.json`, the length from `sentence_bert_config.json`, normalisation when `modules.json` lists a
 * `Normalize` module, the graph at `onnx/model.onnx` (where the hub's exports live).
 */
export function configFromSentenceTransformers(name: string, pooling: unknown, sbert: unknown, modules: unknown): EncoderConfig {
  const p = (typeof pooling === 'object' && pooling !== null ? pooling : bad('1_Pooling/config.json is not a JSON object', '1_Pooling/config.json')) as Record<string, unknown>;
  const mode = p.pooling_mode_mean_tokens === true ? 'mean' : p.pooling_mode_cls_token === true ? 'cls' : bad('only mean or CLS pooling is supported', '1_Pooling/config.json');
  const maxLength = typeof sbert === 'object' && sbert !== null ? (sbert as Record<string, unknown>).max_seq_length : undefined;
  const normalize = Array.isArray(modules) && modules.some((m) => typeof m === 'object' && m !== null && String((m as Record<string, unknown>).type ?? '').endsWith('Normalize'));
  return parseEncoderConfig({
    format: ENCODER_CONFIG_FORMAT,
    name,
    model: 'onnx/model.onnx',
    pooling: mode,
    normalize,
    dimension: p.word_embedding_dimension,
    maxLength: Number.isInteger(maxLength) ? maxLength : 256,
  }, '1_Pooling/config.json');
}
