import { Match, Show, Switch, createResource, createSignal } from 'solid-js';
import { explorerTxUrl } from '../../chain/chains.ts';
import type { Datanet, DatanetVersion } from '../../core/types.ts';
import { anchorOnChain, readOnChain, registerOnChain } from '../lib/anchorActions.ts';
import { plural, shortAddress } from '../lib/format.ts';
import { identitiesReady, identityLabel, sameAddress } from '../lib/identity.ts';
import { chainConfig } from '../lib/ledgerChain.ts';
import { switchWalletChain, walletOnChain, walletSession } from '../lib/walletState.ts';
import { CopyButton } from './CopyButton.tsx';
import { ErrorAlert } from './ErrorAlert.tsx';

/**
 * "On chain": the Datanet in `DatanetRegistry`. For a Datanet owned by the connected wallet on the
 * configured chain: whether it is registered, its latest anchored version and root (checked against this
 * browser's), and "Register on chain" / "Anchor version N". For a Datanet owned by a local key: why it
 * cannot be anchored from here. Not shown for Datanets owned by someone else.
 */
export function AnchorPanel(props: { datanet: Datanet; versions: DatanetVersion[] }) {
  const ownerLabel = () => identityLabel(props.datanet.owner);
  const ownerIsWallet = () => sameAddress(walletSession()?.account, props.datanet.owner);
  // Made here but owned by an account whose key is not here: a wallet-owned Datanet whose wallet is not connected now.
  const walletOwnedElsewhere = () => identitiesReady() && props.datanet.origin.kind === 'local' && !ownerLabel() && !ownerIsWallet();

  return (
    <Show when={ownerLabel() || ownerIsWallet() || walletOwnedElsewhere()}>
      <section class="card" aria-labelledby="onchain-title" data-testid="onchain-panel">
        <h2 id="onchain-title">On chain</h2>
        <Switch>
          <Match when={ownerLabel() && !ownerIsWallet()}>
            <p class="hint" data-testid="anchor-needs-wallet">
              This Datanet is owned by the local key <strong>{ownerLabel()}</strong> ({shortAddress(props.datanet.owner)}). A local key cannot send
              transactions, so its versions cannot be registered or anchored in the Datanet registry: anchoring needs the owner's wallet. To anchor a
              Datanet, create it while your connected wallet is the active identity.
            </p>
          </Match>
          <Match when={walletOwnedElsewhere()}>
            <p class="hint" data-testid="anchor-needs-wallet">
              This Datanet is owned by the wallet account {props.datanet.owner}. Connect that wallet account to register it on chain and anchor its
              versions.
            </p>
          </Match>
          <Match when={!chainConfig()}>
            <p class="hint">No chain is configured: start the local chain with `npm start`, or set one in Settings → Chain.</p>
          </Match>
          <Match when={!walletOnChain()}>
            <div class="alert alert-warning" role="status">
              <p class="alert-message">
                Your wallet is on another network than {chainConfig()!.name} (chain {chainConfig()!.chainId}): switch it to register and anchor.
              </p>
              <button type="button" class="btn btn-secondary btn-small" onClick={() => void switchWalletChain().catch(() => undefined)}>
                Switch wallet to {chainConfig()!.name}
              </button>
            </div>
          </Match>
          <Match when={true}>
            <OwnerAnchor datanet={props.datanet} versions={props.versions} />
          </Match>
        </Switch>
      </section>
    </Show>
  );
}

