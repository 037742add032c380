import { Show } from 'solid-js';
import { startup } from '../lib/startup.ts';
import { ErrorAlert } from './ErrorAlert.tsx';
import { ProgressBar } from './ProgressBar.tsx';

/** "Loading demo Datanets…" while the bundled packs are imported; nothing once done. */
export function StartupStatus() {
  return (
    <>
      <Show when={startup().demo === 'loading'}>
        <div class="startup-status">
          <ProgressBar progress={startup().demoProgress} label="Loading demo Datanets…" />
        </div>
      </Show>
      <Show when={startup().demo === 'failed'}>
        <div class="startup-status">
          <ErrorAlert title="The demo Datanets could not be loaded" error={startup().demoError} />
        </div>
      </Show>
      <Show when={startup().identityError}>
        <div class="startup-status">
          <ErrorAlert title="Your identities could not be loaded" error={startup().identityError} />
        </div>
      </Show>
    </>
  );
}
