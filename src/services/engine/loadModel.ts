/**
 * Loading a model (the demo, a URL or picked files): its files, tokenizer, stop tokens and generation defaults,
 * then the model built on the current backend, with the OpenLoRA registry, pool and scheduler. Exclusive.
 */
import type { LoadOptions, LoadProgress, ModelInfo, ModelSourceSpec, QuantChoice } from '../../workerApi/engineApi.ts';
import { TributaryError } from '../../core/errors.ts';
import { sha256Hex } from '../../core/hash.ts';
import { configSpecialTokens } from '../../engine/chat/chatTemplate.ts';
import {
  DEFAULT_REMOTE_HOST,
  filesModelSource,
  hubManifest,
  hubRepoOfUrl,
  loadModelFiles,
  modelBaseUrl,
  urlModelSource,
  type ManifestEntry,
  type ModelSource,
  type PickedFile,
} from '../../engine/formats/modelSource.ts';
import { checkWeightsFit } from '../../engine/formats/weights.ts';
import { AdapterRegistry } from '../../engine/lora/registry.ts';
import { loadTokenizer } from '../../engine/tokenizer/tokenizer.ts';
import { getEnginePrefs, putModelRecord, setEnginePrefs, type ModelOrigin } from '../../store/models.ts';
import { DEMO_MODEL_ID, DEMO_MODEL_PATH, fetchDemoManifest, type DemoManifest } from './demoModel.ts';
import { IdbAdapterStore } from './idbAdapterStore.ts';
import { modelSignature } from './modelSignature.ts';
import { hasChatTemplate } from './prompt.ts';
import type { EngineContext } from './context.ts';
import { appBase } from './context.ts';
import type { Loaded } from './context.ts';
import { exclusive } from './lock.ts';
import { ensureBackend, rebuild } from './backend.ts';
import { buildModel, paramCount } from './buildModel.ts';
import { installDemoAdapters } from './installAdapter.ts';
import { loadedWeightsHash } from './weightsHash.ts';

export async function ensureModel(ctx: EngineContext, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
  if (ctx.loaded) return ctx.loaded.info;
  if (ctx.loadingCount > 0) {
    // a load is queued: wait for it
    await exclusive(ctx, () => Promise.resolve());
    if (ctx.loaded) return (ctx.loaded as Loaded).info;
  }
  return loadModel(ctx, { kind: 'demo' }, {}, onProgress);
}

export function loadModel(ctx: EngineContext, spec: ModelSourceSpec, opts: LoadOptions, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
  ctx.loadingCount++;
  return exclusive(ctx, () => doLoad(ctx, spec, opts, onProgress)).finally(() => {
    ctx.loadingCount--;
  });
}

