/**
 * The engine worker's service (see client/engineApi.ts for the contract): one backend (WebGPU, else the CPU, with
 * the reason), one loaded model with its tokenizer and chat template, the OpenLoRA registry of installed adapters
 * (IndexedDB) with a device-resident pool under a byte budget (LRU), and a queue of chat requests that stream tokens.
 *
 * Answers run concurrently through the serving `Scheduler` (continuous batching: one forward pass per step over every
 * running answer, each row with its own adapter slot). Whatever replaces the model — loading, rebuilding (budget,
 * quantisation, backend change, GPU loss) — is exclusive: it waits until running answers finish and holds new ones
 * back, so a rebuild never pulls the model from under an answer. A WebGPU device loss (or a WebGPU error during an
 * answer) moves the engine to the CPU: the model is rebuilt from its checkpoint on the CPU backend, adapters reload
 * just in time, and an answer that had not shown a token yet is answered again there.
 */
import type {
  AdapterImportInfo,
  BackendInfo,
  ChatEvent,
  ChatMessageIn,
  ChatOptions,
  ChatResult,
  EngineApi,
  EngineStats,
  ExportedAdapter,
  LoadOptions,
  LoadProgress,
  ModelInfo,
  ModelSourceSpec,
  PoolInfo,
  QuantChoice,
} from '../../client/engineApi.ts';
import { TributaryError, isTributaryError } from '../../core/errors.ts';
import { sha256Hex } from '../../core/hash.ts';
import type { Address } from '../../core/types.ts';
import type { ChatMessage, TokenizerConfig } from '../../engine/chat/chatTemplate.ts';
import { configSpecialTokens } from '../../engine/chat/chatTemplate.ts';
import { createCpuBackend } from '../../engine/cpu/cpuBackend.ts';
import type { ByteCache } from '../../engine/formats/byteCache.ts';
import type { ModelConfig } from '../../engine/formats/config.ts';
import { DOWNLOAD_LIMITS, downloadWithResume, type FetchLike } from '../../engine/formats/download.ts';
import { filesModelSource, loadModelFiles, modelBaseUrl, urlModelSource, type ModelSource, type PickedFile } from '../../engine/formats/modelSource.ts';
import { checkWeightsFit, streamModelWeights, type TensorSource } from '../../engine/formats/weights.ts';
import { mergeAdapters } from '../../engine/lora/merge.ts';
import { PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE, parsePeftAdapter, writePeftAdapter, type PeftAdapter } from '../../engine/lora/peft.ts';
import { AdapterPool, loraSlotBytes, modelSlotTarget } from '../../engine/lora/pool.ts';
import { AdapterRegistry } from '../../engine/lora/registry.ts';
import { createModelBuilder, type Model } from '../../engine/model/llama.ts';
import { Scheduler } from '../../engine/serving/scheduler.ts';
import type { LlamaConfig } from '../../engine/model/types.ts';
import type { Tokenizer } from '../../engine/tokenizer/tokenizer.ts';
import { loadTokenizer } from '../../engine/tokenizer/tokenizer.ts';
import { putAdapterRecord, deleteAdapterRecord, getAdapterRecord, type AdapterOrigin, type AdapterRecord, type AdapterSummary } from '../../store/adapters.ts';
import type { TributaryDB } from '../../store/db.ts';
import { getEnginePrefs, putModelRecord, setEnginePrefs, type EnginePrefs, type ModelOrigin } from '../../store/models.ts';
import { getSetting, setSetting } from '../../store/settings.ts';
import { parsePickedAdapter, renameSubject, type NamedBytes } from './adapterFiles.ts';
import { chooseBackend, cpuBackendInfo, type ChosenBackend, type GpuBackendFactory } from './backendChoice.ts';
import { DEMO_MODEL_ID, DEMO_MODEL_PATH, fetchDemoManifest, type DemoManifest } from './demoModel.ts';
import { IdbAdapterStore } from './idbAdapterStore.ts';
import { modelSignature } from './modelSignature.ts';
import { buildPrompt, hasChatTemplate } from './prompt.ts';

export interface EngineDeps {
  db: TributaryDB;
  now: () => number;
  fetch: FetchLike;
  /** where downloaded model files are kept for offline use (Cache Storage in the browser); null: nowhere */
  cache: ByteCache | null;
  /** builds the WebGPU backend; absent where there is none (Node tests) */
  webgpu?: GpuBackendFactory;
  /** a fresh random seed (default: crypto) */
  randomSeed?: () => number;
  /** high-resolution clock for speed figures (default performance.now) */
  clock?: () => number;
}

