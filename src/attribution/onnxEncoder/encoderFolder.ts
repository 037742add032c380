/**
 * Reads an encoder folder — by URL (fetch, with download progress) or any other way a host reads files (the CLI reads
 * a local folder): `encoder.json`, or failing that a sentence-transformers layout (`1_Pooling/config.json`,
 * `sentence_bert_config.json`, `modules.json`, `onnx/model.onnx`), then the tokenizer and the ONNX graph.
 * A file that is not there is `encoder/missing-file`, one that cannot be read `encoder/bad-file`, a server or network
 * failure `encoder/fetch`: each names the file and says what to do.
 */
import { TributaryError } from '../../core/errors.ts';
import { configFromSentenceTransformers, ENCODER_CONFIG_FILE, parseEncoderConfig, type EncoderConfig } from './encoderConfig.ts';
import type { EncoderFiles } from './onnxEncoder.ts';

/** One file of the folder by its relative path, or null when the folder has no such file. */
export type EncoderFileReader = (path: string, onBytes?: (done: number, total: number) => void) => Promise<Uint8Array | null>;

export interface EncoderDownloadProgress {
  file: string;
  done: number;
  /** 0 when the server does not say */
  total: number;
}

/** Larger files are refused (the largest sentence encoders people run in a browser are a few hundred MB). */
export const MAX_ENCODER_FILE_BYTES = 1 << 30;

/** Reads files under `baseUrl` (a folder URL; a trailing slash is added) with `fetchFn`. */
export function urlReader(baseUrl: string, fetchFn: typeof fetch = fetch): EncoderFileReader {
  let base: URL;
  try {
    base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  } catch {
    throw new TributaryError('encoder/fetch', `"${baseUrl}" is not a URL; give the address of the encoder's folder (e.g. https://…/all-MiniLM-L6-v2/).`);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new TributaryError('encoder/fetch', `"${baseUrl}" is not an http(s) address.`);
  return async (path, onBytes) => {
    const url = new URL(path, base).href;
    let res: Response;
    try {
      res = await fetchFn(url);
    } catch (e) {
      throw new TributaryError('encoder/fetch', `could not reach ${url} (${(e as Error).message}); check the address and your connection, and that the server allows this origin (CORS).`, path, { cause: e });
    }
    if (res.status === 404 || res.status === 410) return null;
    if (!res.ok) throw new TributaryError('encoder/fetch', `the server answered ${res.status} ${res.statusText} for ${url}.`, path);
    const total = Number(res.headers.get('content-length') ?? 0) || 0;
    if (total > MAX_ENCODER_FILE_BYTES) throw new TributaryError('encoder/bad-file', `it is ${total} bytes, more than the ${MAX_ENCODER_FILE_BYTES} accepted.`, path);
    if (!res.body) return new Uint8Array(await res.arrayBuffer());
    const parts: Uint8Array[] = [];
    let done = 0;
    const reader = res.body.getReader();
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      parts.push(r.value);
      done += r.value.length;
      if (done > MAX_ENCODER_FILE_BYTES) {
        await reader.cancel();
        throw new TributaryError('encoder/bad-file', `it is more than the ${MAX_ENCODER_FILE_BYTES} bytes accepted.`, path);
      }
      onBytes?.(done, total);
    }
    const out = new Uint8Array(done);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
}

function json(bytes: Uint8Array, file: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new TributaryError('encoder/bad-file', `it is not JSON (${(e as Error).message}).`, file);
  }
}

/** The config, tokenizer and graph of an encoder folder; `name` is used when the folder has no encoder.json. */
export async function readEncoderFolder(read: EncoderFileReader, name: string, onProgress?: (p: EncoderDownloadProgress) => void): Promise<EncoderFiles> {
  const get = async (path: string): Promise<Uint8Array | null> => {
    onProgress?.({ file: path, done: 0, total: 0 });
    const bytes = await read(path, (done, total) => onProgress?.({ file: path, done, total }));
    if (bytes) onProgress?.({ file: path, done: bytes.length, total: bytes.length });
    return bytes;
  };
  const missing = (path: string, why: string): never => {
    throw new TributaryError('encoder/missing-file', `the encoder folder has no ${path}; ${why}`, path);
  };
  let config: EncoderConfig;
  let modelPaths: string[];
  const own = await get(ENCODER_CONFIG_FILE);
  if (own) {
    config = parseEncoderConfig(json(own, ENCODER_CONFIG_FILE));
    modelPaths = [config.model];
  } else {
    const pooling = await get('1_Pooling/config.json');
    if (!pooling) missing(ENCODER_CONFIG_FILE, 'give the URL of a folder holding encoder.json, tokenizer.json and the ONNX model (or a sentence-transformers folder with 1_Pooling/config.json and onnx/model.onnx).');
    const sbert = await get('sentence_bert_config.json');
    const modules = await get('modules.json');
    config = configFromSentenceTransformers(name, json(pooling!, '1_Pooling/config.json'), sbert ? json(sbert, 'sentence_bert_config.json') : null, modules ? json(modules, 'modules.json') : null);
    modelPaths = ['onnx/model.onnx', 'model.onnx'];
  }
  const tok = await get(config.tokenizer);
  if (!tok) return missing(config.tokenizer, 'the encoder needs its HF tokenizer.json.');
  let tokenizerJson: string;
  try {
    tokenizerJson = new TextDecoder('utf-8', { fatal: true }).decode(tok);
  } catch {
    throw new TributaryError('encoder/bad-file', 'it is not UTF-8 text.', config.tokenizer);
  }
  let model: Uint8Array | null = null;
  for (const p of modelPaths) {
    model = await get(p);
    if (model) {
      config = { ...config, model: p };
      break;
    }
  }
  if (!model) return missing(modelPaths[0]!, 'export the model to ONNX (e.g. with optimum) and put it there, or name its path in encoder.json ("model").');
  if (model.length < 16) throw new TributaryError('encoder/bad-file', `it holds only ${model.length} bytes: not an ONNX model.`, config.model);
  return { config, tokenizerJson, model };
}
