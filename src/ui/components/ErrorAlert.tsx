import { Show } from 'solid-js';
import { toShownError } from '../lib/errors.ts';

interface Props {
  /** Anything thrown; nothing is shown while it is undefined or null. */
  error: unknown;
  /** A short heading, e.g. "Could not create the Datanet". */
  title?: string;
  onDismiss?: () => void;
}

/** A readable error (TributaryError code/message/subject) in a role="alert" box. */
export function ErrorAlert(props: Props) {
  const shown = () => (props.error === undefined || props.error === null ? undefined : toShownError(props.error));
  return (
    <Show when={shown()}>
      {(e) => (
        <div class="alert alert-error" role="alert" data-code={e().code ?? ''}>
          <div class="alert-body">
            <Show when={props.title}>
              <p class="alert-title">{props.title}</p>
            </Show>
            <p class="alert-message">
              <Show when={e().subject}>
                <strong class="alert-subject">{e().subject}: </strong>
              </Show>
              {e().message}
            </p>
            <Show when={e().code}>
              <p class="alert-code">
                Error code <code>{e().code}</code>
              </p>
            </Show>
          </div>
          <Show when={props.onDismiss}>
            <button type="button" class="btn btn-ghost btn-small" onClick={() => props.onDismiss?.()}>
              Dismiss
            </button>
          </Show>
        </div>
      )}
    </Show>
  );
}
