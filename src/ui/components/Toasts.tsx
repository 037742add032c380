import { For } from 'solid-js';
import { dismissToast, toasts } from '../lib/toasts.ts';

/** The status region: worker events and short confirmations. */
export function Toasts() {
  return (
    <div class="toasts" role="status" aria-live="polite" aria-label="Notifications">
      <For each={toasts()}>
        {(t) => (
          <div class={`toast toast-${t.kind}`}>
            <span class="toast-message">{t.message}</span>
            <button type="button" class="btn btn-ghost btn-small" aria-label="Dismiss notification" onClick={() => dismissToast(t.id)}>
              ×
            </button>
          </div>
        )}
      </For>
    </div>
  );
}