/** Largest adapter rank the engine installs (merges add ranks: 4 rank-8 adapters fit). */
export const MAX_ADAPTER_RANK = 32;

/**
 * The rank a model's adapter slots hold: the largest of 32, 16, 8 for which four slots fit the memory budget (a slot
 * reserves `maxRank` for every module of every layer; a small budget on a big model gets rank-8 slots).
 */
export function slotRankFor(c: LlamaConfig, budgetBytes: number): number {
  for (const r of [MAX_ADAPTER_RANK, 16]) if (loraSlotBytes(c, r) * 4 <= budgetBytes) return r;
  return 8;
}
/** Default context of a conversation (KV cache per answer). */
const MAX_CONTEXT = 2048;

interface Loaded {
  info: ModelInfo;
  config: ModelConfig;
  tokenizer: Tokenizer;
  tokenizerConfig: TokenizerConfig | null;
  stopTokens: number[];
  checkpoint: TensorSource;
  model: Model;
  registry: AdapterRegistry;
  pool: AdapterPool;
  scheduler: Scheduler;
  systemPrompt: string | null;
  maxSeq: number;
  generationDefaults: { temperature?: number; topP?: number; topK?: number; repetitionPenalty?: number };
}

interface Job {
  requestId: string;
  ctrl: AbortController;
}

const clampInt = (v: number | undefined, lo: number, hi: number, dflt: number): number =>
  v === undefined || !Number.isFinite(v) ? dflt : Math.min(hi, Math.max(lo, Math.round(v)));

const errorCode = (e: unknown): string => (isTributaryError(e) ? e.code : '');

export class EngineService implements EngineApi {
  private appBaseUrl: string | null = null;
  private chosen: ChosenBackend | null = null;
  private choosing: Promise<ChosenBackend> | null = null;
  private loaded: Loaded | null = null;
  private loadingCount = 0;
  /** answers running on the current model (readers) */
  private readers = 0;
  private drained: (() => void) | null = null;
  /** exclusive operations queued or running (writers) */
  private writers = 0;
  private writerTail: Promise<unknown> = Promise.resolve();
  private readonly jobs = new Map<string, Job>();
  private lastTps: number | null = null;
  private readonly clock: () => number;
  private readonly randomSeed: () => number;

  constructor(private readonly deps: EngineDeps) {
    this.clock = deps.clock ?? (() => (typeof performance !== 'undefined' ? performance.now() : Date.now()));
    this.randomSeed = deps.randomSeed ?? (() => crypto.getRandomValues(new Uint32Array(1))[0]! >>> 1);
  }

  ping(): Promise<'pong'> {
    return Promise.resolve('pong');
  }

  // ---- backend ------------------------------------------------------------------------------------------------

  async init(opts: { appBaseUrl: string }): Promise<BackendInfo> {
    this.appBaseUrl = opts.appBaseUrl.endsWith('/') ? opts.appBaseUrl : opts.appBaseUrl + '/';
    return (await this.backend()).info;
  }

  private backend(): Promise<ChosenBackend> {
    if (this.chosen) return Promise.resolve(this.chosen);
    this.choosing ??= (async () => {
      const prefs = await getEnginePrefs(this.deps.db);
      const c = await chooseBackend({ forceCpu: prefs.forceCpu, ...(this.deps.webgpu ? { webgpu: this.deps.webgpu } : {}) });
      this.adopt(c);
      return c;
    })().finally(() => {
      this.choosing = null;
    });
    return this.choosing;
  }

  private adopt(c: ChosenBackend): void {
    this.chosen = c;
    const gpu = c.gpu;
    if (gpu) {
      void gpu.lost.then((reason) => {
        if (this.chosen?.gpu !== gpu) return; // already replaced
        void this.exclusive(() => this.fallbackToCpu(`The WebGPU device was lost (${reason}).`)).catch((e: unknown) => console.error('[engine] CPU fallback failed', e));
      });
    }
  }

  /** Moves to the CPU backend and rebuilds the model there. Call inside `exclusive`. */
  private async fallbackToCpu(reason: string): Promise<void> {
    const old = this.chosen;
    if (!old || old.info.name !== 'webgpu') return;
    const info = cpuBackendInfo(`${reason} The engine switched to the CPU backend.`, { reason, at: this.deps.now() });
    this.chosen = { backend: createCpuBackend(), info, gpu: null };
    if (this.loaded) await this.rebuild(old);
    try {
      old.gpu?.destroy();
    } catch {
      // already gone
    }
  }

