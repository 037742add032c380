import { For, Show, createMemo, createSignal } from 'solid-js';
import { summarizeFees, type LedgerEntry } from '../../core/ledger.ts';
import { formatDateTime, plural, shortHash } from '../lib/format.ts';
import { settlePending, type PayoutChoice, type SettleResult } from '../lib/ledgerActions.ts';
import { chainConfig } from '../lib/ledgerChain.ts';
import { fmtToken, refreshBalances } from '../lib/ledgerView.ts';
import { walletSession } from '../lib/walletState.ts';
import { CopyButton } from './CopyButton.tsx';
import { ErrorAlert } from './ErrorAlert.tsx';
import { LedgerStatusBadge } from './LedgerStatusBadge.tsx';

/** Fees owed by the connected account (answers and "Pay a Datanet"), and "Settle": all pending ones in one signed payment, one transaction. */
export function LedgerFees(props: { entries: LedgerEntry[]; token: { symbol: string; decimals: number } }) {
  const me = () => walletSession()?.account;
  const mine = createMemo(() => {
    const a = me()?.toLowerCase();
    return a ? props.entries.filter((e) => e.payer.toLowerCase() === a) : [];
  });
  const fees = createMemo(() => (me() ? summarizeFees(mine(), me()!) : undefined));
  const [choice, setChoice] = createSignal<PayoutChoice>('auto');
  const [status, setStatus] = createSignal<string>();
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  const [done, setDone] = createSignal<SettleResult>();

  const settle = async () => {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      setDone(await settlePending(choice(), setStatus));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
      setStatus(undefined);
      refreshBalances();
    }
  };

  return (
    <section class="card" aria-labelledby="fees-title">
      <div class="section-header">
        <h2 id="fees-title">Fees owed by me</h2>
        <Show when={fees()}>
          {(f) => (
            <p class="small" data-testid="fees-owed">
              Pending: <strong>{fmtToken(f().owed, props.token)}</strong> in {plural(f().pendingCount, 'fee')}
              <Show when={f().inFlight > 0n}> · being settled: {fmtToken(f().inFlight, props.token)}</Show> · settled: {fmtToken(f().settled, props.token)}
            </p>
          )}
        </Show>
      </div>
      <Show when={me()} fallback={<p class="muted">Connect a wallet to see and settle the fees you pay.</p>}>
        <Show when={mine().length > 0} fallback={<p class="empty">No fees paid by this account on this chain yet.</p>}>
          <div class="table-wrap">
            <table class="table table-compact ledger-table" aria-label="My fees">
              <thead>
                <tr>
                  <th>Datanet</th>
                  <th class="num">Fee</th>
                  <th>Status</th>
                  <th>Created</th>
                  <th>Transaction</th>
                </tr>
              </thead>
              <tbody>
                <For each={mine()}>
                  {(e) => (
                    <tr data-fee={e.id} data-kind={e.kind} data-status={e.status}>
                      <td>
                        <Show when={e.kind === 'answer'}>
                          <span class="badge badge-neutral">Answer</span>{' '}
                        </Show>
                        {e.datanetName} <span class="muted small">v{e.version}</span>
                      </td>
                      <td class="num mono">{fmtToken(e.fee, props.token)}</td>
                      <td>
                        <LedgerStatusBadge status={e.status} />
                        <Show when={e.status === 'pending' && e.error}>
                          <p class="hint">{e.error}</p>
                        </Show>
                      </td>
                      <td class="nowrap small">{formatDateTime(e.createdAt)}</td>
                      <td class="mono small">
                        <Show when={e.txHash} fallback="—">
                          {shortHash(e.txHash!)} <CopyButton value={e.txHash!} label={`Copy transaction of fee ${e.id}`} />
                        </Show>
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </div>
        </Show>
        <div class="settle-bar">
          <label for="payout-mode">Payout</label>
          <select id="payout-mode" value={choice()} onChange={(e) => setChoice(e.currentTarget.value as PayoutChoice)}>
            <option value="auto">Automatic (cheapest gas)</option>
            <option value="direct">Direct transfers to every recipient</option>
            <option value="pooled">Pooled: recipients claim through epoch roots</option>
          </select>
          <button type="button" class="btn btn-primary" disabled={busy() || !fees() || fees()!.pendingCount === 0 || !chainConfig()} onClick={() => void settle()}>
            {busy() ? 'Settling…' : `Settle ${fees()?.pendingCount ? plural(fees()!.pendingCount, 'fee') : ''}`.trim()}
          </button>
        </div>
        <p class="hint">
          One transaction settles every pending fee: you sign ONE payment (EIP-712) that commits to all of them — however many answers — and the token
          allowance (a permit signature when the token supports it), then confirm the transaction.
        </p>
        <Show when={status()}>
          <p class="settle-status" role="status">
            {status()}
          </p>
        </Show>
        <Show when={done()}>
          {(d) => (
            <div class="alert alert-success" role="status" data-testid="settle-result">
              <p class="alert-message">
                Settled {plural(d().count, 'fee')} in one payment ({fmtToken(d().total, props.token)}, {d().mode}) in transaction <span class="mono">{shortHash(d().txHash, 18)}</span>.
              </p>
            </div>
          )}
        </Show>
        <ErrorAlert error={error()} title="The fees were not settled" />
      </Show>
    </section>
  );
}
