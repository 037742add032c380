import { Show, createSignal } from 'solid-js';
import type { ModelSourceSpec, QuantChoice } from '../../workerApi/engineApi.ts';
import { ErrorAlert } from './ErrorAlert.tsx';
import { loadEngineModel } from './ModelEngineState.tsx';

const DEFAULT_HOST = 'https://huggingface.co/';

/**
 * Load a model: the bundled demo model, a Hugging Face repo id (on a configurable host) or a folder URL, or model
 * files picked from disk (config.json, tokenizer.json, tokenizer_config.json, *.safetensors); quantised on load.
 */
export function ModelLoadForm(props: { currentQuant: QuantChoice | undefined; disabled: boolean }) {
  const [kind, setKind] = createSignal<'demo' | 'url' | 'files'>('demo');
  const [repo, setRepo] = createSignal('');
  const [host, setHost] = createSignal(DEFAULT_HOST);
  const [files, setFiles] = createSignal<File[]>([]);
  const [quant, setQuant] = createSignal<QuantChoice | undefined>();
  const [error, setError] = createSignal<unknown>();
  const chosenQuant = (): QuantChoice => quant() ?? props.currentQuant ?? 'q8';

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    let spec: ModelSourceSpec;
    let label: string;
    if (kind() === 'demo') {
      spec = { kind: 'demo' };
      label = 'Loading the demo model';
    } else if (kind() === 'url') {
      const r = repo().trim();
      if (!r) return setError(new Error('Give a model id like "HuggingFaceTB/SmolLM2-135M-Instruct" or a folder URL.'));
      const isUrl = /^https?:\/\//i.test(r);
      spec = isUrl ? { kind: 'url', url: r } : { kind: 'url', repo: r, host: host().trim() || DEFAULT_HOST };
      label = `Loading ${r}`;
    } else {
      if (files().length === 0) return setError(new Error('Pick the model files first.'));
      spec = { kind: 'files', files: files() };
      label = 'Loading the picked files';
    }
    try {
      await loadEngineModel(spec, { quant: chosenQuant() }, label);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <form class="form model-load-form" onSubmit={(e) => void submit(e)}>
      <fieldset class="fieldset">
        <legend>Source</legend>
        <div class="choice-list">
          <label class="choice">
            <input type="radio" name="model-source" checked={kind() === 'demo'} onChange={() => setKind('demo')} /> The bundled demo model
          </label>
          <label class="choice">
            <input type="radio" name="model-source" checked={kind() === 'url'} onChange={() => setKind('url')} /> A model on the web (Hugging Face id or folder URL)
          </label>
          <label class="choice">
            <input type="radio" name="model-source" checked={kind() === 'files'} onChange={() => setKind('files')} /> Model files on this computer
          </label>
        </div>
      </fieldset>
      <Show when={kind() === 'url'}>
        <div class="field">
          <label for="model-repo">Model id or folder URL</label>
          <input id="model-repo" type="text" placeholder="HuggingFaceTB/SmolLM2-135M-Instruct" value={repo()} onInput={(e) => setRepo(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="model-host">Model host</label>
          <input id="model-host" type="url" value={host()} onInput={(e) => setHost(e.currentTarget.value)} />
          <p class="hint">Files are fetched from host + id + /resolve/main/, resumed after a broken connection and cached for offline use.</p>
        </div>
      </Show>
      <Show when={kind() === 'files'}>
        <div class="field">
          <label for="model-files">Model files</label>
          <input id="model-files" type="file" multiple onChange={(e) => setFiles(Array.from(e.currentTarget.files ?? []))} />
          <p class="hint">config.json, tokenizer.json, tokenizer_config.json and model.safetensors (or the shards with model.safetensors.index.json). Llama, Qwen2 and Mistral architectures.</p>
        </div>
      </Show>
      <fieldset class="fieldset">
        <legend>Weights on the device</legend>
        <div class="choice-list">
          <label class="choice">
            <input type="radio" name="model-quant" checked={chosenQuant() === 'q8'} onChange={() => setQuant('q8')} /> int8 (quarter of f32)
          </label>
          <label class="choice">
            <input type="radio" name="model-quant" checked={chosenQuant() === 'q4'} onChange={() => setQuant('q4')} /> int4 (an eighth, less exact)
          </label>
          <label class="choice">
            <input type="radio" name="model-quant" checked={chosenQuant() === 'f16'} onChange={() => setQuant('f16')} /> f16 (half memory, WebGPU)
          </label>
          <label class="choice">
            <input type="radio" name="model-quant" checked={chosenQuant() === 'f32'} onChange={() => setQuant('f32')} /> f32 (exact, largest)
          </label>
        </div>
        <Show when={chosenQuant() === 'f16'}>
          <p class="hint">f16 halves the weights' memory with almost no loss (every weight within 2⁻¹¹ of its value). Only WebGPU stores f16; on the CPU the weights load as f32.</p>
        </Show>
      </fieldset>
      <ErrorAlert error={error()} title="The model was not loaded" onDismiss={() => setError(undefined)} />
      <div class="form-actions">
        <button type="submit" class="btn btn-secondary" disabled={props.disabled}>
          Load model
        </button>
      </div>
    </form>
  );
}
