/**
 * Installing an adapter: its record in IndexedDB and its place in the registry; the demo adapters once per demo build.
 */
import type { LoadProgress } from '../../workerApi/engineApi.ts';
import type { AdapterTraining } from '../../core/adapter.ts';
import { TributaryError } from '../../core/errors.ts';
import { DOWNLOAD_LIMITS, downloadWithResume } from '../../engine/formats/download.ts';
import { PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE, parsePeftAdapter, type PeftAdapter } from '../../engine/lora/peft.ts';
import { TRAINING_LOG_JSON, TRAINING_LOG_TENSORS } from '../../engine/train/trainingLog.ts';
import { putAdapterRecord, getAdapterRecord, type AdapterOrigin, type AdapterRecord, type AdapterSummary } from '../../store/adapters.ts';
import { getSetting, setSetting } from '../../store/settings.ts';
import { DEMO_MODEL_PATH, type DemoManifest } from './demoModel.ts';
import type { EngineContext } from './context.ts';
import { appBase } from './context.ts';
import { MAX_ADAPTER_RANK } from './buildModel.ts';

/** What ModelFactory adds to a trained adapter's record: how it was trained, its price, its training log files. */
export interface TrainedAdapterExtra {
  training?: AdapterTraining;
  pricePerAnswer?: bigint;
  trainingFiles?: Record<string, Blob>;
}

export async function installAdapter(
  ctx: EngineContext,
  adapter: PeftAdapter,
  config: Uint8Array | string,
  weights: Uint8Array,
  origin: AdapterOrigin,
  originDetail: string,
  extra: TrainedAdapterExtra = {},
): Promise<AdapterSummary> {
  const L = ctx.loaded!;
  const m = adapter.meta;
  if (m.rank > MAX_ADAPTER_RANK) {
    throw new TributaryError('engine/lora-slot', `The adapter's rank ${m.rank} is above the ${MAX_ADAPTER_RANK} this engine serves; use an adapter of rank ≤ ${MAX_ADAPTER_RANK}.`);
  }
  const existing = await getAdapterRecord(ctx.deps.db, m.id);
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
    installedAt: existing?.installedAt ?? ctx.deps.now(),
    config: typeof config === 'string' ? config : new TextDecoder().decode(config),
    weights: new Blob([weights.slice()], { type: 'application/octet-stream' }),
    ...extra,
  };
  await putAdapterRecord(ctx.deps.db, record);
  await L.registry.add(adapter);
  const { config: _c, weights: _w, trainingFiles: _t, ...summary } = record;
  return summary;
}

/** Installs the demo adapters the first time this demo build is seen (a removed one stays removed). */
export async function installDemoAdapters(ctx: EngineContext, demo: DemoManifest, progress: (p: LoadProgress) => void): Promise<void> {
  const L = ctx.loaded!;
  const key = `demoAdapters:${demo.files.find((f) => f.path === 'model.safetensors')?.sha256 ?? demo.id}`;
  if ((await getSetting<boolean>(ctx.deps.db, key)) === true) return;
  const base = appBase(ctx) + DEMO_MODEL_PATH;
  let done = 0;
  for (const a of demo.adapters) {
    progress({ phase: 'adapters', loaded: done, total: demo.adapters.length, file: a.dir });
    if (!(await getAdapterRecord(ctx.deps.db, a.id))) {
      const get = async (name: string): Promise<Uint8Array> => {
        const path = `adapters/${a.dir}/${name}`;
        const m = demo.files.find((f) => f.path === path);
        return (
          await downloadWithResume(base + path, {
            fetch: ctx.deps.fetch,
            cache: ctx.deps.cache,
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
      // a demo adapter trained by the project's trainer ships its training log: kept for gradient influence
      const listed = (name: string) => demo.files.some((f) => f.path === `adapters/${a.dir}/${name}`);
      const trainingFiles: Record<string, Blob> = {};
      if (listed(TRAINING_LOG_JSON) && listed(TRAINING_LOG_TENSORS)) {
        for (const name of [TRAINING_LOG_JSON, TRAINING_LOG_TENSORS]) trainingFiles[name] = new Blob([(await get(name)).slice()]);
      }
      await installAdapter(ctx, adapter, config, weights, 'demo', `bundled with the demo model (${a.dir})`, Object.keys(trainingFiles).length > 0 ? { trainingFiles } : {});
    }
    done++;
  }
  progress({ phase: 'adapters', loaded: done, total: demo.adapters.length });
  await setSetting(ctx.deps.db, key, true);
}
