import { TributaryError } from '../../core/errors.ts';
import type { TokenizerConfig } from '../chat/chatTemplate.ts';
import { defaultByteCache, type ByteCache } from './byteCache.ts';
import { parseModelConfig, type ModelConfig } from './config.ts';
import { DOWNLOAD_LIMITS, downloadToReader, downloadWithResume, type DownloadOptions, type FetchLike } from './download.ts';
import { blobRangeReader, type RangeReader } from './safetensors.ts';
import { INDEX_FILE, SINGLE_FILE, openCheckpoint, type TensorSource } from './weights.ts';

/** What a source says about a file before it is fetched. */
export interface ManifestEntry {
  path: string;
  size?: number;
  /** hex SHA-256, e.g. the Git LFS oid of a file on the HF hub */
  sha256?: string;
}

/** Progress of one file. */
export interface FileProgress {
  path: string;
  loaded: number;
  total: number | null;
  fromCache?: boolean;
}

/** A folder of model files (HF layout), remote or picked by the user. */
export interface ModelSource {
  /** for messages and cache keys: the base URL, or "local files" */
  readonly label: string;
  /** whole file; `model/missing-file` when the folder has no such file */
  bytes(path: string, onProgress?: (p: FileProgress) => void): Promise<Uint8Array>;
  /** random access to a (large) file; a remote file is downloaded (and cached) first */
  reader(path: string, onProgress?: (p: FileProgress) => void): Promise<RangeReader>;
  /**
   * Every file of the folder when the source knows them (a listing: demo.json, the hub's file list, the files picked),
   * or null when only asking for a file can tell. With a listing, no file outside it is ever requested.
   */
  readonly files: ReadonlySet<string> | null;
}

/** Default model host and path template, as transformers.js's `env.remoteHost` / `env.remotePathTemplate`. */
export const DEFAULT_REMOTE_HOST = 'https://huggingface.co/';
export const DEFAULT_REMOTE_PATH_TEMPLATE = '{model}/resolve/{revision}/';

export interface UrlSourceOptions {
  /** a repo id (`HuggingFaceTB/SmolLM2-135M-Instruct`) resolved against host + path template */
  repo?: string;
  /** or the folder's URL directly (overrides repo/host/template) */
  baseUrl?: string;
  /** default https://huggingface.co/ */
  host?: string;
  /** default '{model}/resolve/{revision}/' */
  pathTemplate?: string;
  /** default 'main' */
  revision?: string;
  fetch?: FetchLike;
  /** default: Cache Storage when available; null disables caching */
  cache?: ByteCache | null;
  /** sizes / hashes to check files against (some files; others are fetched unchecked) */
  manifest?: readonly ManifestEntry[];
  /**
   * EVERY file of the folder, with sizes / hashes when known (demo.json's list, `hubManifest`): a file not in it is
   * never requested (`model/missing-file` at once), and the listed ones are checked as `manifest` entries are.
   */
  listing?: readonly ManifestEntry[];
  maxRetries?: number;
  retryDelayMs?: number;
  signal?: AbortSignal;
}