async function doLoad(ctx: EngineContext, spec: ModelSourceSpec, opts: LoadOptions, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
  const t0 = ctx.clock();
  const prefs = await getEnginePrefs(ctx.deps.db);
  const quant: QuantChoice = opts.quant ?? prefs.quant;
  if (opts.quant && opts.quant !== prefs.quant) await setEnginePrefs(ctx.deps.db, { quant: opts.quant });
  let source: ModelSource;
  let origin: ModelOrigin;
  let id: string;
  let demo: DemoManifest | null = null;
  /** what the source states about its files (sizes, SHA-256), when it says */
  let listed: readonly ManifestEntry[] | undefined;
  const progress = (p: LoadProgress): void => {
    try {
      onProgress?.(p);
    } catch {
      // a closed page must not break the load
    }
  };
  switch (spec.kind) {
    case 'demo': {
      const baseUrl = appBase(ctx) + DEMO_MODEL_PATH;
      demo = await fetchDemoManifest(baseUrl, ctx.deps.fetch, ctx.deps.cache);
      // demo.json lists every file of the folder: nothing else is requested (no probing for a shard index)
      source = urlModelSource({ baseUrl, fetch: ctx.deps.fetch, cache: ctx.deps.cache, listing: demo.files, maxRetries: 2 });
      listed = demo.files;
      origin = { kind: 'demo' };
      id = DEMO_MODEL_ID;
      break;
    }
    case 'url': {
      const baseUrl = modelBaseUrl({
        ...(spec.url ? { baseUrl: spec.url } : {}),
        ...(spec.repo ? { repo: spec.repo } : {}),
        ...(spec.host ? { host: spec.host } : {}),
        ...(spec.revision ? { revision: spec.revision } : {}),
      });
      const listing = await hubListing(ctx, spec, baseUrl);
      listed = listing;
      source = urlModelSource({ baseUrl, fetch: ctx.deps.fetch, cache: ctx.deps.cache, ...(listing ? { listing } : {}) });
      origin = { kind: 'url', baseUrl, ...(spec.repo ? { repo: spec.repo } : {}), ...(spec.host ? { host: spec.host } : {}), ...(spec.revision ? { revision: spec.revision } : {}) };
      id = `url:${baseUrl}`;
      break;
    }
    case 'files': {
      if (spec.files.length === 0) throw new TributaryError('model/missing-file', 'No files were picked. Pick the model folder (config.json, tokenizer.json, *.safetensors).');
      source = filesModelSource(spec.files as PickedFile[]);
      origin = { kind: 'files', names: spec.files.map((f) => f.name) };
      id = '';
      break;
    }
  }
  const sizes = new Map<string, number>();
  const files = await loadModelFiles(source, {
    onProgress: (p) => {
      if (p.file.total !== null) sizes.set(p.file.path, p.file.total);
      progress({ phase: 'files', loaded: p.loaded, total: p.total, file: p.file.path, ...(p.file.fromCache !== undefined ? { fromCache: p.file.fromCache } : {}) });
    },
  });
  if (spec.kind === 'files') id = `files:${sha256Hex(new TextEncoder().encode(JSON.stringify(files.configJson))).slice(2, 18)}`;
  // what attribution records name the model by (the SHA-256 of its weight files, as the CLI computes it)
  const weightsHash = await loadedWeightsHash(source, files.weightFiles, listed);
  const tokenizer = loadTokenizer(files.tokenizerJson);
  if (tokenizer.vocabSize > files.config.vocabSize) {
    throw new TributaryError('model/config', `tokenizer.json has ${tokenizer.vocabSize} tokens but config.json's vocab_size is ${files.config.vocabSize}; they belong to different models.`, 'tokenizer.json');
  }
  const tc = files.tokenizerConfig;
  const stop = new Set<number>(files.config.eosTokenIds);
  const gcEos = files.generationConfig?.['eos_token_id'];
  for (const x of Array.isArray(gcEos) ? gcEos : [gcEos]) if (typeof x === 'number') stop.add(x);
  if (tc) {
    const eos = configSpecialTokens(tc).eos;
    const eid = eos !== null ? tokenizer.tokenToId(eos) : undefined;
    if (eid !== undefined) stop.add(eid);
  }
  const gc = files.generationConfig ?? {};
  const num = (k: string): number | undefined => (typeof gc[k] === 'number' ? (gc[k] as number) : undefined);
  const generationDefaults = {
    ...(num('temperature') !== undefined ? { temperature: num('temperature')! } : {}),
    ...(num('top_p') !== undefined ? { topP: num('top_p')! } : {}),
    ...(num('top_k') !== undefined ? { topK: num('top_k')! } : {}),
    ...(num('repetition_penalty') !== undefined ? { repetitionPenalty: num('repetition_penalty')! } : {}),
  };

  // Validate before replacing: everything that needs no weight bytes is checked while the current model
  // still serves (a hostile folder is refused here and the user keeps their model).
  checkWeightsFit(files.config, files.checkpoint);
  // replace the current model; if building the new one still fails (a NaN found while streaming the
  // weights, a device error), the previous model is rebuilt from its kept checkpoint before the error
  // reaches the caller
  const previous = ctx.loaded;
  dropModel(ctx);
  let built: Awaited<ReturnType<typeof buildModel>>;
  try {
    const chosen = await ensureBackend(ctx);
    built = await buildModel(chosen, files.config, files.checkpoint, quant, prefs.adapterBudgetBytes, progress);
  } catch (e) {
    if (previous) await restore(ctx, previous);
    throw e;
  }
  const c = files.config;
  const signature = modelSignature(c);
  const registry = await AdapterRegistry.open(new IdbAdapterStore(ctx.deps.db, c, signature), c);
  let fileBytes = 0;
  for (const f of files.weightFiles) fileBytes += sizes.get(f) ?? demo?.files.find((e) => e.path === f)?.size ?? 0;
  const parameters = paramCount(c);
  const label = demo ? demo.name : spec.kind === 'files' ? `${files.configJson['_name_or_path'] ?? 'Local model'} (local files)` : (origin as { repo?: string }).repo ?? (origin as { baseUrl: string }).baseUrl;
  const info: ModelInfo = {
    id,
    label: String(label),
    origin,
    architecture: c.architecture,
    generated: demo?.generated ?? false,
    notice: demo?.notice ?? null,
    signature,
    parameters,
    vocabSize: c.vocabSize,
    hiddenSize: c.hiddenSize,
    numLayers: c.numLayers,
    numHeads: c.numHeads,
    numKvHeads: c.numKvHeads,
    contextLength: built.maxSeq,
    quant,
    memory: built.model.memory(),
    fileBytes,
    loadMs: 0,
    hasChatTemplate: hasChatTemplate(tc),
    maxAdapterRank: built.maxRank,
    weightsHash,
  };
  ctx.loaded = {
    info,
    config: c,
    tokenizer,
    tokenizerConfig: tc,
    stopTokens: [...stop],
    checkpoint: files.checkpoint,
    model: built.model,
    registry,
    ...built.serving(registry),
    systemPrompt: demo?.systemPrompt ?? null,
    maxSeq: built.maxSeq,
    generationDefaults,
  };
  if (demo) await installDemoAdapters(ctx, demo, progress);
  info.loadMs = Math.round(ctx.clock() - t0);
  await putModelRecord(ctx.deps.db, {
    id,
    label: info.label,
    origin,
    architecture: c.architecture,
    signature,
    parameters,
    fileBytes,
    weightsHash,
    generated: info.generated,
    lastLoadedAt: ctx.deps.now(),
  }).catch(() => undefined);
  return info;
}

