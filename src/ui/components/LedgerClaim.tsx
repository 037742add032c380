import { Show, createEffect, createResource, createSignal, on, type JSX } from 'solid-js';
import { getLedgerApi } from '../../client/ledgerClient.ts';
import { isTributaryError } from '../../core/errors.ts';
import { shortHash } from '../lib/format.ts';
import type { Address } from '../../core/types.ts';
import { activeIdentity, identityLabel } from '../lib/identity.ts';
import { claimEarnings, claimToWallet, postEpochRootLocally, type ClaimSubmitter } from '../lib/ledgerActions.ts';
import { chainConfig, chainReach, isUnreachableError } from '../lib/ledgerChain.ts';
import { fmtToken, refreshBalances } from '../lib/ledgerView.ts';
import { walletSession } from '../lib/walletState.ts';
import { ClaimToWalletForm } from './ClaimToWalletForm.tsx';
import { ErrorAlert } from './ErrorAlert.tsx';
import { TokenAmount } from './TokenAmount.tsx';

/**
 * Who claims: the active identity when it is a local key (its earnings are claimed to a wallet by its
 * signature, `claimFor`), else the connected wallet's account (it claims for itself).
 */
function claimant(): { address: Address; local: boolean } | undefined {
  const id = activeIdentity();
  if (id?.kind === 'local') return { address: id.address, local: true };
  const s = walletSession();
  return s ? { address: s.account, local: false } : undefined;
}

