import { Show, createUniqueId } from 'solid-js';
import type { Progress } from '../../workerApi/dataApi.ts';
import { describeProgress } from '../lib/progress.ts';

interface Props {
  /** The latest progress event; while undefined the bar is indeterminate. */
  progress: Progress | undefined;
  /** Shown before the first event arrives. */
  label: string;
}

/** A labelled `<progress>` fed by the worker's Progress callbacks. */
export function ProgressBar(props: Props) {
  const id = createUniqueId();
  const text = () => (props.progress ? describeProgress(props.progress) : props.label);
  const determinate = () => !!props.progress && props.progress.total > 0;
  return (
    <div class="progress" role="group" aria-label={props.label}>
      <label for={id} class="progress-label">
        {text()}
      </label>
      <Show
        when={determinate()}
        fallback={
          <progress id={id} aria-busy="true">
            {text()}
          </progress>
        }
      >
        <progress id={id} max={props.progress?.total ?? 1} value={Math.min(props.progress?.done ?? 0, props.progress?.total ?? 1)}>
          {text()}
        </progress>
      </Show>
    </div>
  );
}
