import { Show, createUniqueId } from 'solid-js';
import type { LoadProgress } from '../../workerApi/engineApi.ts';
import { formatBytes } from '../lib/format.ts';

const PHASE = { files: 'Downloading files', weights: 'Reading weights', device: 'Uploading to the device', adapters: 'Installing the demo adapters' } as const;

function describe(p: LoadProgress): string {
  const file = p.file ? ` — ${p.file}` : '';
  if (p.phase === 'files') {
    const amount = p.total ? `${formatBytes(p.loaded)} of ${formatBytes(p.total)}` : formatBytes(p.loaded);
    return `${PHASE.files}${file}: ${amount}${p.fromCache ? ' (from the offline cache)' : ''}`;
  }
  return `${PHASE[p.phase]}${file}${p.total ? ` (${p.loaded} of ${p.total})` : ''}`;
}

/** A labelled progress bar for a model load (bytes while downloading, tensors while reading). */
export function ModelLoadProgress(props: { label: string; progress: LoadProgress | undefined }) {
  const id = createUniqueId();
  const text = () => (props.progress ? describe(props.progress) : props.label);
  const determinate = () => !!props.progress && (props.progress.total ?? 0) > 0;
  return (
    <div class="progress model-load-progress" role="group" aria-label={props.label}>
      <label for={id} class="progress-label">
        {props.label}: {text()}
      </label>
      <Show when={determinate()} fallback={<progress id={id} aria-busy="true" />}>
        <progress id={id} max={props.progress?.total ?? 1} value={Math.min(props.progress?.loaded ?? 0, props.progress?.total ?? 1)} />
      </Show>
    </div>
  );
}
