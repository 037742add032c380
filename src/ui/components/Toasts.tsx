import { For } from 'solid-js';
import { dismissToast, holdToasts, toasts } from '../lib/toasts.ts';
import { createHoldTracker } from '../lib/holdTracker.ts';

/** The status region: worker events and short confirmations. Hovering or focusing it keeps the toasts. */
export function Toasts() {
  const hold = createHoldTracker(holdToasts);
  return (
    <div class="toasts" role="status" aria-live="polite" aria-label="Notifications" {...hold}>
      <For each={toasts()}>
        {(t) => (
          <div class={`toast toast-${t.kind}`}>
            <span class="toast-message">{t.message}</span>
            <button type="button" class="btn btn-ghost btn-small toast-close" aria-label="Dismiss notification" onClick={() => dismissToast(t.id)}>
              ×
            </button>
          </div>
        )}
      </For>
    </div>
  );
}
