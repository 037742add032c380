import { Show, createSignal } from 'solid-js';
import { A } from '@solidjs/router';
import type { ImportReport, Progress } from '../../workerApi/dataApi.ts';
import { getDataApi } from '../../client/dataClient.ts';
import { plural } from '../lib/format.ts';
import { ErrorAlert } from './ErrorAlert.tsx';
import { ProgressBar } from './ProgressBar.tsx';

/** "Import pack": a pack archive from a file or a URL, verified by the worker before anything is written. */
export function ImportPackForm() {
  const [file, setFile] = createSignal<File>();
  const [url, setUrl] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [progress, setProgress] = createSignal<Progress>();
  const [error, setError] = createSignal<unknown>();
  const [report, setReport] = createSignal<ImportReport>();
  let fileInput: HTMLInputElement | undefined;

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const f = file();
    const u = url().trim();
    if (!f && !u) {
      setError(new Error('Choose a pack file (.zip) or enter the URL of one.'));
      return;
    }
    setBusy(true);
    setError(undefined);
    setReport(undefined);
    setProgress(undefined);
    try {
      const api = getDataApi();
      const onProgress = (p: Progress) => setProgress(p);
      const result = f ? await api.importPack(new Uint8Array(await f.arrayBuffer()), f.name, onProgress) : await api.importPackFromUrl(u, onProgress);
      setReport(result);
      setFile(undefined);
      setUrl('');
      if (fileInput) fileInput.value = '';
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      setProgress(undefined);
    }
  };

  return (
    <form class="form import-pack" onSubmit={(e) => void submit(e)} aria-labelledby="import-pack-title">
      <h2 id="import-pack-title">Import a pack</h2>
      <p class="section-intro">
        A pack is a Datanet version exported as a .zip: its manifest, contributions, passages and signatures. Every hash,
        signature and the Merkle root are checked before anything is stored.
      </p>
      <div class="field">
        <label for="pack-file">Pack file (.zip)</label>
        <input
          id="pack-file"
          ref={fileInput}
          type="file"
          accept=".zip,application/zip"
          onChange={(e) => {
            setFile(e.currentTarget.files?.[0]);
            if (e.currentTarget.files?.[0]) setUrl('');
          }}
        />
      </div>
      <p class="or" aria-hidden="true">
        or
      </p>
      <div class="field">
        <label for="pack-url">Pack URL</label>
        <input
          id="pack-url"
          type="url"
          inputmode="url"
          placeholder="https://example.org/my-datanet-v3.zip"
          value={url()}
          onInput={(e) => {
            setUrl(e.currentTarget.value);
            if (e.currentTarget.value && fileInput) {
              fileInput.value = '';
              setFile(undefined);
            }
          }}
        />
      </div>
      <Show when={busy()}>
        <ProgressBar progress={progress()} label="Importing pack…" />
      </Show>
      <ErrorAlert title="The pack was not imported" error={error()} />
      <Show when={report()}>
        {(r) => (
          <div class="alert alert-success" role="status">
            <Show
              when={r().contributions === 0 && r().skipped > 0}
              fallback={
                <p>
                  Imported <strong>{r().name}</strong> version {r().version}: {plural(r().contributions, 'contribution')},{' '}
                  {plural(r().chunks, 'passage')}
                  {r().skipped > 0 ? ` (${r().skipped} already here, skipped)` : ''}.
                </p>
              }
            >
              <p>
                <strong>{r().name}</strong> version {r().version} was already here: nothing new was written ({plural(r().skipped, 'contribution')}{' '}
                already here, skipped).
              </p>
            </Show>
            <p class="mono small break">Manifest hash {r().manifestHash}</p>
            <p>
              <A href={`/datanets/${r().datanetId}`}>Open {r().name}</A>
            </p>
          </div>
        )}
      </Show>
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={busy()}>
          {busy() ? 'Importing…' : 'Import pack'}
        </button>
      </div>
    </form>
  );
}