  async loseGpuDevice(): Promise<boolean> {
    const c = await this.backend();
    if (!c.gpu) return false;
    c.gpu.loseDevice();
    // a destroyed device does not report itself lost: say it here (a real loss arrives through `lost`)
    await this.exclusive(() => this.fallbackToCpu('The WebGPU device was destroyed (simulated from the engine diagnostics).'));
    return true;
  }

  // ---- readers (answers) and writers (whatever replaces the model) ---------------------------------------------

  private async enterReader(): Promise<void> {
    while (this.writers > 0) await this.writerTail;
    this.readers++;
  }

  private leaveReader(): void {
    this.readers--;
    if (this.readers === 0) {
      const d = this.drained;
      this.drained = null;
      d?.();
    }
  }

  /** Runs `fn` alone: after the answers running now finish, before any new one starts. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.writers++;
    const run = this.writerTail
      .then(async () => {
        while (this.readers > 0) await new Promise<void>((resolve) => (this.drained = resolve));
        return fn();
      })
      .finally(() => {
        this.writers--;
      });
    this.writerTail = run.catch(() => undefined);
    return run;
  }

  // ---- models ---------------------------------------------------------------------------------------------------

  private base(): string {
    if (this.appBaseUrl) return this.appBaseUrl;
    const loc = (globalThis as { location?: { origin?: string } }).location;
    if (loc?.origin && loc.origin !== 'null') return loc.origin + '/';
    throw new TributaryError('engine/bad-config', 'The engine does not know where the app is served from; call init first.');
  }

  async ensureModel(onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
    if (this.loaded) return this.loaded.info;
    if (this.loadingCount > 0) {
      // a load is queued: wait for it
      await this.exclusive(() => Promise.resolve());
      if (this.loaded) return (this.loaded as Loaded).info;
    }
    return this.loadModel({ kind: 'demo' }, {}, onProgress);
  }

  loadModel(spec: ModelSourceSpec, opts: LoadOptions, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
    this.loadingCount++;
    return this.exclusive(() => this.doLoad(spec, opts, onProgress)).finally(() => {
      this.loadingCount--;
    });
  }

  private async doLoad(spec: ModelSourceSpec, opts: LoadOptions, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
    const t0 = this.clock();
    const prefs = await getEnginePrefs(this.deps.db);
    const quant: QuantChoice = opts.quant ?? prefs.quant;
    if (opts.quant && opts.quant !== prefs.quant) await setEnginePrefs(this.deps.db, { quant: opts.quant });
    let source: ModelSource;
    let origin: ModelOrigin;
    let id: string;
    let demo: DemoManifest | null = null;
    const progress = (p: LoadProgress): void => {
      try {
        onProgress?.(p);
      } catch {
        // a closed page must not break the load
      }
    };
    switch (spec.kind) {
      case 'demo': {
        const baseUrl = this.base() + DEMO_MODEL_PATH;
        demo = await fetchDemoManifest(baseUrl, this.deps.fetch, this.deps.cache);
        source = urlModelSource({ baseUrl, fetch: this.deps.fetch, cache: this.deps.cache, manifest: demo.files, maxRetries: 2 });
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
        source = urlModelSource({ baseUrl, fetch: this.deps.fetch, cache: this.deps.cache });
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
    const previous = this.loaded;
    this.dropModel();
    let built: Awaited<ReturnType<EngineService['buildModel']>>;
    try {
      const chosen = await this.backend();
      built = await this.buildModel(chosen, files.config, files.checkpoint, quant, prefs.adapterBudgetBytes, progress);
    } catch (e) {
      if (previous) await this.restore(previous);
      throw e;
    }
    const c = files.config;
    const signature = modelSignature(c);
    const registry = await AdapterRegistry.open(new IdbAdapterStore(this.deps.db, c, signature), c);
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
    };
    this.loaded = {
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
    if (demo) await this.installDemoAdapters(demo, progress);
    info.loadMs = Math.round(this.clock() - t0);
    await putModelRecord(this.deps.db, {
      id,
      label: info.label,
      origin,
      architecture: c.architecture,
      signature,
      parameters,
      fileBytes,
      generated: info.generated,
      lastLoadedAt: this.deps.now(),
    }).catch(() => undefined);
    return info;
  }

  /** Puts back a model that `dropModel` let go of (its checkpoint is kept), after a failed replacement. */
  private async restore(previous: Loaded): Promise<void> {
    this.loaded = previous;
    try {
      await this.rebuild();
    } catch {
      this.loaded = null; // could not rebuild either (a lost device): the app asks for a load as before
    }
  }