/**
 * The file list of a hub repo (by id, or a folder URL of the hub's `{repo}/resolve/{revision}/` form), so that only
 * files it has are requested; kept in the cache for offline loads. Undefined for other folders, or when the host has
 * no listing API: the files are then asked for one by one.
 */
async function hubListing(ctx: EngineContext, spec: Extract<ModelSourceSpec, { kind: 'url' }>, baseUrl: string): Promise<ManifestEntry[] | undefined> {
  const hub = spec.repo && !spec.url ? { host: spec.host ?? DEFAULT_REMOTE_HOST, repo: spec.repo, revision: spec.revision ?? 'main' } : hubRepoOfUrl(baseUrl);
  if (!hub) return undefined;
  try {
    return await hubManifest(hub.repo, { host: hub.host, revision: hub.revision, fetch: ctx.deps.fetch, cache: ctx.deps.cache });
  } catch {
    return undefined;
  }
}

/** Puts back a model that `dropModel` let go of (its checkpoint is kept), after a failed replacement. */
async function restore(ctx: EngineContext, previous: Loaded): Promise<void> {
  ctx.loaded = previous;
  try {
    await rebuild(ctx);
  } catch {
    ctx.loaded = null; // could not rebuild either (a lost device): the app asks for a load as before
  }
}

function dropModel(ctx: EngineContext): void {
  const L = ctx.loaded;
  if (!L) return;
  ctx.loaded = null;
  L.scheduler.close();
  L.pool.close();
  L.model.dispose();
}

export async function loadedModel(ctx: EngineContext): Promise<Loaded> {
  await ensureModel(ctx);
  return ctx.loaded!;
}