/** Claim pooled earnings through the latest epoch root; on the local chain, post that root first. */
export function LedgerClaim(props: { token: { symbol: string; decimals: number } }) {
  const [version, setVersion] = createSignal(0);
  const [formOpen, setFormOpen] = createSignal(false);
  const [plan] = createResource(
    () => {
      const c = chainConfig();
      const a = claimant()?.address;
      return c && a ? { c, a, v: version() } : undefined;
    },
    async ({ c, a }) => {
      try {
        return { plan: await getLedgerApi().planClaim(c, a) };
      } catch (e) {
        return { error: e };
      }
    },
  );
  type Place = 'claim' | 'post';
  /** Each message stays beside the button that caused it, and belongs to the account that caused it. */
  const [status, setStatus] = createSignal<{ at: Place; text: string }>();
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<{ at: Place; error: unknown }>();
  const [done, setDone] = createSignal<{ at: Place; text: string }>();
  const refresh = () => setVersion((n) => n + 1);
  createEffect(
    on(
      () => claimant()?.address,
      () => {
        setDone(undefined);
        setError(undefined);
        setFormOpen(false);
      },
      { defer: true },
    ),
  );

  const run = async (at: Place, action: (onStatus: (text: string) => void) => Promise<string>) => {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      const text = await action((t) => setStatus({ at, text: t }));
      setDone({ at, text });
    } catch (e) {
      setError({ at, error: e });
    } finally {
      setBusy(false);
      setStatus(undefined);
      refresh();
      refreshBalances();
    }
  };
  const claim = () =>
    // eslint-disable-next-line solid/reactivity -- called from a click handler
    run('claim', async (onStatus) => {
      const r = await claimEarnings(onStatus);
      return `Claimed ${fmtToken(r.amount, props.token)} in transaction ${shortHash(r.txHash, 18)}.`;
    });
  const claimTo = (recipient: Address, submitter: ClaimSubmitter) =>
    // eslint-disable-next-line solid/reactivity -- called from a form's submit handler
    run('claim', async (onStatus) => {
      const me = claimant();
      if (!me?.local) throw new Error('The active identity is no longer a local key.');
      const r = await claimToWallet(me.address, recipient, submitter, onStatus, props.token);
      setFormOpen(false);
      return `Claimed ${fmtToken(r.amount, props.token)} to ${r.recipient} in transaction ${shortHash(r.txHash, 18)}.`;
    });
  const post = () =>
    // eslint-disable-next-line solid/reactivity -- called from a click handler
    run('post', async (onStatus) => {
      const r = await postEpochRootLocally(onStatus);
      // The contract numbers a root by the last block it covers: say so, not "epoch 14".
      return r
        ? `Posted the earnings root of pooled credits through block ${r.epoch} (${fmtToken(r.total, props.token)} pooled in total) in transaction ${shortHash(r.txHash, 18)}.`
        : 'Nothing new to post: the current root already covers every pooled credit.';
    });

  const planInfo = () => {
    const p = plan();
    return p && 'plan' in p ? p.plan : undefined;
  };
  const planError = () => {
    const p = plan();
    if (!p || !('error' in p)) return undefined;
    // "Nothing to claim" is a state, not a failure: shown as text below; so is an unreachable chain.
    if (isUnreachableError(p.error) || chainReach().status === 'unreachable') return undefined;
    return isTributaryError(p.error) && p.error.code === 'chain/nothing-to-claim' ? undefined : p.error;
  };
  const nothing = () => {
    const p = plan();
    return p && 'error' in p && isTributaryError(p.error) && p.error.code === 'chain/nothing-to-claim' ? p.error.message : undefined;
  };

  const messages = (at: Place): JSX.Element => (
    <>
      <Show when={status()?.at === at}>
        <p class="settle-status" role="status">
          {status()?.text}
        </p>
      </Show>
      <Show when={done()?.at === at}>
        <div class="alert alert-success" role="status" data-testid={at === 'claim' ? 'claim-result' : 'root-result'}>
          <p class="alert-message">{done()?.text}</p>
        </div>
      </Show>
      <ErrorAlert error={error()?.at === at ? error()?.error : undefined} title={at === 'claim' ? 'Nothing was claimed' : 'No root was posted'} />
    </>
  );

  return (
    <section class="card" aria-labelledby="claim-title">
      <h2 id="claim-title">Claim pooled earnings</h2>
      <p class="section-intro">
        Settlements paid in pooled mode keep your share in the settlement contract. A root poster publishes an epoch Merkle root of everyone's cumulative
        earnings; you claim what it credits you beyond what you claimed before.
      </p>
      <Show when={claimant()} fallback={<p class="muted">Connect a wallet, or choose a local key as your identity, to claim.</p>}>
        <Show when={claimant()?.local}>
          <p class="small muted" data-testid="claim-account">
            As the local key {identityLabel(claimant()!.address) ?? ''} <span class="mono">{claimant()!.address}</span>: a local key has no wallet, so it signs an
            authorisation and its earnings are paid to a wallet address you choose.
          </p>
        </Show>
        <Show when={planInfo()}>
          {(p) => (
            <p data-testid="claimable">
              Current root (pooled credits through block {p().epoch.toString()}): credited <TokenAmount value={p().cumulativeAmount} token={props.token} />, claimed <TokenAmount value={p().alreadyClaimed} token={props.token} /> —{' '}
              <strong>claimable now <TokenAmount value={p().claimable} token={props.token} /></strong>.
            </p>
          )}
        </Show>
        <Show when={chainReach().status === 'unreachable'}>
          <p class="muted" data-testid="claim-unreachable">
            Claims need the chain, which is unreachable now: what you can claim is shown once it answers again.
          </p>
        </Show>
        <Show when={nothing()}>
          <p class="muted" data-testid="claimable">
            {nothing()}
          </p>
        </Show>
        <ErrorAlert error={planError()} title="The earnings root could not be checked" />
        <div class="row">
          <Show
            when={claimant()?.local}
            fallback={
              <button type="button" class="btn btn-primary" disabled={busy() || !planInfo() || planInfo()!.claimable === 0n} onClick={() => void claim()}>
                Claim
              </button>
            }
          >
            <button
              type="button"
              class="btn btn-primary"
              aria-expanded={formOpen()}
              aria-controls="claim-to-wallet"
              disabled={busy() || !planInfo() || planInfo()!.claimable === 0n}
              onClick={() => setFormOpen((o) => !o)}
            >
              Claim to wallet…
            </button>
          </Show>
          <button type="button" class="btn btn-ghost btn-small" disabled={busy()} onClick={refresh}>
            Refresh
          </button>
        </div>
        <Show when={claimant()?.local && formOpen() && planInfo()}>
          <div id="claim-to-wallet">
            <ClaimToWalletForm account={claimant()!.address} claimable={planInfo()!.claimable} token={props.token} busy={busy()} onSubmit={(r, s) => void claimTo(r, s)} />
          </div>
        </Show>
        {messages('claim')}
      </Show>
      <Show when={chainConfig()?.chainId === 31337}>
        <div class="local-only">
          <h3>Local chain: post the epoch root</h3>
          <p class="hint">
            On a real chain a root-poster service does this. On the local chain you play the poster: the dev account that deployed the contracts (anvil
            account #0, holder of ROOT_POSTER_ROLE) posts the root of every pooled credit so far. Only shown on the local chain.
          </p>
          <button type="button" class="btn btn-secondary" disabled={busy()} onClick={() => void post()}>
            Post epoch root
          </button>
          {messages('post')}
        </div>
      </Show>
    </section>
  );
}