  private dropModel(): void {
    const L = this.loaded;
    if (!L) return;
    this.loaded = null;
    L.scheduler.close();
    L.pool.close();
    L.model.dispose();
  }

  /** Uploads the checkpoint's weights to a backend (quantised) with LoRA slots for the budget. */
  private async buildModel(chosen: ChosenBackend, c: ModelConfig, checkpoint: TensorSource, quant: QuantChoice, budgetBytes: number, progress: (p: LoadProgress) => void) {
    const maxRank = slotRankFor(c, budgetBytes);
    const slotBytes = loraSlotBytes(c, maxRank);
    const slots = Math.max(1, Math.floor(budgetBytes / slotBytes));
    const maxSeq = Math.min(c.maxPositionEmbeddings, MAX_CONTEXT);
    // tensor by tensor: each is read, converted to f32, quantised and uploaded before the next is read, so loading
    // needs about one tensor of memory beyond the model, not the whole model as f32
    const builder = createModelBuilder(chosen.backend, c, { quant, lora: { slots, maxRank }, maxSeq });
    let model: Model;
    try {
      await streamModelWeights(c, checkpoint, (slot, value) => builder.put(slot, value), {
        onProgress: (done, total) => progress({ phase: 'weights', loaded: done, total }),
      });
      progress({ phase: 'device', loaded: 0, total: 1 });
      model = builder.finish();
    } catch (e) {
      builder.abort();
      throw e;
    }
    progress({ phase: 'device', loaded: 1, total: 1 });
    return {
      model,
      maxSeq,
      maxRank,
      serving: (registry: AdapterRegistry) => {
        // the model's own slots; their device size comes from the backend (WebGPU adds a slot table and buffer rounding)
        const target = modelSlotTarget(model, { maxRank });
        const pool = new AdapterPool(registry, target, { budgetBytes: Math.max(budgetBytes, target.slotBytes) });
        return { pool, scheduler: new Scheduler(model, { pool, maxSeq }) };
      },
    };
  }

  /** Re-creates the loaded model on the current backend (new budget, quantisation or backend). Call inside `exclusive`. */
  private async rebuild(_from?: ChosenBackend): Promise<void> {
    const L = this.loaded;
    if (!L) return;
    const prefs = await getEnginePrefs(this.deps.db);
    L.scheduler.close();
    L.pool.close();
    try {
      L.model.dispose();
    } catch {
      // a lost device may refuse; the new model does not need it
    }
    const chosen = await this.backend();
    const built = await this.buildModel(chosen, L.config, L.checkpoint, prefs.quant, prefs.adapterBudgetBytes, () => undefined);
    L.model = built.model;
    Object.assign(L, built.serving(L.registry));
    L.maxSeq = built.maxSeq;
    L.info = { ...L.info, quant: prefs.quant, memory: built.model.memory(), contextLength: built.maxSeq, maxAdapterRank: built.maxRank };
  }

  // ---- preferences --------------------------------------------------------------------------------------------

  async setPrefs(patch: Partial<EnginePrefs>): Promise<EngineStats> {
    if (patch.adapterBudgetBytes !== undefined && !(Number.isFinite(patch.adapterBudgetBytes) && patch.adapterBudgetBytes > 0)) {
      throw new TributaryError('engine/bad-config', `The adapter memory budget must be a positive number of bytes (got ${patch.adapterBudgetBytes}).`);
    }
    if (patch.quant !== undefined && !['f32', 'f16', 'q8', 'q4'].includes(patch.quant)) throw new TributaryError('engine/bad-config', `Unknown weight format ${String(patch.quant)}.`);
    await this.exclusive(async () => {
      const before = await getEnginePrefs(this.deps.db);
      const after = await setEnginePrefs(this.deps.db, patch);
      let rebuild = after.adapterBudgetBytes !== before.adapterBudgetBytes || after.quant !== before.quant;
      if (after.forceCpu !== before.forceCpu) {
        const c = await chooseBackend({ forceCpu: after.forceCpu, ...(this.deps.webgpu ? { webgpu: this.deps.webgpu } : {}) });
        const old = this.chosen;
        this.adopt(c);
        if (this.loaded) await this.rebuild();
        rebuild = false;
        if (old?.gpu && old.gpu !== c.gpu) {
          try {
            old.gpu.destroy();
          } catch {
            // gone
          }
        }
      }
      if (rebuild) await this.rebuild();
    });
    return this.stats();
  }

