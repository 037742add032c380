import { For, Show } from 'solid-js';
import type { ClaimRecord, SettlementRecord } from '../../core/ledger.ts';
import { formatDateTime, plural, shortAddress, shortHash } from '../lib/format.ts';
import { TokenAmount } from './TokenAmount.tsx';

const STATUS: Record<string, string> = { submitting: 'in flight', confirmed: 'confirmed', failed: 'failed' };

/** Past settlement batches and claims on this chain (what was sent, what came of it). */
export function LedgerHistory(props: { settlements: SettlementRecord[]; claims: ClaimRecord[]; token: { symbol: string; decimals: number } }) {
  return (
    <section class="card" aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <Show when={props.settlements.length + props.claims.length > 0} fallback={<p class="empty">No settlements or claims yet.</p>}>
        <ul class="ledger-history">
          <For each={props.settlements}>
            {(s) => (
              <li data-settlement={s.id} data-status={s.status}>
                <strong>Settlement</strong> of {plural(s.feeIds.length, 'fee')} in one payment (<TokenAmount value={s.total} token={props.token} />, {s.payoutMode}) by{' '}
                <span class="mono">{shortAddress(s.payer)}</span> — {STATUS[s.status]} · {formatDateTime(s.createdAt)}
                <Show when={s.txHash}>
                  {' '}
                  · tx <span class="mono">{shortHash(s.txHash!)}</span>
                </Show>
                <Show when={s.error}>
                  <p class="hint">{s.error}</p>
                </Show>
              </li>
            )}
          </For>
          <For each={props.claims}>
            {(c) => (
              <li data-claim={c.id} data-status={c.status}>
                <strong>Claim</strong> of <TokenAmount value={c.amount} token={props.token} /> by <span class="mono">{shortAddress(c.account)}</span>
                <Show when={c.recipient}>
                  {' '}
                  to <span class="mono">{shortAddress(c.recipient!)}</span>
                </Show>{' '}
                (root through block {c.epoch.toString()}) —{' '}
                {STATUS[c.status]} · {formatDateTime(c.createdAt)}
                <Show when={c.txHash}>
                  {' '}
                  · tx <span class="mono">{shortHash(c.txHash!)}</span>
                </Show>
                <Show when={c.error}>
                  <p class="hint">{c.error}</p>
                </Show>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  );
}
