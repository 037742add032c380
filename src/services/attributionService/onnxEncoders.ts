/**
 * The ONNX sentence encoders the attribution worker has loaded, by URL (the user's choice in Settings → Attribution
 * encoder): each is downloaded once (progress reported as the `download` phase), made into a `PassageEncoder` with the
 * host's onnxruntime (the worker's `onnxruntime-web`, or Node's in tests) and kept for the worker's life. A failed
 * load is forgotten, so the next call tries again (a fixed URL, a server back up).
 */
import { TributaryError } from '../../core/errors.ts';
import { readEncoderFolder, urlReader } from '../../attribution/onnxEncoder/encoderFolder.ts';
import { createOnnxEncoder, type OnnxPassageEncoder, type OrtRuntime } from '../../attribution/onnxEncoder/onnxEncoder.ts';

export type DownloadProgress = (file: string, done: number, total: number) => void;

export class OnnxEncoders {
  private readonly loaded = new Map<string, Promise<OnnxPassageEncoder>>();

  constructor(
    private readonly runtime: (() => Promise<OrtRuntime>) | undefined,
    private readonly fetchFn: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  get(url: string, onProgress?: DownloadProgress): Promise<OnnxPassageEncoder> {
    if (typeof url !== 'string' || url.trim() === '') return Promise.reject(new TributaryError('encoder/fetch', 'give the URL of the encoder folder.'));
    const key = url.trim();
    let p = this.loaded.get(key);
    if (!p) {
      p = this.load(key, onProgress);
      this.loaded.set(key, p);
      p.catch(() => this.loaded.delete(key));
    }
    return p;
  }

  private async load(url: string, onProgress?: DownloadProgress): Promise<OnnxPassageEncoder> {
    if (!this.runtime) throw new TributaryError('encoder/fetch', 'this host has no onnxruntime to run an ONNX encoder with.');
    const name = decodeURIComponent(new URL(url.endsWith('/') ? url : `${url}/`, 'http://x/').pathname.split('/').filter(Boolean).at(-1) ?? 'encoder');
    const files = await readEncoderFolder(urlReader(url, this.fetchFn), name, (p) => onProgress?.(p.file, p.done, p.total));
    return createOnnxEncoder(files, await this.runtime());
  }
}