  // ---- stats --------------------------------------------------------------------------------------------------

  async stats(): Promise<EngineStats> {
    const prefs = await getEnginePrefs(this.deps.db);
    const L = this.loaded;
    let pool: PoolInfo | null = null;
    if (L) {
      const s = L.pool.stats();
      pool = {
        capacity: s.capacity,
        resident: s.resident,
        pinned: s.pinned,
        slotBytes: s.slotBytes,
        budgetBytes: s.budgetBytes,
        residentBytes: s.residentBytes,
        adapterBytes: s.adapterBytes,
        hits: s.hits,
        misses: s.misses,
        evictions: s.evictions,
        residentIds: L.pool.residentIds(),
      };
    }
    const sched = L?.scheduler.stats();
    return {
      backend: this.chosen?.info ?? null,
      model: L ? { ...L.info, memory: L.model.memory() } : null,
      loading: this.loadingCount > 0,
      prefs,
      pool,
      lastTokensPerSecond: this.lastTps,
      requests: { running: sched?.running ?? 0, queued: (sched?.queued ?? 0) + Math.max(0, this.jobs.size - this.readers) },
    };
  }

  // ---- chat ---------------------------------------------------------------------------------------------------

  async chat(requestId: string, messages: ChatMessageIn[], opts: ChatOptions, onEvent?: (e: ChatEvent) => void): Promise<ChatResult> {
    if (this.jobs.has(requestId)) throw new TributaryError('engine/bad-config', `A request with id ${requestId} is already running.`);
    const job: Job = { requestId, ctrl: new AbortController() };
    this.jobs.set(requestId, job);
    const emit = (e: ChatEvent): void => {
      try {
        const r = onEvent?.(e) as unknown;
        if (r instanceof Promise) r.catch(() => undefined); // the page went away; the answer still finishes
      } catch {
        // idem
      }
    };
    const attempt = async (): Promise<ChatResult> => {
      if (!this.loaded) await this.ensureModel();
      await this.enterReader();
      try {
        if (!this.loaded) throw new TributaryError('engine/disposed', 'No model is loaded; load one and ask again.');
        return await this.runChat(job, messages, opts, emit);
      } finally {
        this.leaveReader();
      }
    };
    try {
      try {
        return await attempt();
      } catch (e) {
        if (!errorCode(e).startsWith('webgpu/') || this.chosen?.info.name !== 'webgpu') throw e;
        // the GPU failed: move to the CPU; answer again there unless this answer had already shown tokens
        await this.exclusive(() => this.fallbackToCpu(`WebGPU failed while answering (${(e as Error).message}).`));
        if ((e as { emitted?: boolean }).emitted || job.ctrl.signal.aborted) {
          throw new TributaryError('webgpu/device-lost', 'The GPU failed in the middle of this answer; the engine switched to the CPU. Press Regenerate to answer again.');
        }
        return await attempt();
      }
    } finally {
      this.jobs.delete(requestId);
    }
  }

  async cancel(requestId: string): Promise<boolean> {
    const j = this.jobs.get(requestId);
    if (!j) return false;
    j.ctrl.abort();
    return true;
  }

