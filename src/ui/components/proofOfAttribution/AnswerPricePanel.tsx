import { Show, createSignal } from 'solid-js';
import { getLedgerApi } from '../../../client/ledgerClient.ts';
import { TributaryError } from '../../../core/errors.ts';
import { getDb } from '../../../store/db.ts';
import { getPrice } from '../../../store/prices.ts';
import { activeAddress, displayAddress } from '../../lib/identity.ts';
import { createTokenInfo, fmtToken } from '../../lib/ledgerView.ts';
import { createLiveQuery } from '../../lib/liveQuery.ts';
import { ErrorAlert } from '../ErrorAlert.tsx';

/** `"1.5"` tokens -> base units (exact decimal parsing, no floats). */
export function parseTokenAmount(text: string, decimals: number): bigint {
  const t = text.trim();
  const m = /^(\d{1,30})(?:\.(\d+))?$/.exec(t);
  if (!m) throw new TributaryError('fee/invalid', `Enter a price like 0.5 or 2 (got "${text}").`, 'price');
  const frac = m[2] ?? '';
  if (frac.length > decimals) throw new TributaryError('fee/invalid', `At most ${decimals} decimals.`, 'price');
  return BigInt(m[1]!) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, '0') || '0');
}

/**
 * The price per answer of the loaded model (and the chosen adapter): what each answer adds to the ledger,
 * split by its attribution. The owner sets it here; 0 makes answers free.
 */
export function AnswerPricePanel(props: { modelId: string | undefined; modelLabel: string | undefined; adapterId: string | null }) {
  const token = createTokenInfo();
  const [tick, setTick] = createSignal(0);
  const prices = createLiveQuery(
    () => ({ modelId: props.modelId, adapterId: props.adapterId, n: tick() }),
    async ({ modelId, adapterId }) => ({
      model: modelId ? ((await getPrice(getDb(), 'model', modelId)) ?? null) : null,
      adapter: adapterId ? ((await getPrice(getDb(), 'adapter', adapterId)) ?? null) : null,
    }),
  );
  const [draft, setDraft] = createSignal('');
  const [error, setError] = createSignal<unknown>();
  const [saved, setSaved] = createSignal('');
  const save = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setSaved('');
    try {
      const owner = activeAddress();
      if (!owner) throw new TributaryError('identity/not-found', 'Choose an identity first: the price is set by (and pays its cut to) the active identity.');
      const kind = props.adapterId ? 'adapter' : 'model';
      const id = props.adapterId ?? props.modelId;
      if (!id) throw new TributaryError('fee/invalid', 'Load a model first.');
      const amount = parseTokenAmount(draft(), token().decimals);
      await getLedgerApi().setPrice({ kind, id, amount, owner });
      setSaved(amount === 0n ? 'Answers are free now.' : `Each answer now costs ${fmtToken(amount, token())}.`);
      setTick((n) => n + 1);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section class="card" aria-labelledby="answer-price-title">
      <h2 id="answer-price-title">Price per answer</h2>
      <p class="small">
        {props.modelLabel ?? 'Model'}:{' '}
        <strong data-testid="model-price">{prices()?.model && prices()!.model!.amount > 0n ? fmtToken(prices()!.model!.amount, token()) : 'free'}</strong>
        <Show when={prices()?.model}>{(p) => <span class="muted"> · set by {displayAddress(p().owner)}</span>}</Show>
        <Show when={props.adapterId}>
          <br />
          Adapter: <strong>{prices()?.adapter && prices()!.adapter!.amount > 0n ? fmtToken(prices()!.adapter!.amount, token()) : 'free'}</strong>
        </Show>
      </p>
      <p class="hint">
        A priced answer adds a pending fee to the ledger, split by its attribution: treasury, the owner, each credited Datanet's owner by its reward policy
        and its contributors by weight. Settle many answers at once on the Ledger page, with one signature.
      </p>
      <form class="inline-form" onSubmit={save}>
        <label for="answer-price">
          {props.adapterId ? 'Adapter' : 'Model'} price ({token().symbol})
        </label>
        <input id="answer-price" inputmode="decimal" placeholder="0.5" value={draft()} onInput={(e) => setDraft(e.currentTarget.value)} />
        <button type="submit" class="btn" disabled={!props.modelId || draft().trim() === ''}>
          Set price
        </button>
      </form>
      <Show when={saved()}>
        <p class="small" role="status">
          {saved()}
        </p>
      </Show>
      <ErrorAlert error={error()} title="The price was not set" />
    </section>
  );
}
