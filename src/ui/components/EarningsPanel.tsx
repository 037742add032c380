import { For, Show, createMemo } from 'solid-js';
import { earningsAfterClaims } from '../../core/earningsAfterClaims.ts';
import { earningsOverTime, summarizeEarnings, type LedgerEntry } from '../../core/ledger.ts';
import { SPLIT_ROLE_NAMES, type SplitRoleId } from '../../core/feeSplit.ts';
import type { Hex } from '../../core/types.ts';
import { getDb } from '../../store/db.ts';
import { claimsOf } from '../../store/ledger.ts';
import { shortHash } from '../lib/format.ts';
import { activeAddress } from '../lib/identity.ts';
import { chainConfig } from '../lib/ledgerChain.ts';
import { createBalances, shownBalances } from '../lib/ledgerView.ts';
import { createLiveQuery } from '../lib/liveQuery.ts';
import { walletSession } from '../lib/walletState.ts';
import { EarningsChart } from './EarningsChart.tsx';
import { TokenAmount } from './TokenAmount.tsx';

/**
 * Earnings owed to me — the active identity (a local key, or the wallet's account when that is the one
 * chosen), else the connected wallet — from every fee in the ledger. A connected wallet does not
 * override a local key chosen as the active identity.
 */
export function EarningsPanel(props: { entries: LedgerEntry[]; token: { symbol: string; decimals: number } }) {
  const me = () => activeAddress() ?? walletSession()?.account;
  const summary = createMemo(() => (me() ? summarizeEarnings(props.entries, me()!) : undefined));
  const points = createMemo(() => (me() ? earningsOverTime(props.entries, me()!, Date.now()) : []));
  const ids = createMemo(() => summary()?.byContribution.map((c) => c.contributionId) ?? []);
  const titles = createLiveQuery(
    () => (ids().length > 0 ? ids() : undefined),
    async (list: Hex[]) => new Map((await getDb().contributions.bulkGet(list)).filter((c) => !!c).map((c) => [c.id, c.title])),
  );
  const t = () => props.token;
  // What was claimed from the pool: the contract's `claimed(me)`, else (chain unreachable) the confirmed
  // claims this browser recorded.
  const balances = createBalances(me);
  const localClaims = createLiveQuery(
    () => {
      const c = chainConfig();
      const a = me();
      return c && a ? { chainId: c.chainId, a } : undefined;
    },
    async ({ chainId, a }) => (await claimsOf(getDb(), chainId, a)).filter((c) => c.status === 'confirmed').reduce((n, c) => n + c.amount, 0n),
  );
  const places = createMemo(() => {
    const s = summary();
    if (!s) return undefined;
    // read now, else the last known value (chain unreachable), else this browser's confirmed claims
    const claimed = shownBalances(balances())?.claimed ?? localClaims() ?? 0n;
    return earningsAfterClaims(s.paidDirect, s.pooled, claimed);
  });

  return (
    <section class="card" aria-labelledby="earnings-title">
      <h2 id="earnings-title">Earnings owed to me</h2>
      <Show when={me()} fallback={<p class="muted">Connect a wallet (or pick an identity) to see what you earn.</p>}>
        <p class="small muted">
          As <span class="mono" data-testid="earnings-account">{me()}</span>, from every fee in this browser's ledger that pays it.
        </p>
        <Show when={summary()}>
          {(s) => (
            <>
              <dl class="facts facts-grid" aria-label="Earnings summary">
                <div>
                  <dt>Not settled yet</dt>
                  <dd class="mono" data-testid="earnings-unsettled">
                    <TokenAmount value={s().unsettled} token={t()} />
                  </dd>
                </div>
                <div>
                  <dt>Paid to my wallet</dt>
                  <dd class="mono" data-testid="earnings-direct">
                    <TokenAmount value={places()?.inWallet ?? s().paidDirect} token={t()} />
                  </dd>
                </div>
                <div>
                  <dt>In the pool (to claim)</dt>
                  <dd class="mono" data-testid="earnings-pooled">
                    <TokenAmount value={places()?.inPool ?? s().pooled} token={t()} />
                  </dd>
                </div>
              </dl>
              <h3>Over time</h3>
              <EarningsChart points={points()} token={t()} />
              <Show when={s().byDatanet.length > 0}>
                <h3>Per Datanet</h3>
                <div class="table-wrap">
                  <table class="table table-compact" aria-label="Earnings per Datanet">
                    <thead>
                      <tr>
                        <th>Datanet</th>
                        <th class="num">Not settled</th>
                        <th class="num">Settled</th>
                      </tr>
                    </thead>
                    <tbody>
                      <For each={s().byDatanet}>
                        {(d) => (
                          <tr>
                            <td>{d.datanetName}</td>
                            <td class="num mono"><TokenAmount value={d.unsettled} token={t()} /></td>
                            <td class="num mono"><TokenAmount value={d.settled} token={t()} /></td>
                          </tr>
                        )}
                      </For>
                    </tbody>
                  </table>
                </div>
              </Show>
              <Show when={s().byContribution.length > 0}>
                <h3>Per contribution</h3>
                <div class="table-wrap">
                  <table class="table table-compact" aria-label="Earnings per contribution">
                    <thead>
                      <tr>
                        <th>Contribution</th>
                        <th class="num">Not settled</th>
                        <th class="num">Settled</th>
                      </tr>
                    </thead>
                    <tbody>
                      <For each={s().byContribution}>
                        {(c) => (
                          <tr>
                            <td>
                              {titles()?.get(c.contributionId) ?? 'Contribution'} <span class="mono muted small">{shortHash(c.contributionId)}</span>
                            </td>
                            <td class="num mono"><TokenAmount value={c.unsettled} token={t()} /></td>
                            <td class="num mono"><TokenAmount value={c.settled} token={t()} /></td>
                          </tr>
                        )}
                      </For>
                    </tbody>
                  </table>
                </div>
              </Show>
              <Show when={s().byRole.length > 0}>
                <h3>Other roles</h3>
                <ul class="small">
                  <For each={s().byRole}>
                    {(r) => (
                      <li>
                        {SPLIT_ROLE_NAMES[r.role as SplitRoleId]}: <TokenAmount value={r.unsettled} token={t()} /> not settled, <TokenAmount value={r.settled} token={t()} /> settled
                      </li>
                    )}
                  </For>
                </ul>
              </Show>
            </>
          )}
        </Show>
      </Show>
    </section>
  );
}