  private async runChat(job: Job, messagesIn: ChatMessageIn[], opts: ChatOptions, emit: (e: ChatEvent) => void): Promise<ChatResult> {
    const L = this.loaded!;
    const backend = this.chosen!.info.name;
    for (const m of messagesIn) {
      if (!['system', 'user', 'assistant'].includes(m.role) || typeof m.content !== 'string') {
        throw new TributaryError('engine/bad-config', 'Each message needs a role (system, user or assistant) and text.');
      }
    }
    const clean: ChatMessage[] = messagesIn.map((m) => ({ role: m.role, content: m.content }));
    const messages = L.systemPrompt && clean[0]?.role !== 'system' ? [{ role: 'system', content: L.systemPrompt }, ...clean] : clean;
    const maxTokens = clampInt(opts.maxTokens, 1, Math.max(1, L.maxSeq - 1), 128);
    const seed = opts.seed !== undefined && Number.isInteger(opts.seed) && opts.seed >= 0 ? opts.seed : this.randomSeed();
    const gd = L.generationDefaults;
    const sampling = {
      temperature: opts.temperature ?? gd.temperature ?? 0.7,
      topP: opts.topP ?? gd.topP ?? 0.9,
      topK: opts.topK ?? gd.topK ?? 40,
      repetitionPenalty: opts.repetitionPenalty ?? gd.repetitionPenalty ?? 1.1,
      seed,
    };
    const prompt = buildPrompt(L.tokenizer, L.tokenizerConfig, messages, maxTokens, L.maxSeq);
    const dropped = Math.max(0, prompt.dropped);
    const adapterId = opts.adapterId ?? null;
    let adapterName: string | null = null;
    if (adapterId) {
      const meta = L.registry.meta(adapterId); // lora/not-found for an adapter of another model
      adapterName = meta.name;
      if (meta.rank > L.info.maxAdapterRank) {
        const slotRank = [8, 16, MAX_ADAPTER_RANK].find((r) => r >= meta.rank) ?? MAX_ADAPTER_RANK;
        const need = Math.ceil((loraSlotBytes(L.config, slotRank) * 4) / 2 ** 20);
        throw new TributaryError(
          'engine/lora-slot',
          `Adapter "${meta.name}" has rank ${meta.rank}, but with the current memory budget the adapter slots hold rank ≤ ${L.info.maxAdapterRank}. Raise the budget on the Adapters page (to about ${need} MB).`,
        );
      }
    }
    const result: ChatResult = {
      requestId: job.requestId,
      text: '',
      generated: 0,
      promptTokens: prompt.ids.length,
      droppedMessages: dropped,
      finishReason: 'abort',
      prefillMs: 0,
      decodeMs: 0,
      tokensPerSecond: null,
      adapterId,
      adapterName,
      backend,
      seed,
    };
    let emitted = false;
    try {
      emit({ type: 'start', requestId: job.requestId, promptTokens: prompt.ids.length, droppedMessages: dropped, adapterId, adapterName, backend, seed });
      const dec = L.tokenizer.createStreamDecoder({ skipSpecialTokens: true });
      const t0 = this.clock();
      let tFirst = 0;
      const handle = L.scheduler.submit({
        prompt: prompt.ids,
        adapterId,
        maxNewTokens: prompt.answerTokens,
        maxSeq: Math.min(L.maxSeq, prompt.ids.length + prompt.answerTokens + 1),
        sampling,
        stopTokens: L.stopTokens,
        ...(opts.stop && opts.stop.length > 0 ? { stopStrings: opts.stop, decode: (ids: readonly number[]) => L.tokenizer.decode(ids, { skipSpecialTokens: true }) } : {}),
        signal: job.ctrl.signal,
      });
      for await (const id of handle) {
        const now = this.clock();
        result.generated++;
        if (result.generated === 1) {
          tFirst = now;
          result.prefillMs = now - t0;
        }
        const piece = dec.push(id);
        result.text += piece;
        const tps = result.generated > 1 ? ((result.generated - 1) * 1000) / Math.max(now - tFirst, 1e-3) : null;
        emitted = true;
        emit({ type: 'token', requestId: job.requestId, text: piece, generated: result.generated, tokensPerSecond: tps });
      }
      const outcome = await handle.result;
      const tail = dec.flush();
      if (tail) {
        result.text += tail;
        emit({ type: 'token', requestId: job.requestId, text: tail, generated: result.generated, tokensPerSecond: null });
      }
      const tEnd = this.clock();
      result.finishReason = outcome.finishReason;
      if (result.generated === 0) result.prefillMs = tEnd - t0;
      result.decodeMs = result.generated > 0 ? tEnd - tFirst : 0;
      result.tokensPerSecond = result.generated > 1 ? ((result.generated - 1) * 1000) / Math.max(result.decodeMs, 1e-3) : null;
      if (result.tokensPerSecond !== null) this.lastTps = result.tokensPerSecond;
      return result;
    } catch (e) {
      if (emitted && typeof e === 'object' && e !== null) (e as { emitted?: boolean }).emitted = true;
      throw e;
    }
  }

  // ---- adapters -----------------------------------------------------------------------------------------------

  private async model(): Promise<Loaded> {
    await this.ensureModel();
    return this.loaded!;
  }

