import { For, Show, createMemo, createSignal } from 'solid-js';
import { parseUnits } from 'viem';
import { getLedgerApi } from '../../client/ledgerClient.ts';
import { TributaryError } from '../../core/errors.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import { SPLIT_ROLE_NAMES, TREASURY_BPS } from '../../core/feeSplit.ts';
import { listDatanets } from '../../store/datanets.ts';
import { getDb } from '../../store/db.ts';
import { formatBps, shortAddress } from '../lib/format.ts';
import { chainConfig } from '../lib/ledgerChain.ts';
import { fmtToken } from '../lib/ledgerView.ts';
import { createLiveQuery } from '../lib/liveQuery.ts';
import { walletSession } from '../lib/walletState.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

/** "Pay a Datanet": a fee to a Datanet's current version, split at once, paid (settled) later. */
export function LedgerPayForm(props: { token: { symbol: string; decimals: number } }) {
  const datanets = createLiveQuery(() => listDatanets(getDb()));
  const [datanetId, setDatanetId] = createSignal('');
  const [amount, setAmount] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  const [created, setCreated] = createSignal<LedgerEntry>();
  const chosen = createMemo(() => datanetId() || datanets()?.[0]?.id || '');

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    setError(undefined);
    setCreated(undefined);
    const chain = chainConfig();
    const payer = walletSession()?.account;
    try {
      if (!chain) throw new TributaryError('chain/config', 'No chain is configured: start the local chain with `npm start`, or set one in Settings.');
      if (!payer) throw new TributaryError('wallet/not-connected', 'Connect a wallet first: the fee is paid from it when you settle.');
      let fee: bigint;
      try {
        fee = parseUnits(amount().trim(), props.token.decimals);
      } catch {
        throw new TributaryError('ledger/invalid', `Enter an amount of ${props.token.symbol} like 2.5 (at most ${props.token.decimals} decimals).`, 'amount');
      }
      setBusy(true);
      setCreated(await getLedgerApi().payDatanet(chain, { datanetId: chosen(), payer, fee }));
      setAmount('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="pay-title">
      <h2 id="pay-title">Pay a Datanet</h2>
      <p class="section-intro">
        Pay for a Datanet you use. The fee is split at once — {formatBps(TREASURY_BPS)} to the protocol treasury, the rest by the Datanet's reward policy between its owner and
        its contributors (by accepted passages) — and recorded as a pending fee. Nothing moves until you settle.
      </p>
      <form class="form ledger-pay-form" onSubmit={(e) => void submit(e)}>
        <div class="field">
          <label for="pay-datanet">Datanet</label>
          <select id="pay-datanet" value={chosen()} onChange={(e) => setDatanetId(e.currentTarget.value)}>
            <For each={datanets() ?? []}>
              {(d) => (
                <option value={d.id} selected={d.id === chosen()}>
                  {d.name} (v{d.currentVersion})
                </option>
              )}
            </For>
          </select>
        </div>
        <div class="field">
          <label for="pay-amount">Amount ({props.token.symbol})</label>
          <input id="pay-amount" type="text" inputmode="decimal" autocomplete="off" placeholder="e.g. 10" value={amount()} onInput={(e) => setAmount(e.currentTarget.value)} />
        </div>
        <button type="submit" class="btn btn-primary" disabled={busy() || !chosen() || !amount().trim()}>
          {busy() ? 'Creating…' : 'Add fee'}
        </button>
      </form>
      <ErrorAlert error={error()} title="No fee was added" />
      <Show when={created()}>
        {(r) => (
          <div class="alert alert-success" role="status">
            <div class="alert-body">
              <p class="alert-message">
                Pending fee of {fmtToken(r().fee, props.token)} to {r().datanetName}: {r().splits.length} recipients. Settle it below.
              </p>
              <ul class="small split-list">
                <For each={r().splits}>
                  {(s) => (
                    <li>
                      {SPLIT_ROLE_NAMES[s.role]} <span class="mono">{shortAddress(s.recipient)}</span>: {fmtToken(s.amount, props.token)}
                    </li>
                  )}
                </For>
              </ul>
            </div>
          </div>
        )}
      </Show>
    </section>
  );
}
