/**
 * Getting PEFT adapter files from where users have them: picked files (a `File` list, e.g. a folder picked with
 * `webkitdirectory`, matched by base name) or a URL folder (`<base>/adapter_config.json`, `<base>/adapter_model.safetensors`).
 *
 * @example
 * const adapter = await importPeftFiles(input.files!, model.config, { owner: me });
 * const remote = await fetchPeftAdapter('https://huggingface.co/user/adapter/resolve/main', model.config);
 */
import { TributaryError } from '../../core/errors.ts';
import type { LlamaConfig } from '../model/types.ts';
import { parsePeftAdapter, PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE, type AdapterInfo, type PeftAdapter } from './peft.ts';

/** What a `File` offers (so tests can pass plain objects). */
export interface NamedBlob {
  readonly name: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

const baseName = (n: string): string => n.slice(n.replace(/\\/g, '/').lastIndexOf('/') + 1);

/** Parses the adapter among picked files (other files are ignored). The name defaults to the folder's or "adapter". */
export async function importPeftFiles(files: Iterable<NamedBlob> | ArrayLike<NamedBlob>, model: LlamaConfig, info: AdapterInfo = {}): Promise<PeftAdapter> {
  const list = Array.from(files as Iterable<NamedBlob>);
  const find = (want: string): NamedBlob => {
    const f = list.find((x) => baseName(x.name) === want);
    if (!f) {
      throw new TributaryError('lora/config', `${want} is missing: pick both adapter_config.json and adapter_model.safetensors (or the folder holding them).`, want);
    }
    return f;
  };
  const cfg = find(PEFT_CONFIG_FILE);
  const w = find(PEFT_WEIGHTS_FILE);
  const rel = (w as { webkitRelativePath?: string }).webkitRelativePath ?? '';
  const folder = rel.includes('/') ? rel.split('/').slice(-2, -1)[0] : undefined;
  const [c, b] = await Promise.all([cfg.arrayBuffer(), w.arrayBuffer()]);
  return parsePeftAdapter({ config: new Uint8Array(c), weights: new Uint8Array(b) }, model, { ...(folder ? { name: folder } : {}), ...info });
}

/** Downloads and parses `<baseUrl>/adapter_config.json` and `<baseUrl>/adapter_model.safetensors`. */
export async function fetchPeftAdapter(
  baseUrl: string,
  model: LlamaConfig,
  info: AdapterInfo = {},
  opts: { fetch?: typeof fetch; signal?: AbortSignal } = {},
): Promise<PeftAdapter> {
  const f = opts.fetch ?? fetch;
  const base = baseUrl.replace(/\/+$/, '');
  const get = async (name: string): Promise<Uint8Array> => {
    const url = `${base}/${name}`;
    let res: Response;
    try {
      res = await f(url, opts.signal ? { signal: opts.signal } : {});
    } catch (e) {
      if (opts.signal?.aborted) throw new TributaryError('model/aborted', 'The adapter download was cancelled.', url);
      throw new TributaryError('model/fetch', `Could not download it (${(e as Error).message}); check the address and your connection.`, url);
    }
    if (!res.ok) throw new TributaryError('model/fetch', `The server answered ${res.status} ${res.statusText}; check the address.`, url);
    return new Uint8Array(await res.arrayBuffer());
  };
  const [config, weights] = await Promise.all([get(PEFT_CONFIG_FILE), get(PEFT_WEIGHTS_FILE)]);
  const name = info.name ?? (base.split('/').filter((p) => p && !['resolve', 'main', 'tree'].includes(p)).pop() || 'adapter');
  return parsePeftAdapter({ config, weights }, model, { ...info, name });
}