  private async install(adapter: PeftAdapter, config: Uint8Array | string, weights: Uint8Array, origin: AdapterOrigin, originDetail: string): Promise<AdapterSummary> {
    const L = this.loaded!;
    const m = adapter.meta;
    if (m.rank > MAX_ADAPTER_RANK) {
      throw new TributaryError('engine/lora-slot', `The adapter's rank ${m.rank} is above the ${MAX_ADAPTER_RANK} this engine serves; use an adapter of rank ≤ ${MAX_ADAPTER_RANK}.`);
    }
    const existing = await getAdapterRecord(this.deps.db, m.id);
    const record: AdapterRecord = {
      id: m.id,
      name: m.name,
      owner: m.owner,
      datanets: [...m.datanets],
      rank: m.rank,
      alpha: m.alpha,
      scale: m.scale,
      useRslora: m.useRslora,
      targets: [...m.targets],
      baseModel: m.baseModel,
      bytes: m.bytes,
      modelSignature: L.info.signature,
      origin: existing?.origin ?? origin,
      originDetail: existing?.originDetail ?? originDetail,
      installedAt: existing?.installedAt ?? this.deps.now(),
      config: typeof config === 'string' ? config : new TextDecoder().decode(config),
      weights: new Blob([weights.slice()], { type: 'application/octet-stream' }),
    };
    await putAdapterRecord(this.deps.db, record);
    await L.registry.add(adapter);
    const { config: _c, weights: _w, ...summary } = record;
    return summary;
  }

  async importAdapterFiles(files: { name: string; bytes: Uint8Array }[], info: AdapterImportInfo = {}): Promise<AdapterSummary> {
    const L = await this.model();
    const { adapter, config, weights } = parsePickedAdapter(files as NamedBytes[], L.config, cleanInfo(info, files));
    return this.install(adapter, config.bytes, weights.bytes, 'files', `${config.name}, ${weights.name}`);
  }

  async importAdapterUrl(src: { url?: string; repo?: string; host?: string; revision?: string }, info: AdapterImportInfo = {}): Promise<AdapterSummary> {
    const L = await this.model();
    const baseUrl = modelBaseUrl({
      ...(src.url ? { baseUrl: src.url } : {}),
      ...(src.repo ? { repo: src.repo } : {}),
      ...(src.host ? { host: src.host } : {}),
      ...(src.revision ? { revision: src.revision } : {}),
    });
    const get = async (name: string): Promise<Uint8Array> =>
      (await downloadWithResume(baseUrl + name, { fetch: this.deps.fetch, cache: null, name, maxRetries: 2, maxBytes: name === PEFT_CONFIG_FILE ? DOWNLOAD_LIMITS.maxSmallFileBytes : DOWNLOAD_LIMITS.maxAdapterBytes })).bytes;
    const [config, weights] = [await get(PEFT_CONFIG_FILE), await get(PEFT_WEIGHTS_FILE)];
    let adapter: PeftAdapter;
    try {
      const folder = baseUrl.replace(/\/+$/, '').split('/').pop() ?? 'adapter';
      adapter = parsePeftAdapter({ config, weights }, L.config, cleanInfo({ ...info, name: info.name ?? (src.repo ?? folder) }, []));
    } catch (e) {
      throw renameSubject(e, { config: baseUrl + PEFT_CONFIG_FILE, weights: baseUrl + PEFT_WEIGHTS_FILE });
    }
    return this.install(adapter, config, weights, 'url', baseUrl);
  }

  async exportAdapter(id: string): Promise<ExportedAdapter> {
    const r = await getAdapterRecord(this.deps.db, id);
    if (!r) throw new TributaryError('lora/not-found', `No adapter with id ${id} is installed.`);
    return {
      name: r.name,
      files: { [PEFT_CONFIG_FILE]: new TextEncoder().encode(r.config), [PEFT_WEIGHTS_FILE]: new Uint8Array(await r.weights.arrayBuffer()) } as ExportedAdapter['files'],
    };
  }

