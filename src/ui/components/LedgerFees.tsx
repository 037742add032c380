import { For, Show, createEffect, createMemo, createSignal, on } from 'solid-js';
import { balanceCover } from '../../core/balanceCover.ts';
import { summarizeFees, type LedgerEntry } from '../../core/ledger.ts';
import type { Hex } from '../../core/types.ts';
import { formatDateTime, plural, shortHash } from '../lib/format.ts';
import { cancelFee, settlePending, type PayoutChoice, type SettleResult } from '../lib/ledgerActions.ts';
import { chainConfig } from '../lib/ledgerChain.ts';
import { createBalances, fmtToken, refreshBalances } from '../lib/ledgerView.ts';
import { BalanceCoverNote } from './BalanceCoverNote.tsx';
import { walletSession } from '../lib/walletState.ts';
import { CopyButton } from './CopyButton.tsx';
import { ErrorAlert } from './ErrorAlert.tsx';
import { LedgerStatusBadge } from './LedgerStatusBadge.tsx';
import { TokenAmount } from './TokenAmount.tsx';
import { keyboardScrollable } from '../lib/keyboardScrollable.ts';

/**
 * Fees owed by the connected account: its receipts, and "Settle" (the ticked pending ones, one
 * transaction). Any pending receipt can be left out or cancelled, so one the balance cannot cover never
 * blocks the others.
 */
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
  const [cancelled, setCancelled] = createSignal<LedgerEntry>();
  /** Pending receipts left out of the next settlement (all pending ones are in unless unticked). */
  const [leftOut, setLeftOut] = createSignal<ReadonlySet<Hex>>(new Set());
  const pending = createMemo(() => mine().filter((e) => e.status === 'pending'));
  const chosen = createMemo(() => pending().filter((e) => !leftOut().has(e.id)));
  const chosenTotal = createMemo(() => chosen().reduce((s, e) => s + e.fee, 0n));
  const balances = createBalances(me);
  const cover = createMemo(() => {
    const b = balances();
    return b && !('error' in b) && chosen().length > 0 ? balanceCover(b.token, 0n, chosenTotal()) : undefined;
  });
  // Messages belong to the account that caused them: switching accounts clears them.
  createEffect(
    on(
      me,
      () => {
        setDone(undefined);
        setError(undefined);
        setCancelled(undefined);
        setLeftOut(new Set<Hex>());
      },
      { defer: true },
    ),
  );
  const toggle = (id: Hex, on: boolean) =>
    setLeftOut((s) => {
      const next = new Set(s);
      if (on) next.delete(id);
      else next.add(id);
      return next;
    });

  const cancel = async (e: LedgerEntry) => {
    setError(undefined);
    setDone(undefined);
    setCancelled(undefined);
    try {
      setCancelled(await cancelFee(e.id));
    } catch (err) {
      setError(err);
    }
  };

  const settle = async () => {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    setCancelled(undefined);
    try {
      setDone(await settlePending(choice(), setStatus, chosen().map((e) => e.id)));
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
              Pending: <strong><TokenAmount value={f().owed} token={props.token} /></strong> in {plural(f().pendingCount, 'fee')}
              <Show when={f().inFlight > 0n}> · being settled: <TokenAmount value={f().inFlight} token={props.token} /></Show> · settled: <TokenAmount value={f().settled} token={props.token} />
            </p>
          )}
        </Show>
      </div>
      <Show when={me()} fallback={<p class="muted">Connect a wallet to see and settle the fees you pay.</p>}>
        <Show when={mine().length > 0} fallback={<p class="empty">No fees paid by this account on this chain yet.</p>}>
          <div class="table-wrap" ref={keyboardScrollable} role="region" aria-label="My fees">
            <table class="table table-compact ledger-table" aria-label="My fees">
              <thead>
                <tr>
                  <th>
                    <span class="visually-hidden">Settle</span>
                  </th>
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
                        <Show when={e.status === 'pending'}>
                          <input
                            type="checkbox"
                            checked={!leftOut().has(e.id)}
                            disabled={busy()}
                            aria-label={`Settle the fee to ${e.datanetName} for ${fmtToken(e.fee, props.token)}`}
                            onChange={(ev) => toggle(e.id, ev.currentTarget.checked)}
                          />
                        </Show>
                      </td>
                      <td>
                        {e.datanetName} <span class="muted small">v{e.version}</span>
                      </td>
                      <td class="num mono"><TokenAmount value={e.fee} token={props.token} /></td>
                      <td>
                        <LedgerStatusBadge status={e.status} />
                        <Show when={e.status === 'pending' && e.error}>
                          <p class="hint">{e.error}</p>
                        </Show>
                        <Show when={e.status === 'pending'}>
                          <button
                            type="button"
                            class="btn btn-small btn-ghost"
                            disabled={busy()}
                            aria-label={`Cancel the fee to ${e.datanetName} for ${fmtToken(e.fee, props.token)}`}
                            onClick={() => void cancel(e)}
                          >
                            Cancel
                          </button>
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
          <button type="button" class="btn btn-primary" disabled={busy() || chosen().length === 0 || !chainConfig()} onClick={() => void settle()}>
            {busy() ? 'Settling…' : `Settle ${chosen().length ? plural(chosen().length, 'fee') : ''}`.trim()}
          </button>
        </div>
        <p class="hint">
          One transaction settles the ticked pending fees: you sign ONE payment (EIP-712) that commits to all of them and the token allowance (a permit signature when
          the token supports it), then confirm the transaction. Untick a fee to leave it for later, or cancel it: nothing has moved yet.
        </p>
        <BalanceCoverNote
          cover={cover()}
          what={`the ${plural(chosen().length, 'ticked fee')}`}
          advice="Untick or cancel fees until the balance covers them, or get more tokens."
          token={props.token}
        />
        <Show when={cancelled()}>
          {(c) => (
            <div class="alert alert-success" role="status" data-testid="cancel-result">
              <p class="alert-message">
                Cancelled the fee to {c().datanetName} for <TokenAmount value={c().fee} token={props.token} />. Nothing was paid, and nobody is owed anything by it.
              </p>
            </div>
          )}
        </Show>
        <Show when={status()}>
          <p class="settle-status" role="status">
            {status()}
          </p>
        </Show>
        <Show when={done()}>
          {(d) => (
            <div class="alert alert-success" role="status" data-testid="settle-result">
              <p class="alert-message">
                Settled {plural(d().count, 'fee')} in one payment (<TokenAmount value={d().total} token={props.token} />, {d().mode}) in transaction <span class="mono">{shortHash(d().txHash, 18)}</span>.
              </p>
            </div>
          )}
        </Show>
        <ErrorAlert error={error()} title="The fees were not settled" />
      </Show>
    </section>
  );
}