/** The folder URL for a repo under a host and path template. */
export function modelBaseUrl(opts: Pick<UrlSourceOptions, 'repo' | 'baseUrl' | 'host' | 'pathTemplate' | 'revision'>): string {
  if (opts.baseUrl) return opts.baseUrl.endsWith('/') ? opts.baseUrl : opts.baseUrl + '/';
  if (!opts.repo || !/^[\w.-]+(\/[\w.-]+)?$/.test(opts.repo) || opts.repo.split('/').some((p) => p === '.' || p === '..')) {
    throw new TributaryError('model/fetch', `"${opts.repo ?? ''}" is not a model id like "owner/name".`);
  }
  const host = (opts.host ?? DEFAULT_REMOTE_HOST).replace(/\/?$/, '/');
  const path = (opts.pathTemplate ?? DEFAULT_REMOTE_PATH_TEMPLATE)
    .replaceAll('{model}', opts.repo)
    .replaceAll('{revision}', encodeURIComponent(opts.revision ?? 'main'));
  const url = host + path.replace(/^\//, '');
  return url.endsWith('/') ? url : url + '/';
}

function checkPath(path: string): void {
  if (!path || path.startsWith('/') || path.split('/').some((p) => p === '..' || p === '.' || p === '')) {
    throw new TributaryError('model/missing-file', 'a file path must be relative, inside the model folder.', path);
  }
}

/** Model files fetched over HTTP(S) with progress, resume, caching and size/hash checks. */
export function urlModelSource(opts: UrlSourceOptions): ModelSource {
  const base = modelBaseUrl(opts);
  const cache = opts.cache === undefined ? defaultByteCache() : opts.cache;
  const manifest = new Map([...(opts.listing ?? []), ...(opts.manifest ?? [])].map((e) => [e.path, e]));
  const listed = opts.listing ? new Set(opts.listing.map((e) => e.path)) : null;
  /** downloads `path` (or finds it cached) with `download` (whole bytes, or a range reader) */
  const fetchFile = async <T>(path: string, download: (url: string, o: DownloadOptions) => Promise<T>, onProgress?: (p: FileProgress) => void): Promise<T> => {
    checkPath(path);
    const url = base + path.split('/').map(encodeURIComponent).join('/');
    if (listed && !listed.has(path)) throw new TributaryError('model/missing-file', "the model's file listing has no such file.", path);
    const m = manifest.get(path);
    // a file the source said does not exist (HTTP 404) is remembered, so an offline load does not wait for it
    const absent = url + (url.includes('?') ? '&' : '?') + 'tributary-absent=1';
    if (cache && (await cache.get(absent)) !== null) {
      throw new TributaryError('model/missing-file', 'the source has no such file (remembered from an earlier download).', path);
    }
    return download(url, {
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      cache,
      ...(m?.size !== undefined ? { expectedSize: m.size } : {}),
      ...(m?.sha256 ? { sha256: m.sha256 } : {}),
      ...(opts.maxRetries !== undefined ? { maxRetries: opts.maxRetries } : {}),
      ...(opts.retryDelayMs !== undefined ? { retryDelayMs: opts.retryDelayMs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      // weights (read by range) may be large; every other file of a model folder is small JSON
      maxBytes: download === downloadToReader || path.endsWith('.safetensors') ? DOWNLOAD_LIMITS.maxFileBytes : DOWNLOAD_LIMITS.maxSmallFileBytes,
      name: path,
      onProgress: (loaded, total, fromCache) => onProgress?.({ path, loaded, total, fromCache }),
    }).catch(async (e: unknown) => {
      if (cache && e instanceof TributaryError && e.code === 'model/missing-file') await cache.put(absent, new Uint8Array(0)).catch(() => undefined);
      throw e;
    });
  };
  return {
    label: base,
    files: listed,
    bytes: async (path, onProgress) => (await fetchFile(path, downloadWithResume, onProgress)).bytes,
    // weights are read tensor by tensor: from the cache by range when it can, so the file's bytes do not stay in memory
    reader: async (path, onProgress) => (await fetchFile(path, downloadToReader, onProgress)).reader,
  };
}

/** A file the user picked (a `File`, or any Blob with a name and optionally a folder-relative path). */
export type PickedFile = Blob & { name: string; webkitRelativePath?: string };

/**
 * Model files the user picked (a folder via `<input webkitdirectory>` or several files). Files are
 * matched by name; large files are read lazily by range, never copied whole.
 */
export function filesModelSource(files: Iterable<PickedFile>): ModelSource {
  const byName = new Map<string, PickedFile>();
  for (const f of files) {
    const rel = f.webkitRelativePath || f.name;
    const parts = rel.split('/');
    // "folder/config.json" -> "config.json"; keep deeper paths relative to the picked folder
    const path = parts.length > 1 ? parts.slice(1).join('/') : rel;
    byName.set(path, f);
    if (!byName.has(f.name)) byName.set(f.name, f);
  }
  const find = (path: string): PickedFile => {
    const f = byName.get(path);
    if (!f) throw new TributaryError('model/missing-file', `the picked files do not include ${path}. Pick the whole model folder.`, path);
    return f;
  };
  return {
    label: 'local files',
    files: new Set(byName.keys()),
    bytes: async (path, onProgress) => {
      const f = find(path);
      const b = new Uint8Array(await f.arrayBuffer());
      onProgress?.({ path, loaded: b.length, total: b.length, fromCache: false });
      return b;
    },
    reader: (path, onProgress) => {
      try {
        const f = find(path);
        onProgress?.({ path, loaded: f.size, total: f.size, fromCache: false });
        return Promise.resolve(blobRangeReader(f));
      } catch (e) {
        return Promise.reject(e);
      }
    },
  };
}

/** Overall progress of loading a model folder. */
export interface FolderProgress {
  /** the file that just moved */
  file: FileProgress;
  /** every file seen so far */
  files: FileProgress[];
  loaded: number;
  /** sum of the totals known so far (null while some file's size is unknown) */
  total: number | null;
}

export interface LoadedModelFiles {
  config: ModelConfig;
  /** the raw config.json object */
  configJson: Record<string, unknown>;
  /** tokenizer.json text (give it to `loadTokenizer`) */
  tokenizerJson: string;
  tokenizerConfig: TokenizerConfig | null;
  generationConfig: Record<string, unknown> | null;
  /** the weights' tensors (give it to `loadModelWeights`) */
  checkpoint: TensorSource;
  /** the safetensors files read */
  weightFiles: string[];
}

function parseJsonFile(bytes: Uint8Array, path: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new TributaryError('model/config', `${path} is not valid JSON (${(e as Error).message}).`, path);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TributaryError('model/config', `${path} is not a JSON object.`, path);
  return v as Record<string, unknown>;
}

async function optional<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof TributaryError && e.code === 'model/missing-file') return null;
    throw e;
  }
}

