import { For, Show, createSignal } from 'solid-js';
import { activeAddress, createIdentity, identities, sameAddress, setActiveAddress } from '../lib/identity.ts';
import { formatDateTime } from '../lib/format.ts';
import { jumpTo } from '../lib/jumpTo.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

/** Settings: the local identities, which one is active, and creating another. */
export function IdentitiesPanel() {
  const [label, setLabel] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  const [created, setCreated] = createSignal<string>();

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const name = label().trim();
    setCreated(undefined);
    if (!name) {
      setError(new Error('Give the new identity a label, e.g. your name.'));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const identity = await createIdentity(name);
      setLabel('');
      setCreated(`Created “${identity.label}” (${identity.address}); it is now the active identity.`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div>
      <p class="hint">
        A local key is a signing key kept in this browser's storage. It signs your contributions and votes. A connected wallet
        (<a href="#wallet-title" onClick={(e) => jumpTo(e, 'wallet-title')}>Wallet and chain</a>, or Connect wallet in the header) can be the active identity too: it then
        signs in the wallet.
      </p>
      <ul class="identity-list">
        <For each={identities()} fallback={<li class="muted">Loading identities…</li>}>
          {(i) => (
            <li class="identity-item" classList={{ 'identity-active': sameAddress(i.address, activeAddress()) }}>
              <div>
                <p>
                  <span class="badge badge-neutral">Local key</span> <strong>{i.label}</strong>
                  <Show when={sameAddress(i.address, activeAddress())}>
                    <span class="badge badge-accepted">Active</span>
                  </Show>
                </p>
                <p class="mono break">{i.address}</p>
                <p class="muted small">Created {formatDateTime(i.createdAt)}</p>
              </div>
              <Show when={!sameAddress(i.address, activeAddress())}>
                <button type="button" class="btn btn-ghost btn-small" aria-label={`Use ${i.label}`} onClick={() => setActiveAddress(i.address)}>
                  Use
                </button>
              </Show>
            </li>
          )}
        </For>
      </ul>
      <form class="inline-form" onSubmit={(e) => void submit(e)}>
        <div class="field">
          <label for="settings-identity-label">New identity label</label>
          <input id="settings-identity-label" type="text" autocomplete="off" placeholder="e.g. Alice" value={label()} onInput={(e) => setLabel(e.currentTarget.value)} />
        </div>
        <button type="submit" class="btn btn-primary" disabled={busy()}>
          {busy() ? 'Creating…' : 'Create identity'}
        </button>
      </form>
      <ErrorAlert error={error()} />
      <Show when={created()}>
        <p class="alert alert-success" role="status">
          {created()}
        </p>
      </Show>
    </div>
  );
}
