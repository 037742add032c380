import { For, Show, createResource, createSignal } from 'solid-js';
import { WEBLLM_MODELS, webLlmAvailability } from '../../workerApi/webLlmModels.ts';
import { interruptWebLlm, loadWebLlmModel, webLlmChat, type WebLlmMessage, type WebLlmProgress } from '../../client/webLlmClient.ts';
import { probeWebGpu } from '../lib/webgpu.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

/**
 * Chat page: an optional second engine, `@mlc-ai/web-llm`, for larger models without adapters. It downloads the
 * model from its host (Hugging Face) and needs WebGPU; it has its own small transcript.
 */
export function WebLlmPanel() {
  const [probe] = createResource(probeWebGpu);
  const availability = () => webLlmAvailability(probe());
  const unavailableReason = () => {
    const a = availability();
    return a.ok ? undefined : a.reason;
  };
  const [modelId, setModelId] = createSignal(WEBLLM_MODELS[0]!.id);
  const [loaded, setLoaded] = createSignal<string>();
  const [progress, setProgress] = createSignal<WebLlmProgress>();
  const [loading, setLoading] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  const [messages, setMessages] = createSignal<WebLlmMessage[]>([]);
  const [draft, setDraft] = createSignal('');
  const [streaming, setStreaming] = createSignal(false);

  const load = async () => {
    setError(undefined);
    setLoading(true);
    setProgress(undefined);
    setLoaded(undefined);
    try {
      await loadWebLlmModel(modelId(), setProgress);
      setLoaded(modelId());
      setMessages([]);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };

  const send = async (e: Event) => {
    e.preventDefault();
    const text = draft().trim();
    if (!text || streaming() || !loaded()) return;
    const history: WebLlmMessage[] = [...messages(), { role: 'user', content: text }];
    setMessages([...history, { role: 'assistant', content: '' }]);
    setDraft('');
    setError(undefined);
    setStreaming(true);
    const setLast = (f: (s: string) => string) => setMessages((m) => [...m.slice(0, -1), { role: 'assistant', content: f(m[m.length - 1]?.content ?? '') }]);
    try {
      const r = await webLlmChat(history, (d) => setLast((s) => s + d));
      setLast(() => r.text);
    } catch (err) {
      setError(err);
    } finally {
      setStreaming(false);
    }
  };

  return (
    <details class="webllm-panel">
      <summary>
        <h2 class="h3">Large model via WebLLM (no adapters, downloads from the model host)</h2>
      </summary>
      <p class="hint">
        Runs a larger prebuilt model with <code>@mlc-ai/web-llm</code>. It needs WebGPU and network access to the model host
        (huggingface.co) the first time; adapters, attribution and answer fees do not apply to it.
      </p>
      <Show when={unavailableReason()}>
        {(reason) => (
          <p class="alert alert-warning" id="webllm-unavailable">
            {reason()}
          </p>
        )}
      </Show>
      <fieldset disabled={!availability().ok || loading() || streaming()}>
        <label for="webllm-model">Model</label>
        <select id="webllm-model" value={modelId()} onChange={(e) => setModelId(e.currentTarget.value)}>
          <For each={WEBLLM_MODELS}>{(m) => <option value={m.id}>{`${m.label} — about ${(m.vramMB / 1024).toFixed(1)} GB of GPU memory`}</option>}</For>
        </select>
        <button type="button" class="btn btn-primary btn-small" onClick={() => void load()}>
          {loaded() === modelId() ? 'Reload' : 'Load'}
        </button>
      </fieldset>
      <Show when={loading()}>
        <div class="progress" role="group" aria-label="Loading the WebLLM model">
          <label for="webllm-progress" class="progress-label">
            {progress()?.text ?? 'Starting WebLLM…'}
          </label>
          <progress id="webllm-progress" max={1} value={progress()?.progress ?? 0} />
        </div>
      </Show>
      <ErrorAlert error={error()} title="WebLLM reported a problem" onDismiss={() => setError(undefined)} />
      <Show when={loaded()}>
        <ol class="webllm-transcript">
          <For each={messages()}>
            {(m) => (
              <li class={`webllm-${m.role}`}>
                <strong>{m.role === 'user' ? 'You' : 'WebLLM'}: </strong>
                {m.content}
              </li>
            )}
          </For>
        </ol>
        <form onSubmit={(e) => void send(e)}>
          <label for="webllm-input" class="visually-hidden">
            Message to the WebLLM model
          </label>
          <textarea id="webllm-input" rows="2" value={draft()} onInput={(e) => setDraft(e.currentTarget.value)} />
          <Show
            when={streaming()}
            fallback={
              <button type="submit" class="btn btn-primary btn-small" disabled={draft().trim() === ''}>
                Send
              </button>
            }
          >
            <button type="button" class="btn btn-reject btn-small" onClick={interruptWebLlm}>
              Stop
            </button>
          </Show>
        </form>
      </Show>
    </details>
  );
}
