/**
 * Which chain the app settles on. Settings (settings table, key `chain`) choose the local anvil chain
 * (its addresses come from `/chain.json`, written by `npm start`), the OpenLedger testnet (161201; RPC URL
 * and contract addresses entered by the user) or any EVM chain. `chainConfig()` is the resolved
 * configuration, or undefined while loading or when it is unusable (`chainState()` says why).
 *
 * Offline (or with the chain's RPC or the `npm start` server down) the chain is *unreachable*, not missing:
 * the configuration last resolved under the same setting is used (kept in IndexedDB, store/knownChain),
 * so the Ledger still shows this browser's fees, earnings, history and last known balances, and
 * `chainReach()` says since when the chain has not answered.
 */
import { createSignal } from 'solid-js';
import { LOCAL_CHAIN_ID, OPENLEDGER_TESTNET_CHAIN_ID, openLedgerTestnetConfig, parseChainConfig, type ChainConfig } from '../../chain/chains.ts';
import { CHAIN_SETTINGS_KEY, type ChainSettings } from '../../workerApi/ledgerApi.ts';
import { getLedgerApi } from '../../client/ledgerClient.ts';
import { TributaryError } from '../../core/errors.ts';
import type { Address } from '../../core/types.ts';
import { getDb } from '../../store/db.ts';
import { readKnownChain } from '../../store/knownChain.ts';
import { publicClientFor } from '../../chain/wallet/connect.ts';

export type ChainState =
  | { status: 'loading' }
  | { status: 'ready'; config: ChainConfig }
  | { status: 'unavailable'; error: unknown };

const [chainSettings, setChainSettingsSignal] = createSignal<ChainSettings>({ kind: 'local' });
const [chainStateSignal, setChainState] = createSignal<ChainState>({ status: 'loading' });
const [reconcileError, setReconcileError] = createSignal<unknown>();

/** Where the chain configuration stands; the first read starts loading it (so nothing loads it at app start). */
export function chainState(): ChainState {
  void initChain();
  return chainStateSignal();
}

/** Whether the configured chain answers: `unknown` until asked; `lastReachedAt` from this browser's records. */
export type ChainReach =
  | { status: 'unknown' }
  | { status: 'reachable'; at: number }
  | { status: 'unreachable'; lastReachedAt: number | undefined; error: unknown };

const [chainReach, setChainReach] = createSignal<ChainReach>({ status: 'unknown' });
let lastReachedAt: number | undefined;

/** Records that the chain just answered (RPC reads of balances, the start-up probe). */
export function noteChainReached(): void {
  const s = chainSettings();
  const config = chainConfig();
  const now = Date.now();
  const wasReachable = chainReach().status === 'reachable';
  lastReachedAt = now;
  setChainReach({ status: 'reachable', at: now });
  // remembered at most once a minute (and at once after being unreachable)
  if (config && (!wasReachable || now - rememberedAt > 60_000)) {
    rememberedAt = now;
    void getLedgerApi()
      .rememberChain(s.kind, { config, reachedAt: now })
      .catch(() => undefined);
  }
}
let rememberedAt = 0;

/** Records that the chain did not answer (a network error, not a refusal by the contract). */
export function noteChainUnreachable(error: unknown): void {
  setChainReach({ status: 'unreachable', lastReachedAt, error });
}

/** True for a failure that means "the chain (or the network) did not answer". */
export function isUnreachableError(e: unknown): boolean {
  return (e as { code?: unknown } | undefined)?.code === 'chain/unreachable';
}

export function chainConfig(): ChainConfig | undefined {
  const s = chainState();
  return s.status === 'ready' ? s.config : undefined;
}

export function isLocalChainSelected(): boolean {
  return chainSettings().kind === 'local';
}

function optionalBlock(v: string | undefined): bigint | undefined {
  const t = v?.trim();
  if (!t) return undefined;
  if (!/^\d+$/.test(t)) throw new TributaryError('chain/config', `Deployment block must be a whole number (got ${t}).`, 'chain config deployedAtBlock');
  return BigInt(t);
}

function need(v: string | undefined, what: string): string {
  const t = v?.trim();
  if (!t) throw new TributaryError('chain/config', `Enter the ${what} in Settings → Chain.`, `chain config ${what}`);
  return t;
}

