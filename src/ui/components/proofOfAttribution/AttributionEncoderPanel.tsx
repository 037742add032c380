import { For, Show, createSignal } from 'solid-js';
import type { IndexProgress, IndexSummary } from '../../../workerApi/attributionApi.ts';
import { getAttributionApi } from '../../../client/attributionClient.ts';
import { tracedDatanets } from '../../lib/answerAttribution.ts';
import { attributionEncoder, chooseAttributionEncoder } from '../../lib/attributionEncoder.ts';
import { ErrorAlert } from '../ErrorAlert.tsx';

const fmtBytes = (n: number): string => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(0)} kB` : `${n} bytes`);

function describe(p: IndexProgress): string {
  if (p.phase === 'download') return `Downloading ${p.file ?? 'the encoder'}: ${fmtBytes(p.done)}${p.total > 0 ? ` of ${fmtBytes(p.total)}` : ''}`;
  if (p.phase === 'embedding') return `Embedding the passages of ${p.datanetId}: ${p.done} of ${p.total}`;
  return `Indexing ${p.datanetId} (${p.phase})`;
}

/**
 * Settings → Attribution encoder: which passage encoder attribution's embeddings use. The default is the loaded chat
 * model's own hidden states (no download). An ONNX sentence encoder (e.g. all-MiniLM-L6-v2 exported to ONNX) is
 * loaded from a folder URL in the attribution worker, with download progress, and every Datanet here is indexed
 * with it; a missing, bad or mismatched file is shown as its typed error and the choice is left as it was.
 */
export function AttributionEncoderPanel() {
  const current = attributionEncoder;
  const [mode, setMode] = createSignal<'model' | 'onnx'>(current().kind);
  const [url, setUrl] = createSignal(current().kind === 'onnx' ? (current() as { url: string }).url : '');
  const [busy, setBusy] = createSignal(false);
  const [progress, setProgress] = createSignal<IndexProgress>();
  const [error, setError] = createSignal<unknown>();
  const [built, setBuilt] = createSignal<IndexSummary[]>();

  const useModel = (): void => {
    setMode('model');
    setError(undefined);
    setBuilt(undefined);
    chooseAttributionEncoder({ kind: 'model' });
  };

  const load = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setBuilt(undefined);
    setProgress(undefined);
    try {
      const choice = { kind: 'onnx' as const, url: new URL(url().trim(), location.href).href };
      const ids = await tracedDatanets();
      const summaries = await getAttributionApi().ensureIndexes(ids.length > 0 ? ids : [], (p) => setProgress(p), undefined, choice);
      chooseAttributionEncoder(choice);
      setBuilt(summaries);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      setProgress(undefined);
    }
  };

  const active = () => {
    const c = current();
    return c.kind === 'onnx' ? c.url : null;
  };

  return (
    <div class="form attribution-encoder" data-encoder={current().kind}>
      <fieldset class="fieldset">
        <legend>Passage encoder for embeddings</legend>
        <div class="choice-list">
          <label class="choice">
            <input type="radio" name="attribution-encoder" value="model" checked={mode() === 'model'} onChange={useModel} disabled={busy()} />
            <span>
              <strong>The chat model’s own hidden states</strong>
              <span class="hint">The default: no download, works offline with whatever model is loaded.</span>
            </span>
          </label>
          <label class="choice">
            <input type="radio" name="attribution-encoder" value="onnx" checked={mode() === 'onnx'} onChange={() => setMode('onnx')} disabled={busy()} />
            <span>
              <strong>An ONNX sentence encoder from a URL</strong>
              <span class="hint">A sentence-transformers model exported to ONNX (e.g. all-MiniLM-L6-v2, 384 dimensions), run in the attribution worker with onnxruntime-web.</span>
            </span>
          </label>
        </div>
      </fieldset>
      <Show when={mode() === 'onnx'}>
        <form class="form" onSubmit={(e) => void load(e)}>
          <div class="field">
            <label for="attribution-encoder-url">Encoder folder URL</label>
            <input id="attribution-encoder-url" type="url" required value={url()} onInput={(e) => setUrl(e.currentTarget.value)} placeholder="https://…/all-MiniLM-L6-v2/" aria-describedby="attribution-encoder-url-hint" disabled={busy()} />
            <p class="hint" id="attribution-encoder-url-hint">
              A folder with <code>encoder.json</code>, <code>tokenizer.json</code> and the ONNX model, or a sentence-transformers folder (<code>1_Pooling/config.json</code>, <code>onnx/model.onnx</code>). See docs/ATTRIBUTION.md.
            </p>
          </div>
          <button type="submit" class="btn btn-primary" disabled={busy() || url().trim() === ''}>
            {busy() ? 'Loading…' : 'Load and index the Datanets'}
          </button>
        </form>
      </Show>
      <Show when={progress()}>
        {(p) => (
          <div class="progress" role="status">
            <label class="progress-label" for="attribution-encoder-progress">
              {describe(p())}
            </label>
            <Show when={p().total > 0} fallback={<progress id="attribution-encoder-progress" aria-busy="true" />}>
              <progress id="attribution-encoder-progress" max={p().total} value={Math.min(p().done, p().total)} />
            </Show>
          </div>
        )}
      </Show>
      <ErrorAlert error={error()} title="The encoder was not loaded; attribution keeps its current encoder." />
      <Show when={built()}>
        {(list) => (
          <div class="attribution-encoder-built" role="status">
            <Show when={list()[0]?.encoder} fallback={<p class="hint">The encoder loaded; there is no Datanet with a published version to index yet.</p>}>
              {(enc) => (
                <p>
                  Answers are now traced with <strong class="mono break">{enc().id}</strong> ({enc().dims}-d, {enc().dims + 4} bytes per passage vector: {enc().dims} int8 values and a 4-byte scale; hash{' '}
                  <span class="mono">{enc().hash.slice(0, 12)}…</span>).
                </p>
              )}
            </Show>
            <ul class="small">
              <For each={list()}>
                {(s) => (
                  <li data-datanet={s.datanetId} data-encoder-id={s.encoder?.id ?? ''} data-passages={s.passages}>
                    {s.datanetId}: {s.passages} passages embedded ({s.embeddingsSource === 'local' ? 'built here' : s.embeddingsSource === 'pack' ? 'from the pack' : 'none'})
                  </li>
                )}
              </For>
            </ul>
          </div>
        )}
      </Show>
      <p class="hint">
        Now tracing with: <span class="mono break" data-active-encoder>{active() ?? 'the chat model’s own hidden states'}</span>. An index is only ever queried with the encoder that made it.
      </p>
    </div>
  );
}
