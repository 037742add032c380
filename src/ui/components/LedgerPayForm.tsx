import { For, Show, createEffect, createMemo, createSignal, on } from 'solid-js';
import { parseUnits } from 'viem';
import { publicClientFor } from '../../chain/wallet/connect.ts';
import { tokenBalance } from '../../chain/wallet/settleWithWallet.ts';
import { getLedgerApi } from '../../client/ledgerClient.ts';
import { balanceCover, type BalanceCover } from '../../core/balanceCover.ts';
import { TributaryError } from '../../core/errors.ts';
import type { LedgerEntry } from '../../core/ledger.ts';
import type { Address } from '../../core/types.ts';
import { SPLIT_ROLE_NAMES, TREASURY_BPS } from '../../core/feeSplit.ts';
import { listDatanets } from '../../store/datanets.ts';
import { getDb } from '../../store/db.ts';
import { entriesOfPayer } from '../../store/ledger.ts';
import { formatBps, plural, shortAddress } from '../lib/format.ts';
import { chainConfig } from '../lib/ledgerChain.ts';
import { createLiveQuery } from '../lib/liveQuery.ts';
import { walletSession } from '../lib/walletState.ts';
import { BalanceCoverNote } from './BalanceCoverNote.tsx';
import { ErrorAlert } from './ErrorAlert.tsx';
import { TokenAmount } from './TokenAmount.tsx';

/** A fee the payer's balance cannot cover, shown once; the same fee submitted again is added. */
interface Uncovered {
  cover: BalanceCover;
  fee: bigint;
  datanetId: string;
  payer: string;
  pendingCount: number;
}

/**
 * "Pay a Datanet": a fee to a Datanet's current version, split at once, paid (settled) later. A receipt
 * the balance cannot cover (with the receipts already owed) is not created at the first press: the form
 * warns and asks to press "Create anyway".
 */
export function LedgerPayForm(props: { token: { symbol: string; decimals: number } }) {
  const datanets = createLiveQuery(() => listDatanets(getDb()));
  const [datanetId, setDatanetId] = createSignal('');
  const [amount, setAmount] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  const [created, setCreated] = createSignal<LedgerEntry>();
  const [uncovered, setUncovered] = createSignal<Uncovered>();
  // Messages belong to the account that caused them: switching accounts clears them.
  createEffect(
    on(
      () => walletSession()?.account,
      () => {
        setError(undefined);
        setCreated(undefined);
        setUncovered(undefined);
      },
      { defer: true },
    ),
  );
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
      const warned = uncovered();
      const confirmed = warned && warned.fee === fee && warned.datanetId === chosen() && warned.payer === payer;
      setUncovered(undefined);
      if (!confirmed) {
        const short = await checkCover(chain, payer, fee);
        if (short) {
          setUncovered({ ...short, fee, datanetId: chosen(), payer });
          return;
        }
      }
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
          <select
            id="pay-datanet"
            value={chosen()}
            onChange={(e) => {
              setDatanetId(e.currentTarget.value);
              setUncovered(undefined);
            }}
          >
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
          <input id="pay-amount" type="text" inputmode="decimal" autocomplete="off" placeholder="e.g. 10" value={amount()} onInput={(e) => {
              setAmount(e.currentTarget.value);
              setUncovered(undefined);
            }}
          />
        </div>
        <button type="submit" class="btn btn-primary" disabled={busy() || !chosen() || !amount().trim()}>
          {busy() ? 'Creating…' : uncovered() ? 'Add anyway' : 'Add fee'}
        </button>
      </form>
      <BalanceCoverNote
        cover={uncovered()?.cover}
        what={uncovered()?.pendingCount ? `this fee and the ${plural(uncovered()!.pendingCount, 'fee')} you already owe` : 'this fee'}
        advice="Settling it would fail. Lower the amount, get more tokens first, or press “Add anyway” and settle it later (you can leave it out of a settlement or cancel it)."
        token={props.token}
      />
      <ErrorAlert error={error()} title="No fee was added" />
      <Show when={created()}>
        {(r) => (
          <div class="alert alert-success" role="status">
            <div class="alert-body">
              <p class="alert-message">
                Pending fee of <TokenAmount value={r().fee} token={props.token} /> to {r().datanetName}: {r().splits.length} recipients. Settle it below.
              </p>
              <ul class="small split-list">
                <For each={r().splits}>
                  {(s) => (
                    <li>
                      {SPLIT_ROLE_NAMES[s.role]} <span class="mono">{shortAddress(s.recipient)}</span>: <TokenAmount value={s.amount} token={props.token} />
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

/**
 * What the payer would owe with a new `fee` against its balance; undefined when covered or when the
 * chain cannot be read now (the settlement checks the balance again before anything is sent).
 */
async function checkCover(chain: NonNullable<ReturnType<typeof chainConfig>>, payer: Address, fee: bigint): Promise<{ cover: BalanceCover; pendingCount: number } | undefined> {
  let balance: bigint;
  try {
    balance = await tokenBalance(publicClientFor(chain), chain.token, payer);
  } catch {
    return undefined;
  }
  const db = getDb();
  const owed = [...(await entriesOfPayer(db, chain.chainId, payer, 'pending')), ...(await entriesOfPayer(db, chain.chainId, payer, 'submitting'))];
  const cover = balanceCover(
    balance,
    owed.reduce((s, e) => s + e.fee, 0n),
    fee,
  );
  return cover.covers ? undefined : { cover, pendingCount: owed.length };
}
