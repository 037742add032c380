import { Show, createSignal } from 'solid-js';
import type { BackendInfo } from '../../workerApi/engineApi.ts';
import { getEngineApi } from '../../client/engineClient.ts';
import { cpuThreadingStatus } from '../../core/cpuThreading.ts';
import { formatDateTime } from '../lib/format.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

/**
 * Which backend runs the model (WebGPU or CPU) and why; the CPU fallback after a GPU loss is called out. Controls: use
 * the CPU even when WebGPU works, and (diagnostics) simulate a GPU device loss to see the fallback.
 */
export function ModelBackendStatus(props: { backend: BackendInfo | null | undefined; forceCpu?: boolean; onChanged?: () => void }) {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  const run = async (f: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await f();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
      props.onChanged?.();
    }
  };
  return (
    <Show when={props.backend} fallback={<p class="muted">Choosing a backend…</p>}>
      {(b) => (
        <div class="engine-backend" id="engine-backend" data-backend={b().name}>
          <p class="engine-backend-name">
            Runs on <strong>{b().name === 'webgpu' ? 'WebGPU' : 'the CPU'}</strong>
            <span class={`badge ${b().name === 'webgpu' ? 'badge-accepted' : 'badge-neutral'}`}>{b().name === 'webgpu' ? 'WebGPU' : 'CPU'}</span>
          </p>
          <p class="hint engine-backend-reason">{b().reason}</p>
          <Show when={b().name === 'cpu'}>
            <p class="hint cpu-threads" data-threads={cpuThreadingStatus().threads}>
              {cpuThreadingStatus().text}
            </p>
          </Show>
          <Show when={b().fallback}>
            {(f) => (
              <div class="alert alert-warning engine-fallback" role="status">
                <p>
                  <strong>Fell back to the CPU</strong> at {formatDateTime(f().at)}: {f().reason}
                </p>
              </div>
            )}
          </Show>
          <Show when={props.onChanged}>
            <details class="engine-diagnostics">
              <summary>Backend options</summary>
              <label class="field-inline">
                <input
                  type="checkbox"
                  checked={props.forceCpu ?? false}
                  disabled={busy()}
                  onChange={(e) => {
                    const forceCpu = e.currentTarget.checked;
                    void run(() => getEngineApi().setPrefs({ forceCpu }));
                  }}
                />
                Use the CPU even when WebGPU works
              </label>
              <Show when={b().name === 'webgpu'}>
                <button type="button" class="btn btn-ghost btn-small" disabled={busy()} onClick={() => void run(() => getEngineApi().loseGpuDevice())}>
                  Simulate a GPU device loss
                </button>
              </Show>
              <ErrorAlert error={error()} title="The backend was not changed" onDismiss={() => setError(undefined)} />
            </details>
          </Show>
        </div>
      )}
    </Show>
  );
}
