/**
 * Importing a PEFT adapter from picked files or a URL.
 */
import type { AdapterImportInfo } from '../../workerApi/engineApi.ts';
import type { Address } from '../../core/types.ts';
import { DOWNLOAD_LIMITS, downloadWithResume } from '../../engine/formats/download.ts';
import { modelBaseUrl } from '../../engine/formats/modelSource.ts';
import { PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE, parsePeftAdapter, type PeftAdapter } from '../../engine/lora/peft.ts';
import { type AdapterSummary } from '../../store/adapters.ts';
import { parsePickedAdapter, renameSubject, type NamedBytes } from './adapterFiles.ts';
import type { EngineContext } from './context.ts';
import { loadedModel } from './loadModel.ts';
import { installAdapter } from './installAdapter.ts';

export async function importAdapterFiles(ctx: EngineContext, files: { name: string; bytes: Uint8Array }[], info: AdapterImportInfo = {}): Promise<AdapterSummary> {
  const L = await loadedModel(ctx);
  const { adapter, config, weights } = parsePickedAdapter(files as NamedBytes[], L.config, cleanInfo(info, files));
  return installAdapter(ctx, adapter, config.bytes, weights.bytes, 'files', `${config.name}, ${weights.name}`);
}

export async function importAdapterUrl(ctx: EngineContext, src: { url?: string; repo?: string; host?: string; revision?: string }, info: AdapterImportInfo = {}): Promise<AdapterSummary> {
  const L = await loadedModel(ctx);
  const baseUrl = modelBaseUrl({
    ...(src.url ? { baseUrl: src.url } : {}),
    ...(src.repo ? { repo: src.repo } : {}),
    ...(src.host ? { host: src.host } : {}),
    ...(src.revision ? { revision: src.revision } : {}),
  });
  const get = async (name: string): Promise<Uint8Array> =>
    (await downloadWithResume(baseUrl + name, { fetch: ctx.deps.fetch, cache: null, name, maxRetries: 2, maxBytes: name === PEFT_CONFIG_FILE ? DOWNLOAD_LIMITS.maxSmallFileBytes : DOWNLOAD_LIMITS.maxAdapterBytes })).bytes;
  const [config, weights] = [await get(PEFT_CONFIG_FILE), await get(PEFT_WEIGHTS_FILE)];
  let adapter: PeftAdapter;
  try {
    const folder = baseUrl.replace(/\/+$/, '').split('/').pop() ?? 'adapter';
    adapter = parsePeftAdapter({ config, weights }, L.config, cleanInfo({ ...info, name: info.name ?? (src.repo ?? folder) }, []));
  } catch (e) {
    throw renameSubject(e, { config: baseUrl + PEFT_CONFIG_FILE, weights: baseUrl + PEFT_WEIGHTS_FILE });
  }
  return installAdapter(ctx, adapter, config, weights, 'url', baseUrl);
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