/** Resolves settings to a chain configuration (fetching /chain.json for the local chain). */
export async function resolveChain(s: ChainSettings, fetchImpl: typeof fetch = fetch): Promise<ChainConfig> {
  if (s.kind === 'local') {
    let res: Response;
    try {
      res = await fetchImpl(`${import.meta.env.BASE_URL}chain.json`, { cache: 'no-store' });
    } catch (e) {
      const offline = typeof navigator !== 'undefined' && navigator.onLine === false;
      throw new TributaryError(
        'chain/unreachable',
        offline
          ? "This device is offline and this browser has not reached the local chain before: its addresses come from the app's server (/chain.json). Go online once."
          : `The local chain's addresses (/chain.json) could not be loaded from the app's server (${e instanceof Error ? e.message : String(e)}): is \`npm start\` still running?`,
      );
    }
    if (!res.ok || !(res.headers.get('content-type') ?? '').includes('json')) {
      throw new TributaryError(
        'chain/config',
        'No local chain is running for this app (/chain.json is missing). Start it with `npm start` (it starts anvil, deploys the contracts and writes chain.json), or pick another chain in Settings → Chain.',
      );
    }
    const config = parseChainConfig(await res.json());
    if (config.chainId !== LOCAL_CHAIN_ID) {
      throw new TributaryError('chain/config', `/chain.json describes chain ${config.chainId}, not the local chain ${LOCAL_CHAIN_ID}.`);
    }
    return config;
  }
  if (s.kind === 'openledger') {
    const o = s.openledger ?? { rpcUrl: '', token: '', registry: '', settlement: '' };
    const deployedAtBlock = optionalBlock(o.deployedAtBlock);
    return openLedgerTestnetConfig({
      rpcUrl: need(o.rpcUrl, 'RPC URL'),
      token: need(o.token, 'token address') as Address,
      registry: need(o.registry, 'registry address') as Address,
      settlement: need(o.settlement, 'settlement address') as Address,
      ...(o.explorer?.trim() ? { explorer: o.explorer.trim() } : {}),
      ...(deployedAtBlock !== undefined ? { deployedAtBlock } : {}),
    });
  }
  const c = s.custom ?? { chainId: '', name: '', rpcUrl: '', token: '', registry: '', settlement: '' };
  const deployedAtBlock = optionalBlock(c.deployedAtBlock);
  return parseChainConfig({
    chainId: need(c.chainId, 'chain id'),
    name: c.name?.trim() || undefined,
    rpcUrl: need(c.rpcUrl, 'RPC URL'),
    token: need(c.token, 'token address'),
    registry: need(c.registry, 'registry address'),
    settlement: need(c.settlement, 'settlement address'),
    ...(c.explorer?.trim() ? { explorer: c.explorer.trim() } : {}),
    ...(deployedAtBlock !== undefined ? { deployedAtBlock } : {}),
  });
}

let loading: Promise<void> | undefined;

async function load(settings: ChainSettings): Promise<void> {
  setChainSettingsSignal(settings);
  setChainState({ status: 'loading' });
  const known = await readKnownChain(getDb(), settings.kind).catch(() => undefined);
  lastReachedAt = Math.max(lastReachedAt ?? 0, known?.reachedAt ?? 0) || undefined;
  let config: ChainConfig;
  try {
    config = await resolveChain(settings);
  } catch (e) {
    // /chain.json could not be fetched (offline, or the server is down): the chain is unreachable, and what
    // this browser knew of it still holds. A configuration that is wrong or missing stays an error.
    if (isUnreachableError(e) && known) {
      let cached: ChainConfig | undefined;
      try {
        cached = parseChainConfig(known.config);
      } catch {
        cached = undefined;
      }
      if (cached) {
        setChainState({ status: 'ready', config: cached });
        noteChainUnreachable(e);
        return;
      }
    }
    setChainState({ status: 'unavailable', error: e });
    return;
  }
  setChainState({ status: 'ready', config });
  try {
    if (typeof navigator !== 'undefined' && navigator.onLine === false) throw new TributaryError('chain/unreachable', 'This device is offline.');
    const id = await publicClientFor(config).getChainId();
    if (id !== config.chainId) throw new TributaryError('chain/config', `The RPC ${config.rpcUrl} serves chain ${id}, not ${config.name} (${config.chainId}): check the RPC URL in Settings → Chain.`);
    noteChainReached();
  } catch (e) {
    noteChainUnreachable(isUnreachableError(e) || !(e instanceof TributaryError) ? new TributaryError('chain/unreachable', `${config.name} (${config.rpcUrl}) did not answer.`, undefined, { cause: e }) : e);
    return;
  }
  // Bring the ledger in line with the chain (entries left "submitting" by a closed tab).
  getLedgerApi()
    .reconcile(config)
    .then(() => setReconcileError(undefined))
    .catch((e: unknown) => {
      if (isUnreachableError(e)) noteChainUnreachable(e);
      else setReconcileError(e);
    });
}

/** Reads the chain settings and resolves them (once; later calls wait for the first). */
export function initChain(): Promise<void> {
  loading ??= (async () => {
    // Back online: look again (the banner goes, balances are read live).
    if (typeof window !== 'undefined') window.addEventListener('online', () => void reloadChain());
    const stored = (await getDb().settings.get(CHAIN_SETTINGS_KEY).catch(() => undefined))?.value as ChainSettings | undefined;
    await load(stored && typeof stored === 'object' && 'kind' in stored ? stored : { kind: 'local' });
  })();
  return loading;
}

/** Saves new chain settings (through the ledger worker) and switches to them. */
export async function saveChainSettings(settings: ChainSettings): Promise<void> {
  if (settings.kind !== 'local') await resolveChain(settings); // refuse settings that cannot work, before saving them
  await getLedgerApi().saveChainSettings(settings);
  await load(settings);
}

/** Re-reads /chain.json or the RPC (after `npm start` was restarted, say). */
export function reloadChain(): Promise<void> {
  return load(chainSettings());
}

export { chainSettings, chainReach, reconcileError, OPENLEDGER_TESTNET_CHAIN_ID };
