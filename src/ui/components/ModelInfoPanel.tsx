import { Show } from 'solid-js';
import type { ModelInfo } from '../../workerApi/engineApi.ts';
import { formatBytes } from '../lib/format.ts';
import { weightFormatNote } from '../lib/weightFormat.ts';

function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

/** The loaded model: what it is (a generated demo model says so plainly), its shape, format and memory. */
export function ModelInfoPanel(props: { model: ModelInfo }) {
  const m = () => props.model;
  return (
    <div class="model-info">
      <p class="model-name">
        <strong>{m().label}</strong>{' '}
        <Show when={m().generated}>
          <span class="badge badge-pending">Generated, not trained</span>
        </Show>
      </p>
      <Show when={m().generated}>
        <div class="alert alert-warning model-notice" role="note">
          <p>
            <strong>Its answers are gibberish.</strong> {m().notice}
          </p>
        </div>
      </Show>
      <Show when={!m().generated && m().notice}>
        <p class="hint model-notice" role="note">
          {m().notice}
        </p>
      </Show>
      <Show when={!m().hasChatTemplate}>
        <p class="hint">This model has no chat template; the conversation is sent as a plain "User: / Assistant:" transcript.</p>
      </Show>
      <dl class="facts facts-grid model-facts">
        <div>
          <dt>Architecture</dt>
          <dd>{m().architecture}</dd>
        </div>
        <div>
          <dt>Parameters</dt>
          <dd>{formatCount(m().parameters)}</dd>
        </div>
        <div>
          <dt>Layers × width</dt>
          <dd>
            {m().numLayers} × {m().hiddenSize} ({m().numHeads} heads, {m().numKvHeads} KV)
          </dd>
        </div>
        <div>
          <dt>Vocabulary</dt>
          <dd>{m().vocabSize.toLocaleString('en-US')} tokens</dd>
        </div>
        <div>
          <dt>Context</dt>
          <dd>{m().contextLength.toLocaleString('en-US')} tokens</dd>
        </div>
        <div>
          <dt>Weights on device</dt>
          <dd class="model-weights-memory">
            {formatBytes(m().memory.weights)} <span class="muted">({weightFormatNote(m())}; f32 would be {formatBytes(m().memory.weightsF32)})</span>
          </dd>
        </div>
        <div>
          <dt>Adapter slots</dt>
          <dd>{formatBytes(m().memory.lora)} reserved</dd>
        </div>
        <div>
          <dt>Loaded in</dt>
          <dd>{(m().loadMs / 1000).toFixed(1)} s</dd>
        </div>
      </dl>
    </div>
  );
}