/**
 * Loads an HF model folder: `config.json`, `tokenizer.json`, `tokenizer_config.json` (optional),
 * `generation_config.json` (optional) and the weights (`model.safetensors`, or the shards named by
 * `model.safetensors.index.json`), reporting progress over all files.
 *
 * When the source lists its files, an optional file is read only when listed, and the listing says whether the
 * weights are one file or shards: nothing is requested that the folder does not have. Without a listing, optional
 * files are asked for (a missing one is remembered by the URL source), and the weights as one file first, the index
 * only when there is no single file.
 */
export async function loadModelFiles(source: ModelSource, opts: { onProgress?: (p: FolderProgress) => void } = {}): Promise<LoadedModelFiles> {
  const seen = new Map<string, FileProgress>();
  const report = (p: FileProgress): void => {
    seen.set(p.path, p);
    if (!opts.onProgress) return;
    const files = Array.from(seen.values());
    const loaded = files.reduce((a, f) => a + f.loaded, 0);
    const total = files.every((f) => f.total !== null) ? files.reduce((a, f) => a + (f.total ?? 0), 0) : null;
    opts.onProgress({ file: p, files, loaded, total });
  };
  const forget = (path: string): void => void seen.delete(path);

  const configJson = parseJsonFile(await source.bytes('config.json', report), 'config.json');
  const config = parseModelConfig(configJson);
  const tokenizerJson = new TextDecoder().decode(await source.bytes('tokenizer.json', report));
  const listed = source.files;
  /** an optional file: read when listed (or, without a listing, when the source has it) */
  const maybe = async (path: string): Promise<Uint8Array | null> => {
    if (listed && !listed.has(path)) return null;
    const b = await optional(source.bytes(path, report));
    if (!b) forget(path);
    return b;
  };
  const tc = await maybe('tokenizer_config.json');
  const gc = await maybe('generation_config.json');
  const weightFiles: string[] = [];
  const open = async (file: string): Promise<RangeReader> => {
    weightFiles.push(file);
    return source.reader(file, report);
  };
  const sharded = async (indexBytes: Uint8Array): Promise<TensorSource> => openCheckpoint(open, { index: new TextDecoder().decode(indexBytes) });
  let checkpoint: TensorSource;
  if (listed) {
    if (listed.has(INDEX_FILE)) checkpoint = await sharded(await source.bytes(INDEX_FILE, report));
    else if (listed.has(SINGLE_FILE)) checkpoint = await openCheckpoint(open);
    else throw new TributaryError('model/missing-file', `the folder has neither ${SINGLE_FILE} nor ${INDEX_FILE} (its files: ${[...listed].slice(0, 12).join(', ') || 'none'}). Only safetensors weights can be loaded.`, SINGLE_FILE);
  } else {
    try {
      checkpoint = await openCheckpoint(open);
    } catch (e) {
      if (!(e instanceof TributaryError && e.code === 'model/missing-file' && e.subject === SINGLE_FILE)) throw e;
      // no single file: a sharded checkpoint, or no weights at all (then the single file is what is missing)
      const indexBytes = await optional(source.bytes(INDEX_FILE, report));
      if (!indexBytes) throw e;
      forget(SINGLE_FILE);
      weightFiles.length = 0;
      checkpoint = await sharded(indexBytes);
    }
  }
  return {
    config,
    configJson,
    tokenizerJson,
    tokenizerConfig: tc ? (parseJsonFile(tc, 'tokenizer_config.json') as TokenizerConfig) : null,
    generationConfig: gc ? parseJsonFile(gc, 'generation_config.json') : null,
    checkpoint,
    weightFiles,
  };
}

