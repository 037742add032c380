import { Show, createEffect, createSignal, on } from 'solid-js';
import { LOCAL_CHAIN_ID, OPENLEDGER_TESTNET_CHAIN_ID } from '../../chain/chains.ts';
import type { ChainSettings } from '../../workerApi/ledgerApi.ts';
import { chainConfig, chainSettings, chainState, reloadChain, saveChainSettings } from '../lib/ledgerChain.ts';
import { disconnectWallet, walletSession } from '../lib/walletState.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

type Fields = { chainId: string; name: string; rpcUrl: string; token: string; registry: string; settlement: string; explorer: string; deployedAtBlock: string };
const EMPTY: Fields = { chainId: '', name: '', rpcUrl: '', token: '', registry: '', settlement: '', explorer: '', deployedAtBlock: '' };

/** Settings → Wallet: which chain to settle on (local / OpenLedger testnet / any EVM chain) and the WalletConnect projectId. */
export function WalletSettingsPanel() {
  const [kind, setKind] = createSignal<ChainSettings['kind']>('local');
  const [fields, setFields] = createSignal<Fields>(EMPTY);
  const [projectId, setProjectId] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  const [saved, setSaved] = createSignal(false);

  // Load the stored settings into the form (and again when they change elsewhere).
  createEffect(
    on(chainSettings, (s) => {
      setKind(s.kind);
      const src = s.kind === 'openledger' ? s.openledger : s.kind === 'custom' ? s.custom : undefined;
      setFields({ ...EMPTY, ...(src ?? {}) });
      setProjectId(s.walletConnectProjectId ?? '');
    }),
  );

  const field = (key: keyof Fields, label: string, hint?: string) => (
    <div class="field">
      <label for={`chain-${key}`}>{label}</label>
      <input
        id={`chain-${key}`}
        type="text"
        autocomplete="off"
        spellcheck={false}
        value={fields()[key]}
        onInput={(e) => setFields({ ...fields(), [key]: e.currentTarget.value })}
      />
      <Show when={hint}>
        <p class="hint">{hint}</p>
      </Show>
    </div>
  );

  const save = async (e: SubmitEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setSaved(false);
    const f = fields();
    const common = { rpcUrl: f.rpcUrl, token: f.token, registry: f.registry, settlement: f.settlement, explorer: f.explorer, deployedAtBlock: f.deployedAtBlock };
    const s: ChainSettings = { kind: kind(), ...(projectId().trim() ? { walletConnectProjectId: projectId().trim() } : {}) };
    if (kind() === 'openledger') s.openledger = common;
    if (kind() === 'custom') s.custom = { ...common, chainId: f.chainId, name: f.name };
    try {
      const before = chainConfig()?.chainId;
      await saveChainSettings(s);
      // The dev wallet never stays connected to another chain than the local one.
      if (walletSession()?.option.kind === 'dev' && chainConfig()?.chainId !== LOCAL_CHAIN_ID) disconnectWallet();
      else if (before !== chainConfig()?.chainId && walletSession()) disconnectWallet();
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="form chain-settings" onSubmit={(e) => void save(e)} aria-label="Chain and wallet settings">
      <fieldset class="fieldset">
        <legend>Chain to settle on</legend>
        <label class="choice">
          <input type="radio" name="chain-kind" value="local" checked={kind() === 'local'} onChange={() => setKind('local')} />
          <span>Local chain (anvil, chain {LOCAL_CHAIN_ID}) — started by <code>npm start</code>; addresses from <code>/chain.json</code></span>
        </label>
        <label class="choice">
          <input type="radio" name="chain-kind" value="openledger" checked={kind() === 'openledger'} onChange={() => setKind('openledger')} />
          <span>OpenLedger testnet (chain {OPENLEDGER_TESTNET_CHAIN_ID}) — enter its RPC URL and the contract addresses</span>
        </label>
        <label class="choice">
          <input type="radio" name="chain-kind" value="custom" checked={kind() === 'custom'} onChange={() => setKind('custom')} />
          <span>Another EVM chain</span>
        </label>
      </fieldset>
      <Show when={kind() === 'custom'}>
        {field('chainId', 'Chain id')}
        {field('name', 'Chain name')}
      </Show>
      <Show when={kind() !== 'local'}>
        {field('rpcUrl', 'RPC URL')}
        {field('token', 'Token address', 'The ERC-20 fees are paid in (OPEN on OpenLedger).')}
        {field('registry', 'DatanetRegistry address')}
        {field('settlement', 'Settlement address')}
        {field('deployedAtBlock', 'Deployment block (optional)', 'Log scans (claims, reconciliation) start here; 0 when empty.')}
        {field('explorer', 'Block explorer URL (optional)')}
      </Show>
      <div class="field">
        <label for="walletconnect-project">WalletConnect projectId</label>
        <input id="walletconnect-project" type="text" autocomplete="off" spellcheck={false} value={projectId()} onInput={(e) => setProjectId(e.currentTarget.value)} />
        <p class="hint">
          Needed for mobile wallets through WalletConnect (free at cloud.reown.com). WalletConnect talks to its relay over the internet, so it is off
          without a projectId and cannot work offline.
        </p>
      </div>
      <div class="row">
        <button type="submit" class="btn btn-primary" disabled={busy()}>
          {busy() ? 'Saving…' : 'Save chain settings'}
        </button>
        <button type="button" class="btn btn-ghost btn-small" onClick={() => void reloadChain()}>
          Reload chain
        </button>
      </div>
      <Show when={saved()}>
        <p class="small" role="status">
          Saved.
        </p>
      </Show>
      <p class="small" data-testid="chain-status">
        <Show when={chainConfig()} fallback={chainState().status === 'loading' ? 'Loading the chain…' : 'No usable chain yet.'}>
          {(c) => (
            <>
              Using {c().name} (chain {c().chainId}) at <span class="mono">{c().rpcUrl}</span>; settlement contract <span class="mono">{c().settlement}</span>.
            </>
          )}
        </Show>
      </p>
      <ErrorAlert error={error() ?? (chainState().status === 'unavailable' ? (chainState() as { error: unknown }).error : undefined)} title={error() ? 'Not saved' : 'The chain is not usable'} />
    </form>
  );
}
