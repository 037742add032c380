import { For, Show, createResource } from 'solid-js';
import { probeWebGpu } from '../lib/webgpu.ts';
import { keyboardScrollable } from '../lib/keyboardScrollable.ts';

const orUnknown = (s: string) => s || '(not reported)';

/** Settings: what WebGPU this browser offers (needed later for training and serving adapters). */
export function WebGpuPanel() {
  const [report, { refetch }] = createResource(probeWebGpu);
  const ok = () => {
    const r = report();
    return r?.status === 'ok' ? r : undefined;
  };
  const problem = () => {
    const r = report();
    return r && r.status !== 'ok' ? r : undefined;
  };
  const problemTitle = (status: string) =>
    status === 'unavailable' ? 'WebGPU is unavailable in this browser' : status === 'no-adapter' ? 'No WebGPU adapter available' : 'WebGPU adapter request failed';
  return (
    <div>
      <Show when={!report.loading || report()} fallback={<p class="muted">Asking the browser for a GPU adapter…</p>}>
        <Show when={problem()}>
          {(p) => (
            <div class="alert alert-warning">
              <p>
                <strong>{problemTitle(p().status)}</strong>
              </p>
              <p>{p().reason}</p>
            </div>
          )}
        </Show>
        <Show when={ok()}>
          {(ok) => (
            <>
              <dl class="facts facts-grid">
                <div>
                  <dt>Vendor</dt>
                  <dd>{orUnknown(ok().info.vendor)}</dd>
                </div>
                <div>
                  <dt>Architecture</dt>
                  <dd>{orUnknown(ok().info.architecture)}</dd>
                </div>
                <div>
                  <dt>Device</dt>
                  <dd>{orUnknown(ok().info.device)}</dd>
                </div>
                <div>
                  <dt>Description</dt>
                  <dd>{orUnknown(ok().info.description)}</dd>
                </div>
                <div>
                  <dt>Fallback adapter</dt>
                  <dd>{ok().isFallbackAdapter ? 'Yes (software, slow)' : 'No'}</dd>
                </div>
              </dl>
              <h3 class="h4">Features ({ok().features.length})</h3>
              <Show when={ok().features.length > 0} fallback={<p class="muted">No optional features.</p>}>
                <ul class="tags feature-list">
                  <For each={ok().features}>{(f) => <li class="tag mono">{f}</li>}</For>
                </ul>
              </Show>
              <details class="limits-details">
                <summary>Limits ({ok().limits.length})</summary>
                <div class="table-wrap" ref={keyboardScrollable} role="region" aria-label="WebGPU adapter limits">
                  <table class="table table-compact">
                    <caption class="visually-hidden">WebGPU adapter limits</caption>
                    <thead>
                      <tr>
                        <th scope="col">Limit</th>
                        <th scope="col" class="num">
                          Value
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      <For each={ok().limits}>
                        {([k, v]) => (
                          <tr>
                            <td class="mono">{k}</td>
                            <td class="num mono">{v.toLocaleString('en-US')}</td>
                          </tr>
                        )}
                      </For>
                    </tbody>
                  </table>
                </div>
              </details>
            </>
          )}
        </Show>
      </Show>
      <button type="button" class="btn btn-ghost btn-small" onClick={() => void refetch()}>
        Check again
      </button>
    </div>
  );
}