/**
 * The file list of a hub repo with sizes and, for Git LFS files (the weights), their SHA-256, from
 * the hub's tree API (`{host}api/models/{repo}/tree/{revision}`). Pass it as `listing` to
 * `urlModelSource`: only the files it names are requested, and they are checked against it. With a `cache`, the
 * list is kept, so an offline load knows the files too.
 */
export async function hubManifest(repo: string, opts: { host?: string; revision?: string; fetch?: FetchLike; cache?: ByteCache | null } = {}): Promise<ManifestEntry[]> {
  const host = (opts.host ?? DEFAULT_REMOTE_HOST).replace(/\/?$/, '/');
  const url = `${host}api/models/${repo}/tree/${encodeURIComponent(opts.revision ?? 'main')}`;
  const fetchFn: FetchLike = opts.fetch ?? ((u, i) => globalThis.fetch(u, i));
  let bytes: Uint8Array;
  try {
    let res: Response;
    try {
      res = await fetchFn(url);
    } catch (e) {
      throw new TributaryError('model/fetch', `could not list the repo's files (${(e as Error).message}).`, repo);
    }
    if (!res.ok) throw new TributaryError(res.status === 404 ? 'model/missing-file' : 'model/fetch', `listing the repo's files failed (HTTP ${res.status}).`, repo);
    bytes = new Uint8Array(await res.arrayBuffer());
    await opts.cache?.put(url, bytes).catch(() => undefined);
  } catch (e) {
    // offline (or the hub is down): the list kept by an earlier load
    const kept = e instanceof TributaryError && e.code === 'model/fetch' ? await opts.cache?.get(url).catch(() => null) : null;
    if (!kept) throw e;
    bytes = kept;
  }
  let list: unknown;
  try {
    list = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new TributaryError('model/fetch', "the repo's file list is not JSON.", repo);
  }
  if (!Array.isArray(list)) throw new TributaryError('model/fetch', "the repo's file list is not a list.", repo);
  const out: ManifestEntry[] = [];
  for (const e of list as Array<Record<string, unknown>>) {
    if (e?.['type'] !== 'file' || typeof e['path'] !== 'string') continue;
    const lfs = e['lfs'] as { oid?: unknown; size?: unknown } | undefined;
    const size = typeof lfs?.size === 'number' ? lfs.size : typeof e['size'] === 'number' ? e['size'] : undefined;
    const sha = typeof lfs?.oid === 'string' && /^[0-9a-f]{64}$/i.test(lfs.oid) ? lfs.oid.toLowerCase() : undefined;
    out.push({ path: e['path'], ...(size !== undefined ? { size } : {}), ...(sha ? { sha256: sha } : {}) });
  }
  return out;
}

/**
 * The hub repo a folder URL points into (`{host}{owner}/{name}/resolve/{revision}/`, the default path template), so its
 * file list can be asked for; null for any other URL.
 */
export function hubRepoOfUrl(baseUrl: string): { host: string; repo: string; revision: string } | null {
  let u: URL;
  try {
    u = new URL(baseUrl);
  } catch {
    return null;
  }
  const m = /^\/([\w.-]+\/[\w.-]+)\/resolve\/([^/]+)\/?$/.exec(u.pathname);
  if (!m || (u.protocol !== 'https:' && u.protocol !== 'http:')) return null;
  const repo = m[1]!;
  if (repo.split('/').some((p) => p === '.' || p === '..')) return null;
  return { host: `${u.origin}/`, repo, revision: decodeURIComponent(m[2]!) };
}
