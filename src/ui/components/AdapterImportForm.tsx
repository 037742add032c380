import { Show, createSignal } from 'solid-js';
import type { AdapterSummary } from '../../workerApi/engineApi.ts';
import { getEngineApi } from '../../client/engineClient.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

/** Import a PEFT adapter (adapter_config.json + adapter_model.safetensors) from files or from a URL / hub id. */
export function AdapterImportForm(props: { onImported: (a: AdapterSummary) => void; disabled: boolean }) {
  const [files, setFiles] = createSignal<File[]>([]);
  const [name, setName] = createSignal('');
  const [url, setUrl] = createSignal('');
  const [host, setHost] = createSignal('https://huggingface.co/');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  let fileInput: HTMLInputElement | undefined;

  const fromFiles = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    const picked = files();
    if (picked.length === 0) return setError(new Error('Pick adapter_config.json and adapter_model.safetensors first.'));
    setBusy(true);
    try {
      const parts = await Promise.all(picked.map(async (f) => ({ name: f.webkitRelativePath || f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
      const a = await getEngineApi().importAdapterFiles(parts, name().trim() ? { name: name().trim() } : {});
      props.onImported(a);
      setFiles([]);
      setName('');
      if (fileInput) fileInput.value = '';
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const fromUrl = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    const u = url().trim();
    if (!u) return setError(new Error('Give the folder URL of the adapter, or its Hugging Face id.'));
    setBusy(true);
    try {
      const src = /^https?:\/\//i.test(u) ? { url: u } : { repo: u, host: host().trim() };
      const a = await getEngineApi().importAdapterUrl(src, name().trim() ? { name: name().trim() } : {});
      props.onImported(a);
      setUrl('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="adapter-import">
      <form class="form" onSubmit={(e) => void fromFiles(e)}>
        <div class="field">
          <label for="adapter-files">PEFT files</label>
          <input
            id="adapter-files"
            ref={fileInput}
            type="file"
            multiple
            accept=".json,.safetensors,application/json"
            onChange={(e) => setFiles(Array.from(e.currentTarget.files ?? []))}
          />
          <p class="hint">Pick adapter_config.json and adapter_model.safetensors together (what peft's save_pretrained writes).</p>
        </div>
        <div class="field">
          <label for="adapter-name">Name (optional)</label>
          <input id="adapter-name" type="text" value={name()} onInput={(e) => setName(e.currentTarget.value)} placeholder="from the file's metadata" />
        </div>
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled={busy() || props.disabled}>
            Import files
          </button>
        </div>
      </form>
      <form class="form" onSubmit={(e) => void fromUrl(e)}>
        <div class="field">
          <label for="adapter-url">Or a folder URL / Hugging Face id</label>
          <input id="adapter-url" type="text" value={url()} onInput={(e) => setUrl(e.currentTarget.value)} placeholder="https://example.org/adapters/legal/ or owner/name" />
        </div>
        <Show when={url().trim() !== '' && !/^https?:\/\//i.test(url().trim())}>
          <div class="field">
            <label for="adapter-host">Host</label>
            <input id="adapter-host" type="url" value={host()} onInput={(e) => setHost(e.currentTarget.value)} />
          </div>
        </Show>
        <div class="form-actions">
          <button type="submit" class="btn btn-secondary" disabled={busy() || props.disabled}>
            Import from URL
          </button>
        </div>
      </form>
      <ErrorAlert error={error()} title="The adapter was not imported" onDismiss={() => setError(undefined)} />
    </div>
  );
}
