import { Show } from 'solid-js';
import { A } from '@solidjs/router';
import type { Address } from '../../core/types.ts';
import { formatDateTime } from '../lib/format.ts';
import { chainConfig, chainReach, chainState, isLocalChainSelected, reconcileError, reloadChain } from '../lib/ledgerChain.ts';
import { createBalances, shownBalances } from '../lib/ledgerView.ts';
import { walletOnChain, walletSession } from '../lib/walletState.ts';
import { ErrorAlert } from './ErrorAlert.tsx';
import { TokenAmount } from './TokenAmount.tsx';

/** Chain, wallet and on-chain balances of the connected account. */
export function LedgerStatus(props: { token: { symbol: string; decimals: number } }) {
  const account = () => walletSession()?.account as Address | undefined;
  const balances = createBalances(account);
  const shown = () => shownBalances(balances());
  const unreachable = () => {
    const r = chainReach();
    return r.status === 'unreachable' ? r : undefined;
  };
  const offline = () => typeof navigator !== 'undefined' && navigator.onLine === false;
  return (
    <section class="card" aria-labelledby="ledger-status-title">
      <h2 id="ledger-status-title">Chain and wallet</h2>
      <Show when={chainState().status === 'unavailable'}>
        <ErrorAlert error={chainState().status === 'unavailable' ? (chainState() as { error: unknown }).error : undefined} title="No chain to settle on" />
        <div class="row">
          <button type="button" class="btn btn-secondary btn-small" onClick={() => void reloadChain()}>
            Try again
          </button>
          <A href="/settings#wallet-title" class="btn btn-ghost btn-small">
            Chain settings
          </A>
        </div>
      </Show>
      <Show when={chainConfig() && unreachable()}>
        {(r) => (
          <div class="alert alert-warning" role="status" data-testid="chain-unreachable">
            <p class="alert-title">
              {chainConfig()!.name} is unreachable{offline() ? ': this device is offline' : ''}.
            </p>
            <p class="alert-message">
              {r().lastReachedAt ? `Last reached ${formatDateTime(r().lastReachedAt!)}.` : 'Not reached from this browser yet.'} Shown here is what this browser knows: your fees,
              earnings and history, and the balances last read. Settling and claiming wait until the chain answers again.
            </p>
            <div class="row">
              <button type="button" class="btn btn-secondary btn-small" onClick={() => void reloadChain()}>
                Try again
              </button>
            </div>
          </div>
        )}
      </Show>
      <Show when={chainState().status === 'loading'}>
        <p class="muted">Loading the chain configuration…</p>
      </Show>
      <Show when={chainConfig()}>
        {(c) => (
          <dl class="facts facts-grid" aria-label="Chain and balances">
            <div>
              <dt>Chain</dt>
              <dd>
                {c().name} ({c().chainId})
                <Show when={isLocalChainSelected()}>
                  <span class="badge badge-neutral">local</span>
                </Show>
              </dd>
            </div>
            <div>
              <dt>RPC</dt>
              <dd class="mono break">{c().rpcUrl}</dd>
            </div>
            <div>
              <dt>Wallet</dt>
              <dd>
                <Show when={walletSession()} fallback={<span class="muted">Not connected: use “Connect wallet” at the top.</span>}>
                  {(s) => (
                    <>
                      {s().option.name}
                      <br />
                      <span class="mono break" data-testid="wallet-account">
                        {s().account}
                      </span>
                      <Show when={!walletOnChain()}>
                        <span class="badge badge-rejected">wrong chain</span>
                      </Show>
                    </>
                  )}
                </Show>
              </dd>
            </div>
            <Show when={walletSession()}>
              <div>
                <dt>{props.token.symbol} balance</dt>
                <dd>
                  <span class="mono" data-testid="token-balance">
                    {shown() ? <TokenAmount value={shown()!.token} token={props.token} /> : '…'}
                  </span>
                  <Show when={shown()?.at}>
                    <br />
                    <span class="muted small" data-testid="balances-as-of">
                      as of {formatDateTime(shown()!.at!)}
                    </span>
                  </Show>
                </dd>
              </div>
              <div>
                <dt>Gas balance</dt>
                <dd class="mono">{shown() ? <TokenAmount value={shown()!.native} token={{ symbol: c().nativeCurrency?.symbol ?? 'ETH', decimals: 18 }} /> : '…'}</dd>
              </div>
              <div>
                <dt>Claimed so far</dt>
                <dd class="mono" data-testid="claimed-total">
                  {shown() ? <TokenAmount value={shown()!.claimed} token={props.token} /> : '…'}
                </dd>
              </div>
            </Show>
          </dl>
        )}
      </Show>
      <Show when={balances() && 'error' in balances()! && !unreachable()}>
        <ErrorAlert error={(balances() as { error: unknown }).error} title="Balances could not be read" />
      </Show>
      <ErrorAlert error={unreachable() ? undefined : reconcileError()} title="The ledger could not be checked against the chain" />
    </section>
  );
}