  async mergeAdapters(parts: { id: string; weight: number }[], info: AdapterImportInfo): Promise<AdapterSummary> {
    const L = await this.model();
    if (parts.length < 2) throw new TributaryError('lora/config', 'Pick at least two adapters to merge.');
    const loadedParts = [];
    for (const p of parts) {
      if (!Number.isFinite(p.weight)) throw new TributaryError('lora/config', `A merge weight must be a number (got ${p.weight}).`);
      loadedParts.push({ adapter: await L.registry.load(p.id), weight: p.weight });
    }
    const rank = loadedParts.filter((p) => p.weight !== 0).reduce((s, p) => s + p.adapter.meta.rank, 0);
    if (rank > MAX_ADAPTER_RANK) {
      throw new TributaryError('engine/lora-slot', `The merged adapter would have rank ${rank} (the ranks add up), above the ${MAX_ADAPTER_RANK} an adapter slot holds; merge fewer or smaller adapters.`);
    }
    const datanets = [...new Set(loadedParts.flatMap((p) => p.adapter.meta.datanets))];
    const name = info.name?.trim() || loadedParts.map((p) => p.adapter.meta.name).join(' + ');
    const merged = mergeAdapters(loadedParts, L.config, { name, owner: info.owner ?? null, datanets: info.datanets ?? datanets, baseModel: loadedParts[0]!.adapter.meta.baseModel });
    const files = writePeftAdapter(merged);
    const detail = loadedParts.map((p) => `${p.weight} × ${p.adapter.meta.name}`).join(' + ');
    return this.install(merged, files[PEFT_CONFIG_FILE], files[PEFT_WEIGHTS_FILE], 'merge', detail);
  }

  async removeAdapter(id: string): Promise<void> {
    const L = this.loaded;
    if (L?.registry.has(id)) await L.registry.remove(id); // lora/in-use while an answer uses it
    await deleteAdapterRecord(this.deps.db, id);
  }

  /** Installs the demo adapters the first time this demo build is seen (a removed one stays removed). */
  private async installDemoAdapters(demo: DemoManifest, progress: (p: LoadProgress) => void): Promise<void> {
    const L = this.loaded!;
    const key = `demoAdapters:${demo.files.find((f) => f.path === 'model.safetensors')?.sha256 ?? demo.id}`;
    if ((await getSetting<boolean>(this.deps.db, key)) === true) return;
    const base = this.base() + DEMO_MODEL_PATH;
    let done = 0;
    for (const a of demo.adapters) {
      progress({ phase: 'adapters', loaded: done, total: demo.adapters.length, file: a.dir });
      if (!(await getAdapterRecord(this.deps.db, a.id))) {
        const get = async (name: string): Promise<Uint8Array> => {
          const path = `adapters/${a.dir}/${name}`;
          const m = demo.files.find((f) => f.path === path);
          return (
            await downloadWithResume(base + path, {
              fetch: this.deps.fetch,
              cache: this.deps.cache,
              name: path,
              maxRetries: 2,
              maxBytes: name === PEFT_CONFIG_FILE ? DOWNLOAD_LIMITS.maxSmallFileBytes : DOWNLOAD_LIMITS.maxAdapterBytes,
              ...(m?.size !== undefined ? { expectedSize: m.size } : {}),
              ...(m?.sha256 ? { sha256: m.sha256 } : {}),
            })
          ).bytes;
        };
        const config = await get(PEFT_CONFIG_FILE);
        const weights = await get(PEFT_WEIGHTS_FILE);
        const adapter = parsePeftAdapter({ config, weights }, L.config);
        await this.install(adapter, config, weights, 'demo', `bundled with the demo model (${a.dir})`);
      }
      done++;
    }
    progress({ phase: 'adapters', loaded: done, total: demo.adapters.length });
    await setSetting(this.deps.db, key, true);
  }
}

function paramCount(c: ModelConfig): number {
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  const d = c.hiddenSize;
  const perLayer = d * qDim * 2 + d * kvDim * 2 + 3 * d * c.intermediateSize + 2 * d + (c.attentionBias ? qDim + 2 * kvDim : 0);
  return c.vocabSize * d * (c.tieWordEmbeddings ? 1 : 2) + c.numLayers * perLayer + d;
}

/** Import info with a default name from the picked folder or file. */
function cleanInfo(info: AdapterImportInfo, files: readonly { name: string }[]): { name?: string; owner?: Address | null; datanets?: string[] } {
  const out: { name?: string; owner?: Address | null; datanets?: string[] } = {};
  const name = info.name?.trim();
  if (name) out.name = name;
  else {
    const folder = files.map((f) => f.name.split('/')).find((p) => p.length > 1)?.slice(-2, -1)[0];
    if (folder) out.name = folder;
  }
  if (info.owner !== undefined) out.owner = info.owner;
  if (info.datanets !== undefined) out.datanets = info.datanets;
  return out;
}
