import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isTributaryError } from '../../core/errors.ts';
import type { LlamaConfig } from '../model/types.ts';
import { cacheStorageByteCache, memoryByteCache } from './byteCache.ts';
import { modelConfigToHfJson } from './config.ts';
import { downloadWithResume } from './download.ts';
import { filesModelSource, hubManifest, hubRepoOfUrl, loadModelFiles, modelBaseUrl, urlModelSource, type FolderProgress, type ManifestEntry } from './modelSource.ts';
import { writeSafetensors } from './safetensors.ts';
import { hfTensors } from './testModel.testkit.ts';
import { loadModelWeights } from './weights.ts';

// ---- a tiny model folder ----------------------------------------------------------------------
const cfg: LlamaConfig = {
  vocabSize: 300,
  hiddenSize: 64,
  intermediateSize: 96,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 16,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  ropeScaling: null,
  maxPositionEmbeddings: 128,
  tieWordEmbeddings: false,
  attentionBias: false,
};
const enc = new TextEncoder();
const tensors = hfTensors(cfg);
const weights = writeSafetensors(tensors);
const shardA = writeSafetensors(tensors.slice(0, 12));
const shardB = writeSafetensors(tensors.slice(12));
const tokenizerJson = JSON.stringify({
  model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: ['a b'] },
  pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false },
  decoder: { type: 'ByteLevel' },
});
const single: Record<string, Uint8Array> = {
  'config.json': enc.encode(JSON.stringify(modelConfigToHfJson({ ...cfg, eosTokenIds: [2], bosTokenId: 1 }))),
  'tokenizer.json': enc.encode(tokenizerJson),
  'tokenizer_config.json': enc.encode(JSON.stringify({ chat_template: '{{ messages[0].content }}', eos_token: 'b' })),
  'model.safetensors': weights,
};
const sharded: Record<string, Uint8Array> = {
  'config.json': single['config.json']!,
  'tokenizer.json': single['tokenizer.json']!,
  'model.safetensors.index.json': enc.encode(
    JSON.stringify({
      metadata: { total_size: shardA.length + shardB.length },
      weight_map: Object.fromEntries(tensors.map((t, i) => [t.name, i < 12 ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors'])),
    }),
  ),
  'model-00001-of-00002.safetensors': shardA,
  'model-00002-of-00002.safetensors': shardB,
};
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
/** Byte equality (vitest's deep equality is slow on large typed arrays). */
const same = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean => !!a && !!b && Buffer.compare(a, b) === 0;

// ---- a real HTTP server on 127.0.0.1 that supports Range and can drop connections -------------
interface Behaviour {
  /** drop the connection after this many body bytes, this many times */
  dropAfter?: number;
  drops?: number;
  ignoreRange?: boolean;
  /** answer 500 this many times first */
  errors?: number;
  /** stall (send headers and part of the body, then wait) */
  stallAfter?: number;
}
const repos: Record<string, Record<string, Uint8Array>> = { 'org/single': single, 'org/sharded': sharded };
let behaviour: Record<string, Behaviour> = {};
let log: Array<{ path: string; range: string | undefined; status: number }> = [];
let server: Server;
let host: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const tree = /^\/api\/models\/(.+)\/tree\/main$/.exec(url.pathname);
    if (tree) {
      const files = repos[tree[1]!];
      if (!files) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(
        JSON.stringify(
          Object.entries(files).map(([path, b]) =>
            path.endsWith('.safetensors') ? { type: 'file', path, size: b.length, oid: 'x', lfs: { oid: sha(b), size: b.length } } : { type: 'file', path, size: b.length, oid: 'gitsha1' },
          ),
        ),
      );
    }
    const m = /^\/(.+?\/.+?)\/resolve\/main\/(.+)$/.exec(url.pathname);
    const body = m ? repos[m[1]!]?.[decodeURIComponent(m[2]!)] : undefined;
    const path = m ? decodeURIComponent(m[2]!) : url.pathname;
    const range = req.headers.range;
    const b = behaviour[path] ?? {};
    const send = (status: number): void => void log.push({ path, range, status });
    if (!body) {
      send(404);
      return void res.writeHead(404).end('not found');
    }
    if (b.errors) {
      b.errors--;
      send(500);
      return void res.writeHead(500).end();
    }
    let start = 0;
    let status = 200;
    const headers: Record<string, string> = { 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
    const rm = range && !b.ignoreRange ? /^bytes=(\d+)-$/.exec(range) : null;
    if (rm) {
      start = Number(rm[1]);
      if (start >= body.length) {
        send(416);
        return void res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    }
    headers['content-length'] = String(body.length - start);
    send(status);
    res.writeHead(status, headers);
    const part = body.subarray(start);
    if (b.drops && b.dropAfter !== undefined && b.dropAfter < part.length) {
      b.drops--;
      res.write(part.subarray(0, b.dropAfter), () => setTimeout(() => res.socket?.end(), 20));
      return;
    }
    if (b.stallAfter !== undefined) {
      res.write(part.subarray(0, b.stallAfter));
      return; // never ends: the client must abort
    }
    res.end(part);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  behaviour = {};
  log = [];
});

async function codeOf(f: () => Promise<unknown>): Promise<string> {
  try {
    await f();
  } catch (e) {
    return isTributaryError(e) ? `${e.code}: ${e.message}` : `not-a-TributaryError: ${String(e)}`;
  }
  return 'ok';
}

describe('urlModelSource + loadModelFiles over real HTTP', () => {
  it('builds hub-style URLs from a configurable host (like transformers.js env.remoteHost)', () => {
    expect(modelBaseUrl({ repo: 'HuggingFaceTB/SmolLM2-135M-Instruct' })).toBe('https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct/resolve/main/');
    expect(modelBaseUrl({ repo: 'a/b', host: 'https://mirror.example/', revision: 'v1.0', pathTemplate: 'models/{model}@{revision}' })).toBe('https://mirror.example/models/a/b@v1.0/');
    expect(modelBaseUrl({ baseUrl: 'https://x.example/m' })).toBe('https://x.example/m/');
    expect(() => modelBaseUrl({ repo: '../etc' })).toThrow(/not a model id/);
  });

  it('downloads with progress, resumes a dropped connection with Range, caches, then works offline', async () => {
    behaviour['model.safetensors'] = { dropAfter: 100_000, drops: 1 };
    const cache = memoryByteCache();
    const events: FolderProgress[] = [];
    const src = urlModelSource({ repo: 'org/single', host, cache, retryDelayMs: 0 });
    const files = await loadModelFiles(src, { onProgress: (p) => events.push(p) });

    // the second request for the weights asked for the rest, from where the first broke off
    const weightReqs = log.filter((l) => l.path === 'model.safetensors');
    expect(weightReqs).toHaveLength(2);
    expect(weightReqs[0]).toMatchObject({ range: undefined, status: 200 });
    expect(weightReqs[1]!.status).toBe(206);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(weightReqs[1]!.range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(100_000);

    // progress: per file never goes backwards, and ends at the sum of all sizes
    const perFile = new Map<string, number>();
    for (const e of events) {
      expect(e.file.loaded).toBeGreaterThanOrEqual(perFile.get(e.file.path) ?? 0);
      perFile.set(e.file.path, e.file.loaded);
    }
    const totalBytes = Object.values(single).reduce((a, b) => a + b.length, 0);
    expect(events.at(-1)).toMatchObject({ loaded: totalBytes, total: totalBytes });
    expect(events.some((e) => e.file.path === 'model.safetensors' && e.file.loaded > 0 && e.file.loaded < weights.length)).toBe(true);

    expect(files.config.hiddenSize).toBe(64);
    expect(files.tokenizerJson).toBe(tokenizerJson);
    expect(files.tokenizerConfig?.eos_token).toBe('b');
    expect(files.generationConfig).toBeNull();
    expect(files.weightFiles).toEqual(['model.safetensors']);
    const w = await loadModelWeights(files.config, files.checkpoint);
    expect(w.layers[1]!.down.data).toEqual(tensors.find((t) => t.name === 'model.layers.1.mlp.down_proj.weight')!.data);

    // offline: every fetch fails, the cache serves the folder
    const offline = urlModelSource({
      repo: 'org/single',
      host,
      cache,
      fetch: () => Promise.reject(new TypeError('Failed to fetch')),
      retryDelayMs: 0,
      maxRetries: 0,
    });
    const seen: FolderProgress[] = [];
    const again = await loadModelFiles(offline, { onProgress: (p) => seen.push(p) });
    expect(again.config).toEqual(files.config);
    expect(seen.filter((p) => p.file.path === 'model.safetensors').every((p) => p.file.fromCache === true)).toBe(true);
    // the optional files the server did not have (generation_config.json, the index) are remembered as absent
    expect(again.tokenizerConfig?.eos_token).toBe('b');
    expect(again.generationConfig).toBeNull();

    // but a network failure is never mistaken for an absent file
    const fresh = urlModelSource({ repo: 'org/single', host, cache: memoryByteCache(), fetch: () => Promise.reject(new TypeError('offline')), retryDelayMs: 0, maxRetries: 1 });
    expect(await codeOf(() => loadModelFiles(fresh))).toMatch(/^model\/fetch: config.json/);
  });

  it('starts over when the server ignores Range', async () => {
    behaviour['model.safetensors'] = { dropAfter: 50_000, drops: 1, ignoreRange: true };
    const r = await downloadWithResume(`${host}org/single/resolve/main/model.safetensors`, { retryDelayMs: 0 });
    expect(same(r.bytes, weights)).toBe(true);
    expect(log.map((l) => l.status)).toEqual([200, 200]);
    expect(log[1]!.range).toMatch(/^bytes=\d+-$/);
  });

  it('retries server errors, then gives up with model/fetch keeping the partial bytes; the next call resumes', async () => {
    behaviour['model.safetensors'] = { errors: 2 };
    const ok = await downloadWithResume(`${host}org/single/resolve/main/model.safetensors`, { retryDelayMs: 0 });
    expect(same(ok.bytes, weights)).toBe(true);
    expect(ok.requests).toBe(3);

    const cache = memoryByteCache();
    const url = `${host}org/single/resolve/main/model.safetensors`;
    behaviour['model.safetensors'] = { dropAfter: 30_000, drops: 1 };
    // first attempt gets 30 000 bytes, then the server refuses to answer at all
    let calls = 0;
    const flaky = (u: string, i?: { headers?: Record<string, string>; signal?: AbortSignal }): Promise<Response> =>
      ++calls === 1 ? fetch(u, i) : Promise.reject(new TypeError('network down'));
    expect(await codeOf(() => downloadWithResume(url, { cache, fetch: flaky, retryDelayMs: 0, maxRetries: 2 }))).toMatch(/^model\/fetch: .*failed 3 times in a row.*resumes from the 30000 bytes/);
    expect(cache.partials.get(url)?.length).toBe(30_000);
    log = [];
    const resumed = await downloadWithResume(url, { cache, retryDelayMs: 0 });
    expect(same(resumed.bytes, weights)).toBe(true);
    expect(log).toEqual([{ path: 'model.safetensors', range: 'bytes=30000-', status: 206 }]);
    expect(cache.partials.size).toBe(0);
    expect(same(cache.entries.get(url), weights)).toBe(true);
  });

  it('abort stops the download with model/aborted and keeps what arrived', async () => {
    behaviour['model.safetensors'] = { stallAfter: 20_000 };
    const cache = memoryByteCache();
    const ctl = new AbortController();
    const url = `${host}org/single/resolve/main/model.safetensors`;
    const p = downloadWithResume(url, {
      cache,
      signal: ctl.signal,
      onProgress: (loaded) => {
        if (loaded >= 20_000) ctl.abort();
      },
    });
    expect(await codeOf(() => p)).toMatch(/^model\/aborted/);
    expect(cache.partials.get(url)?.length).toBe(20_000);
  });

  it('sharded checkpoint with a hub manifest: sizes and LFS sha256 are checked', async () => {
    const manifest = await hubManifest('org/sharded', { host });
    expect(manifest.find((m) => m.path === 'model-00001-of-00002.safetensors')).toEqual({ path: 'model-00001-of-00002.safetensors', size: shardA.length, sha256: sha(shardA) });
    expect(manifest.find((m) => m.path === 'config.json')?.sha256).toBeUndefined(); // a git sha1 is not a sha256
    const files = await loadModelFiles(urlModelSource({ repo: 'org/sharded', host, cache: null, manifest }));
    expect(files.weightFiles.sort()).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    const w = await loadModelWeights(files.config, files.checkpoint);
    expect(w.lmHead!.data).toEqual(tensors.find((t) => t.name === 'lm_head.weight')!.data);

    const tampered: ManifestEntry[] = manifest.map((m) => (m.path === 'model-00002-of-00002.safetensors' ? { ...m, sha256: sha(shardA) } : m));
    expect(await codeOf(() => loadModelFiles(urlModelSource({ repo: 'org/sharded', host, cache: null, manifest: tampered })))).toMatch(
      /^model\/hash-mismatch: model-00002-of-00002.safetensors: the SHA-256/,
    );
    const wrongSize: ManifestEntry[] = manifest.map((m) => (m.path === 'config.json' ? { ...m, size: 3 } : m));
    expect(await codeOf(() => loadModelFiles(urlModelSource({ repo: 'org/sharded', host, cache: null, manifest: wrongSize })))).toMatch(/^model\/size-mismatch: config.json/);
  });

  it('a cached file that no longer matches the manifest is fetched again', async () => {
    const cache = memoryByteCache();
    const url = `${host}org/single/resolve/main/config.json`;
    cache.entries.set(url, enc.encode('{"corrupt": true}'));
    const r = await downloadWithResume(url, { cache, sha256: sha(single['config.json']!) });
    expect(r.fromCache).toBe(false);
    expect(same(r.bytes, single['config.json'])).toBe(true);
  });

  it('a missing required file is model/missing-file; a missing repo too', async () => {
    expect(await codeOf(() => loadModelFiles(urlModelSource({ repo: 'org/none', host, cache: null })))).toMatch(/^model\/missing-file: config.json/);
    const noWeights = { ...single };
    delete noWeights['model.safetensors'];
    repos['org/noweights'] = noWeights;
    expect(await codeOf(() => loadModelFiles(urlModelSource({ repo: 'org/noweights', host, cache: null })))).toMatch(/^model\/missing-file: model.safetensors/);
  });
});

describe('file listings: a folder whose files are known is never probed', () => {
  it('with the hub listing, only listed files are requested (no 404 at all), and they are checked against it', async () => {
    const listing = await hubManifest('org/sharded', { host });
    log = [];
    const src = urlModelSource({ repo: 'org/sharded', host, cache: null, listing });
    expect(src.files).toEqual(new Set(Object.keys(sharded)));
    const files = await loadModelFiles(src);
    expect(files.weightFiles.sort()).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(files.tokenizerConfig).toBeNull();
    expect(log.filter((l) => l.status === 404)).toEqual([]);
    expect(new Set(log.map((l) => l.path))).toEqual(new Set(Object.keys(sharded)));
    // a file outside the listing is refused without asking the server
    log = [];
    expect(await codeOf(() => src.bytes('generation_config.json'))).toMatch(/^model\/missing-file: generation_config.json: the model's file listing has no such file/);
    expect(log).toEqual([]);
  });

  it('a single-file model listed (as demo.json lists the demo) is read without asking for a shard index', async () => {
    const listing: ManifestEntry[] = Object.entries(single).map(([path, b]) => ({ path, size: b.length, sha256: sha(b) }));
    log = [];
    const files = await loadModelFiles(urlModelSource({ repo: 'org/single', host, cache: null, listing }));
    expect(files.weightFiles).toEqual(['model.safetensors']);
    expect(files.tokenizerConfig?.eos_token).toBe('b');
    expect(log.map((l) => l.path).sort()).toEqual(Object.keys(single).sort());
    expect(log.every((l) => l.status === 200)).toBe(true);
  });

  it('a listing without safetensors weights is refused by name, before any weight request', async () => {
    const listing: ManifestEntry[] = ['config.json', 'tokenizer.json', 'pytorch_model.bin'].map((path) => ({ path }));
    log = [];
    expect(await codeOf(() => loadModelFiles(urlModelSource({ repo: 'org/single', host, cache: null, listing })))).toMatch(
      /^model\/missing-file: model.safetensors: the folder has neither model.safetensors nor model.safetensors.index.json \(its files: config.json, tokenizer.json, pytorch_model.bin\)/,
    );
    expect(log.map((l) => l.path)).toEqual(['config.json', 'tokenizer.json']);
  });

  it('without a listing: the single file first, so a single-file model never asks for the index; shards still load', async () => {
    log = [];
    await loadModelFiles(urlModelSource({ repo: 'org/single', host, cache: null }));
    expect(log.map((l) => l.path)).not.toContain('model.safetensors.index.json');
    log = [];
    const files = await loadModelFiles(urlModelSource({ repo: 'org/sharded', host, cache: null }));
    expect(files.weightFiles.sort()).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(log.filter((l) => l.path === 'model.safetensors')).toEqual([{ path: 'model.safetensors', range: undefined, status: 404 }]);
  });

  it('the hub listing is kept for offline loads; a network failure without a kept copy stays model/fetch', async () => {
    const cache = memoryByteCache();
    const online = await hubManifest('org/single', { host, cache });
    const offline = await hubManifest('org/single', { host, cache, fetch: () => Promise.reject(new TypeError('Failed to fetch')) });
    expect(offline).toEqual(online);
    expect(await codeOf(() => hubManifest('org/single', { host, cache: memoryByteCache(), fetch: () => Promise.reject(new TypeError('Failed to fetch')) }))).toMatch(/^model\/fetch: org\/single: could not list/);
    // a repo the hub does not have is not served from an old copy
    expect(await codeOf(() => hubManifest('org/none', { host, cache }))).toMatch(/^model\/missing-file: org\/none/);
  });

  it('knows the hub repo of a folder URL of the hub form, and nothing else', () => {
    expect(hubRepoOfUrl('https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct/resolve/main/')).toEqual({ host: 'https://huggingface.co/', repo: 'HuggingFaceTB/SmolLM2-135M-Instruct', revision: 'main' });
    expect(hubRepoOfUrl(`${host}org/single/resolve/v1.0`)).toEqual({ host, repo: 'org/single', revision: 'v1.0' });
    expect(hubRepoOfUrl('http://127.0.0.1:8080/models/tributary-demo/')).toBeNull();
    expect(hubRepoOfUrl('https://x.example/a/b/resolve/main/sub/')).toBeNull();
    expect(hubRepoOfUrl('ftp://x.example/a/b/resolve/main/')).toBeNull();
    expect(hubRepoOfUrl('not a url')).toBeNull();
  });
});

describe('filesModelSource (files picked by the user)', () => {
  it('loads the same folder from File objects, reading weights lazily', async () => {
    const picked = Object.entries(sharded).map(([name, b]) => new File([b.slice()], name));
    const source = filesModelSource(picked);
    expect(source.files).toEqual(new Set(Object.keys(sharded)));
    const files = await loadModelFiles(source);
    const w = await loadModelWeights(files.config, files.checkpoint);
    expect(w.embed.data).toEqual(tensors[0]!.data);
    expect(await codeOf(() => loadModelFiles(filesModelSource(picked.filter((f) => f.name !== 'tokenizer.json'))))).toMatch(/^model\/missing-file: tokenizer.json/);
  });
});

describe('cacheStorageByteCache', () => {
  it('reads the weights back from the cache by range instead of keeping the file in memory', async () => {
    const inner = memoryByteCache();
    const whole: string[] = [];
    const ranges: [number, number][] = [];
    const cache = {
      ...inner,
      get: (k: string) => {
        if (k.endsWith('model.safetensors')) whole.push(k);
        return inner.get(k);
      },
      reader: async (k: string) => {
        const r = await inner.reader(k);
        return r && { size: r.size, read: (a: number, b: number) => (ranges.push([a, b]), r.read(a, b)) };
      },
    };
    const src = urlModelSource({ repo: 'org/single', host, cache, retryDelayMs: 0 });
    const files = await loadModelFiles(src);
    const w = await loadModelWeights(files.config, files.checkpoint);
    expect(w.layers[0]!.q.data).toEqual(tensors.find((t) => t.name === 'model.layers.0.self_attn.q_proj.weight')!.data);
    // the header, then one range per tensor, all served by the cache
    expect(ranges.length).toBeGreaterThanOrEqual(tensors.length);
    expect(Math.max(...ranges.map(([a, b]) => b - a))).toBeLessThan(weights.length / 2);

    // a cached file with no hash to check is opened without reading it whole
    whole.length = 0;
    const requests = log.length;
    const again = await loadModelFiles(urlModelSource({ repo: 'org/single', host, cache, retryDelayMs: 0 }));
    expect(whole).toEqual([]);
    expect(log.slice(requests).filter((l) => l.path === 'model.safetensors')).toEqual([]);
    expect((await loadModelWeights(again.config, again.checkpoint)).layers[1]!.down.data).toEqual(w.layers[1]!.down.data);

    // with a hash it is read once to check it, and still read by range afterwards
    const sha = createHash('sha256').update(weights).digest('hex');
    const checked = urlModelSource({ repo: 'org/single', host, cache, manifest: [{ path: 'model.safetensors', size: weights.length, sha256: sha }] });
    ranges.length = 0;
    await loadModelWeights(cfg, (await loadModelFiles(checked)).checkpoint);
    expect(whole).toHaveLength(1);
    expect(ranges.length).toBeGreaterThanOrEqual(tensors.length);
  });

  it('stores complete and partial files under distinct URL keys', async () => {
    // a minimal CacheStorage (the browser API) over Maps, with real Request/Response objects
    const stores = new Map<string, Map<string, Response>>();
    const storage = {
      open: (name: string) => {
        if (!stores.has(name)) stores.set(name, new Map());
        const m = stores.get(name)!;
        return Promise.resolve({
          match: (url: string) => Promise.resolve(m.get(url)?.clone()),
          put: (url: string, r: Response) => Promise.resolve(void m.set(url, r)),
          delete: (url: string) => Promise.resolve(m.delete(url)),
        });
      },
    } as unknown as CacheStorage;
    const c = cacheStorageByteCache(storage, 'models');
    await c.put('https://h/x/model.safetensors', new Uint8Array([1, 2, 3]));
    await c.putPartial('https://h/x/model.safetensors', new Uint8Array([1]));
    expect(await c.get('https://h/x/model.safetensors')).toEqual(new Uint8Array([1, 2, 3]));
    expect(await c.getPartial('https://h/x/model.safetensors')).toEqual(new Uint8Array([1]));
    expect(Array.from(stores.get('models')!.keys())).toEqual(['https://h/x/model.safetensors', 'https://h/x/model.safetensors?tributary-partial=1']);
    await c.deletePartial('https://h/x/model.safetensors');
    expect(await c.getPartial('https://h/x/model.safetensors')).toBeNull();
    await c.put('local-key', new Uint8Array([9]));
    expect(await c.get('local-key')).toEqual(new Uint8Array([9]));
    // and a complete file by range
    const r = await c.reader!('https://h/x/model.safetensors');
    expect(r?.size).toBe(3);
    expect(await r!.read(1, 3)).toEqual(new Uint8Array([2, 3]));
    expect(await c.reader!('https://h/x/absent.safetensors')).toBeNull();
  });
});
