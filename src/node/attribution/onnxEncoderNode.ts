/**
 * The ONNX sentence encoder in Node (the CLI's `--encoder <dir or url>`, tests): the same `onnxruntime-web` package
 * the attribution worker runs, with its wasm files from node_modules (no network), single-threaded.
 */
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { configureOrtForNode } from '../engine/reference/ortReference.ts';
import { readEncoderFolder, urlReader, type EncoderDownloadProgress, type EncoderFileReader } from '../../attribution/onnxEncoder/encoderFolder.ts';
import { createOnnxEncoder, type EncoderFiles, type OnnxPassageEncoder } from '../../attribution/onnxEncoder/onnxEncoder.ts';

/** Reads files of a local folder; a missing file is null. */
export function dirReader(dir: string): EncoderFileReader {
  return async (path) => {
    try {
      return new Uint8Array(await readFile(join(dir, path)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  };
}

export const isUrl = (where: string): boolean => /^https?:\/\//i.test(where);

/** The encoder folder at `where` (a local folder or an http(s) URL) as files. */
export function readEncoderFrom(where: string, onProgress?: (p: EncoderDownloadProgress) => void): Promise<EncoderFiles> {
  const name = basename(isUrl(where) ? new URL(where).pathname.replace(/\/+$/, '') : resolve(where)) || 'encoder';
  return readEncoderFolder(isUrl(where) ? urlReader(where) : dirReader(where), name, onProgress);
}

export async function loadOnnxEncoderNode(where: string | EncoderFiles, onProgress?: (p: EncoderDownloadProgress) => void): Promise<OnnxPassageEncoder> {
  const files = typeof where === 'string' ? await readEncoderFrom(where, onProgress) : where;
  return createOnnxEncoder(files, configureOrtForNode());
}
