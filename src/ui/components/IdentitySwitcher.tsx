import { For, Show, createSignal } from 'solid-js';
import type { Address } from '../../core/types.ts';
import { activeAddress, activeWalletWaiting, createIdentity, describeIdentity, identities, sameAddress, setActiveAddress, walletIdentity } from '../lib/identity.ts';
import { online } from '../lib/online.ts';
import { createPopover } from '../lib/popover.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

/**
 * Header control: pick the active identity (a local key, or the wallet's account), or make a new local key. A wallet
 * identity remembered from the last session but not connected (an offline reload) stays chosen, with a note saying
 * it reconnects when online.
 */
export function IdentitySwitcher() {
  const pop = createPopover();
  const [label, setLabel] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>();

  const open = () => {
    setError(undefined);
    pop.toggle();
  };

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const name = label().trim();
    if (!name) {
      setError(new Error('Give the new identity a label, e.g. your name.'));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await createIdentity(name);
      setLabel('');
      pop.close(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="identity-switcher" ref={pop.root}>
      <label class="visually-hidden" for="identity-select">
        Identity
      </label>
      <select
        id="identity-select"
        class="identity-select"
        disabled={identities().length === 0}
        onChange={(e) => setActiveAddress(e.currentTarget.value as Address)}
      >
        <Show when={identities().length === 0}>
          <option value="">Loading identities…</option>
        </Show>
        <Show when={walletIdentity()}>
          {(w) => (
            <option value={w().address} selected={sameAddress(w().address, activeAddress())}>
              {describeIdentity(w())}
            </option>
          )}
        </Show>
        <For each={identities()}>
          {(i) => (
            <option value={i.address} selected={sameAddress(i.address, activeAddress())}>
              {describeIdentity(i)}
            </option>
          )}
        </For>
      </select>
      <Show when={activeWalletWaiting()}>
        <span class="identity-wallet-note small muted" role="status">
          {online() ? 'Wallet not connected: use “Connect wallet” to sign' : 'Offline: read-only, the wallet reconnects when online'}
        </span>
      </Show>
      <button type="button" class="btn btn-ghost btn-small" onClick={open} aria-expanded={pop.open()}>
        New identity
      </button>
      <Show when={pop.open()}>
        <form class="popover identity-form" onSubmit={(e) => void submit(e)} ref={pop.panel} aria-label="New identity">
          <label for="new-identity-label">Label for the new identity</label>
          <input
            id="new-identity-label"
            type="text"
            autocomplete="off"
            placeholder="e.g. Alice"
            value={label()}
            onInput={(e) => setLabel(e.currentTarget.value)}
          />
          <p class="hint">A new signing key is made and kept in this browser.</p>
          <ErrorAlert error={error()} />
          <div class="row">
            <button type="submit" class="btn btn-primary btn-small" disabled={busy()}>
              {busy() ? 'Creating…' : 'Create identity'}
            </button>
            <button type="button" class="btn btn-ghost btn-small" onClick={() => pop.close(true)}>
              Cancel
            </button>
          </div>
        </form>
      </Show>
    </div>
  );
}
