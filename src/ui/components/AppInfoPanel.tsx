import { Show, createSignal } from 'solid-js';
import { version } from '../../../package.json';
import { getDataApi, workerEvents } from '../../client/dataClient.ts';
import { online } from '../lib/online.ts';
import { applyUpdate, describeServiceWorker, serviceWorkerError, serviceWorkerState } from '../pwa.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

/** Settings: version, connectivity, service worker, and the worker-recovery test. */
export function AppInfoPanel() {
  const [testing, setTesting] = createSignal(false);
  const [testResult, setTestResult] = createSignal<string>();
  const [testError, setTestError] = createSignal<unknown>();

  const testRecovery = async () => {
    setTesting(true);
    setTestResult(undefined);
    setTestError(undefined);
    // The worker dies just after answering; wait until the supervisor reports the restart (or give up
    // waiting after a few seconds), then check that the fresh worker answers.
    let unsubscribe: (() => void) | undefined;
    const restarted = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 5000);
      unsubscribe = workerEvents.subscribe((e) => {
        if (e.type === 'restarted') {
          clearTimeout(timer);
          resolve(true);
        }
      });
    });
    try {
      try {
        await getDataApi().crashForTesting();
      } catch {
        // Also fine: the worker died before it answered.
      }
      const sawRestart = await restarted;
      const started = performance.now();
      await getDataApi().ping();
      setTestResult(
        sawRestart
          ? `The data worker crashed on purpose, was restarted, and answered again after ${Math.round(performance.now() - started)} ms.`
          : 'No crash was reported within 5 seconds, but the data worker answers.',
      );
    } catch (err) {
      setTestError(err);
    } finally {
      unsubscribe?.();
      setTesting(false);
    }
  };

  return (
    <div>
      <dl class="facts facts-grid">
        <div>
          <dt>Version</dt>
          <dd class="mono">{version}</dd>
        </div>
        <div>
          <dt>Network</dt>
          <dd>{online() ? 'Online' : 'Offline'}</dd>
        </div>
        <div>
          <dt>Service worker</dt>
          <dd>
            <span class="mono small">{serviceWorkerState()}</span> — {describeServiceWorker(serviceWorkerState())}
            <Show when={serviceWorkerError()}>
              <span class="muted small"> ({serviceWorkerError()})</span>
            </Show>
          </dd>
        </div>
      </dl>
      <Show when={serviceWorkerState() === 'update-available'}>
        <button type="button" class="btn btn-primary" onClick={() => void applyUpdate()}>
          Reload to update
        </button>
      </Show>

      <h3 class="h4">Worker recovery</h3>
      <p class="hint">
        Heavy work runs in a background worker. This makes it crash on purpose so you can see it being restarted; whatever you
        do next still works.
      </p>
      <button type="button" class="btn btn-secondary" disabled={testing()} onClick={() => void testRecovery()}>
        {testing() ? 'Testing…' : 'Test worker recovery'}
      </button>
      <Show when={testResult()}>
        <p class="alert alert-success" role="status">
          {testResult()}
        </p>
      </Show>
      <ErrorAlert title="The worker did not recover" error={testError()} />
    </div>
  );
}
