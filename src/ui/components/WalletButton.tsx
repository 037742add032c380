import { For, Show, createSignal, onCleanup, onMount } from 'solid-js';
import { A } from '@solidjs/router';
import { DEV_WALLET_LABEL } from '../../chain/wallet/discovery.ts';
import type { LocalKeyProvider } from '../../chain/wallet/localKeyProvider.ts';
import { shortAddress } from '../lib/format.ts';
import { chainConfig, chainState, initChain } from '../lib/ledgerChain.ts';
import {
  availableWallets,
  connectWallet,
  disconnectWallet,
  initWallets,
  selectDevAccount,
  switchWalletChain,
  walletConnecting,
  walletError,
  walletOnChain,
  walletSession,
} from '../lib/walletState.ts';
import { ErrorAlert } from './ErrorAlert.tsx';
import './Ledger.css';

/** Header control: "Connect wallet" (pick an EIP-6963 wallet, WalletConnect, or the dev wallet), or the connected account. */
export function WalletButton(props: { initiallyOpen?: boolean }) {
  const [open, setOpen] = createSignal(props.initiallyOpen === true); // only the first value counts
  let root: HTMLDivElement | undefined;
  onMount(() => {
    void initChain();
    initWallets();
    const onDoc = (e: MouseEvent) => {
      if (open() && root && !root.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('click', onDoc);
    onCleanup(() => document.removeEventListener('click', onDoc));
  });

  const connect = async (id: string) => {
    try {
      await connectWallet(id);
      setOpen(false);
    } catch {
      // shown through walletError()
    }
  };

  const devAccounts = () => {
    const s = walletSession();
    return s?.option.kind === 'dev' ? (s.provider as LocalKeyProvider).accounts : [];
  };

  return (
    <div class="wallet-button" ref={root}>
      <Show
        when={walletSession()}
        fallback={
          <button type="button" class="btn btn-secondary btn-small" aria-expanded={open()} onClick={() => setOpen(!open())} disabled={walletConnecting()}>
            {walletConnecting() ? 'Connecting…' : 'Connect wallet'}
          </button>
        }
      >
        {(s) => (
          <button
            type="button"
            class="btn btn-ghost btn-small wallet-connected"
            classList={{ 'wallet-wrong-chain': !walletOnChain() }}
            aria-expanded={open()}
            aria-label={`Wallet ${s().option.name} connected as ${s().account}`}
            onClick={() => setOpen(!open())}
          >
            <span class="wallet-dot" aria-hidden="true" />
            <span class="mono">{shortAddress(s().account)}</span>
            <Show when={!walletOnChain()}>
              <span class="wallet-warning"> · wrong chain</span>
            </Show>
          </button>
        )}
      </Show>
      <Show when={open()}>
        <div class="popover wallet-popover" role="dialog" aria-label="Wallet">
          <Show
            when={walletSession()}
            fallback={
              <>
                <p class="popover-title">Connect a wallet</p>
                <Show when={chainState().status === 'unavailable'}>
                  <p class="hint">
                    No chain is usable yet. <A href="/settings#wallet-title">Chain settings</A>
                  </p>
                </Show>
                <ul class="wallet-options">
                  <For each={availableWallets()}>
                    {(w) => (
                      <li>
                        <button
                          type="button"
                          class="btn btn-ghost wallet-option"
                          disabled={!!w.disabledReason || walletConnecting() || !chainConfig()}
                          onClick={() => void connect(w.id)}
                        >
                          <Show when={w.icon}>
                            <img src={w.icon} alt="" width="20" height="20" />
                          </Show>
                          <span>{w.name}</span>
                        </button>
                        <Show when={w.disabledReason}>
                          <p class="hint">{w.disabledReason}</p>
                        </Show>
                        <Show when={w.kind === 'dev'}>
                          <p class="hint">Anvil's public test keys: anyone can spend what they hold. Never offered on other chains.</p>
                        </Show>
                      </li>
                    )}
                  </For>
                </ul>
                <Show when={availableWallets().filter((w) => w.kind === 'injected').length === 0}>
                  <p class="hint">No browser wallet announced itself (EIP-6963). Install one, or use WalletConnect.</p>
                </Show>
              </>
            }
          >
            {(s) => (
              <>
                <p class="popover-title">{s().option.name}</p>
                <p class="mono small break">{s().account}</p>
                <p class="small">
                  Wallet chain: {s().chainId ?? 'unknown'} · app chain: {chainConfig()?.chainId ?? '—'} ({chainConfig()?.name ?? 'not configured'})
                </p>
                <Show when={!walletOnChain() && chainConfig()}>
                  <div class="alert alert-warning" role="alert">
                    <p class="alert-message">Your wallet is on chain {s().chainId ?? 'unknown'}, not on {chainConfig()!.name} ({chainConfig()!.chainId}).</p>
                    <button type="button" class="btn btn-secondary btn-small" onClick={() => void switchWalletChain().catch(() => undefined)}>
                      Switch wallet to {chainConfig()!.name}
                    </button>
                  </div>
                </Show>
                <Show when={s().option.kind === 'dev'}>
                  <label class="small" for="dev-account-select">
                    {DEV_WALLET_LABEL}: account
                  </label>
                  <select id="dev-account-select" onChange={(e) => selectDevAccount(Number(e.currentTarget.value))}>
                    <For each={devAccounts()}>
                      {(a, i) => (
                        <option value={i()} selected={a === s().account}>
                          #{i()} {shortAddress(a)}
                        </option>
                      )}
                    </For>
                  </select>
                </Show>
                <p class="hint">Contributions and votes are signed in this wallet while it is the active identity.</p>
                <div class="row">
                  <A href="/ledger" class="btn btn-ghost btn-small" onClick={() => setOpen(false)}>
                    Ledger
                  </A>
                  <button
                    type="button"
                    class="btn btn-ghost btn-small"
                    onClick={() => {
                      disconnectWallet();
                      setOpen(false);
                    }}
                  >
                    Disconnect
                  </button>
                </div>
              </>
            )}
          </Show>
          <ErrorAlert error={walletError()} />
        </div>
      </Show>
    </div>
  );
}