/** The owner's view: registry state and the two actions. */
function OwnerAnchor(props: { datanet: Datanet; versions: DatanetVersion[] }) {
  const [refresh, setRefresh] = createSignal(0);
  const [state] = createResource(
    () => {
      const c = chainConfig();
      return c ? { chainId: c.chainId, registry: c.registry, id: props.datanet.id, owner: props.datanet.owner, n: refresh() } : undefined;
    },
    async ({ id, owner }) => {
      try {
        return { state: await readOnChain({ id, owner }) };
      } catch (e) {
        return { error: e };
      }
    },
  );
  const [busy, setBusy] = createSignal(false);
  const [status, setStatus] = createSignal<string>();
  const [error, setError] = createSignal<unknown>();
  const [done, setDone] = createSignal<{ message: string; txHash: string; matches?: boolean }>();

  const onChain = () => {
    const s = state();
    return s && 'state' in s ? s.state : undefined;
  };
  const readError = () => {
    const s = state();
    return s && 'error' in s ? s.error : undefined;
  };
  const localVersion = (n: number) => props.versions.find((v) => v.version === n);
  const current = () => props.datanet.currentVersion;
  const toAnchor = () => {
    const s = onChain();
    return s?.owner && current() > s.latestVersion ? localVersion(current()) : undefined;
  };
  const latestMatches = () => {
    const latest = onChain()?.latest;
    const local = latest && localVersion(latest.version);
    return latest && local ? latest.merkleRoot.toLowerCase() === local.merkleRoot.toLowerCase() : undefined;
  };
  const txLink = (hash: string) => {
    const c = chainConfig();
    return c ? explorerTxUrl(c, hash) : undefined;
  };

  const run = async (action: () => Promise<{ message: string; txHash: string; matches?: boolean }>) => {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      setDone(await action());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
      setStatus(undefined);
      setRefresh((n) => n + 1);
    }
  };
  const register = () =>
    // eslint-disable-next-line solid/reactivity -- called from a click handler
    run(async () => {
      const txHash = await registerOnChain(props.datanet, setStatus);
      return { message: `Registered "${props.datanet.name}" on ${chainConfig()?.name ?? 'the chain'}.`, txHash };
    });
  const anchor = (version: number) =>
    // eslint-disable-next-line solid/reactivity -- called from a click handler
    run(async () => {
      const r = await anchorOnChain(props.datanet, version, setStatus);
      return {
        message: r.matches
          ? `Anchored version ${version}: the root on chain equals this browser's version ${version} root.`
          : `Anchored version ${version}, but the root on chain (${r.anchored.merkleRoot}) differs from this browser's (${r.local.merkleRoot}).`,
        txHash: r.txHash,
        matches: r.matches,
      };
    });

  return (
    <div class="anchor-panel">
      <p class="hint">
        The Datanet registry on {chainConfig()?.name} keeps who owns this Datanet and the Merkle root of each anchored version (over every accepted
        contribution and its contributor), so anyone can check a version against the chain.
      </p>
      <Show when={state.loading && !onChain()}>
        <p class="muted">Reading the registry…</p>
      </Show>
      <ErrorAlert error={readError()} title="The registry could not be read" />
      <Show when={onChain()}>
        {(s) => (
          <dl class="facts facts-stacked" data-testid="anchor-state">
            <div>
              <dt>Registered</dt>
              <dd data-testid="anchor-registered">
                {s().owner ? (sameAddress(s().owner, props.datanet.owner) ? 'Yes, by you' : `Yes, by another account (${s().owner})`) : 'Not yet'}
              </dd>
            </div>
            <div>
              <dt>Registry key</dt>
              <dd class="mono break small">{s().datanetKey}</dd>
            </div>
            <div>
              <dt>Latest anchored version</dt>
              <dd data-testid="anchor-latest-version">{s().latestVersion > 0 ? `v${s().latestVersion}` : 'None yet'}</dd>
            </div>
            <Show when={s().latest}>
              {(latest) => (
                <div>
                  <dt>
                    Anchored root (v{latest().version}, {plural(latest().contributionCount, 'contribution')})
                  </dt>
                  <dd>
                    <div class="hash-cell">
                      <code class="mono hash" data-testid="anchored-root">
                        {latest().merkleRoot}
                      </code>
                      <CopyButton value={latest().merkleRoot} label="Copy the anchored root" />
                    </div>
                    <Show when={latestMatches() !== undefined}>
                      <p class={latestMatches() ? 'small' : 'field-error'} data-testid="anchor-match">
                        {latestMatches()
                          ? `Equals this browser's version ${latest().version} root.`
                          : `Differs from this browser's version ${latest().version} root (${localVersion(latest().version)?.merkleRoot}).`}
                      </p>
                    </Show>
                  </dd>
                </div>
              )}
            </Show>
          </dl>
        )}
      </Show>
      <Show when={onChain() && current() === 0}>
        <p class="muted">Nothing to anchor yet: the first accepted contribution creates version 1.</p>
      </Show>
      <Show when={onChain()}>
        {(s) => (
          <Switch>
            <Match when={!s().owner}>
              <button type="button" class="btn btn-primary" disabled={busy()} onClick={() => void register()}>
                Register on chain
              </button>
            </Match>
            <Match when={!sameAddress(s().owner, props.datanet.owner)}>
              <p class="field-error">Another account registered this Datanet's key on chain first; only it can anchor versions under that key.</p>
            </Match>
            <Match when={toAnchor()}>
              {(v) => (
                <div>
                  <p class="small">
                    Version {v().version} here: {plural(v().contributionIds.length, 'contribution')}, root{' '}
                    <code class="mono hash" data-testid="local-root">
                      {v().merkleRoot}
                    </code>
                  </p>
                  <button type="button" class="btn btn-primary" disabled={busy()} onClick={() => void anchor(v().version)}>
                    Anchor version {v().version}
                  </button>
                </div>
              )}
            </Match>
            <Match when={current() === 0}>
              <span />
            </Match>
            <Match when={true}>
              <p class="muted">Up to date: version {current()} is the latest here and on chain.</p>
            </Match>
          </Switch>
        )}
      </Show>
      <Show when={status()}>
        <p class="settle-status" role="status">
          {status()}
        </p>
      </Show>
      <Show when={done()}>
        {(d) => (
          <div class={d().matches === false ? 'alert alert-warning' : 'alert alert-success'} role="status" data-testid="anchor-result">
            <p class="alert-message">
              {d().message} Transaction{' '}
              <Show when={txLink(d().txHash)} fallback={<code class="mono">{d().txHash}</code>}>
                {(href) => (
                  <a href={href()} target="_blank" rel="noopener noreferrer">
                    <code class="mono">{d().txHash}</code>
                  </a>
                )}
              </Show>
              .
            </p>
          </div>
        )}
      </Show>
      <ErrorAlert error={error()} title="That did not work" />
      <button type="button" class="btn btn-ghost btn-small" disabled={busy()} onClick={() => setRefresh((n) => n + 1)}>
        Refresh
      </button>
    </div>
  );
}
