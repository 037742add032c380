/**
 * The wallet connection of this tab: which wallets are on offer (EIP-6963 announcements through mipd,
 * WalletConnect, and the dev wallet on the local chain), the connected one, its accounts and its chain.
 * `accountsChanged` and `chainChanged` from the wallet are followed; a wallet on another chain than the
 * configured one is reported (with a "Switch" action) rather than used.
 */
import { createEffect, createRoot, createSignal } from 'solid-js';
import type { PublicClient, TypedDataDomain } from 'viem';
import { ensureChain, parseAccounts, publicClientFor, requestAccounts, walletChainId, walletClientFor } from '../../chain/wallet/connect.ts';
import { createDevWallet } from '../../chain/wallet/devWallet.ts';
import { walletOptions, watchInjectedWallets, type InjectedWallet, type WalletOption } from '../../chain/wallet/discovery.ts';
import type { Eip1193Provider, LocalKeyProvider } from '../../chain/wallet/localKeyProvider.ts';
import { readTokenInfo, type TokenInfo, type WalletContext } from '../../chain/wallet/settleWithWallet.ts';
import { toWalletError } from '../../chain/wallet/walletErrors.ts';
import { connectWalletConnect } from '../../chain/wallet/walletConnect.ts';
import { TributaryError } from '../../core/errors.ts';
import { canonicalSignature } from '../../core/signing.ts';
import type { Address, Hex } from '../../core/types.ts';
import { setWalletIdentity } from './identity.ts';
import { chainConfig, chainSettings, chainState, initChain } from './ledgerChain.ts';
import { LAST_WALLET_KEY } from './walletMemory.ts';

/** EIP-712 typed data as core/signing builds it. */
export interface TypedDataToSign {
  domain: TypedDataDomain;
  types: Record<string, readonly { name: string; type: string }[]>;
  primaryType: string;
  message: Record<string, unknown>;
}

export interface WalletSession {
  option: WalletOption;
  provider: Eip1193Provider;
  accounts: Address[];
  account: Address;
  /** The chain the wallet is on (may differ from the configured one). */
  chainId: number | undefined;
}


const [injectedWallets, setInjectedWallets] = createSignal<InjectedWallet[]>([]);
const [session, setSession] = createSignal<WalletSession>();
const [connecting, setConnecting] = createSignal(false);
const [walletError, setWalletError] = createSignal<unknown>();

let detach: (() => void) | undefined;

/** The wallets to offer now, for the configured chain. */
export function availableWallets(): WalletOption[] {
  const chain = chainConfig();
  return walletOptions(injectedWallets(), chain?.chainId ?? 0, chainSettings().walletConnectProjectId);
}

/** True when a wallet is connected and on the configured chain. */
export function walletOnChain(): boolean {
  const s = session();
  const c = chainConfig();
  return !!s && !!c && s.chainId === c.chainId;
}

let started = false;

/**
 * How long a reload waits for the remembered wallet to announce itself (EIP-6963) before giving up: an extension's
 * content script may run after the app's first look. A later announcement still reconnects it.
 */
const ANNOUNCE_WAIT_MS = 3000;

/** Called on every EIP-6963 announcement with the wallets announced so far. */
const onAnnounce = new Set<(list: InjectedWallet[]) => void>();
/** The same list as `injectedWallets()`, read outside any reactive scope. */
let announcedList: InjectedWallet[] = [];

/**
 * Starts listening for EIP-6963 announcements and reconnects the last wallet without a prompt — now, and again each
 * time the browser comes back online (an offline reload cannot reach the chain; the wallet identity is kept meanwhile,
 * see identity.ts).
 */
export function initWallets(): void {
  if (started) return;
  started = true;
  watchInjectedWallets((list) => {
    announcedList = list;
    setInjectedWallets(list);
    for (const f of [...onAnnounce]) f(list);
    void reconnectLast();
  });
  void reconnectLast();
  // back online (ledgerChain reads the chain again meanwhile; the reconnection waits for it)
  window.addEventListener('online', () => {
    if (!session()) void reconnectLast();
  });
}

/** Resolves once the chain's state is no longer `loading` (it is read again on coming back online), or after `ms`. */
function chainSettled(ms = 15_000): Promise<void> {
  if (chainState().status !== 'loading') return Promise.resolve();
  return new Promise((resolve) => {
    createRoot((dispose) => {
      let settled = false;
      const done = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        queueMicrotask(dispose);
        resolve();
      };
      const timer = setTimeout(done, ms);
      createEffect(() => {
        if (chainState().status !== 'loading') done();
      });
    });
  });
}

/** The injected wallet `id` once it has announced itself, or undefined after `ms`. */
function announced(id: string, ms: number): Promise<InjectedWallet | undefined> {
  const now = announcedList.find((w) => w.id === id);
  if (now) return Promise.resolve(now);
  return new Promise((resolve) => {
    const done = (w: InjectedWallet | undefined) => {
      onAnnounce.delete(check);
      clearTimeout(timer);
      resolve(w);
    };
    const check = (list: InjectedWallet[]) => {
      const w = list.find((x) => x.id === id);
      if (w) done(w);
    };
    const timer = setTimeout(() => done(undefined), ms);
    onAnnounce.add(check);
  });
}

function remember(id: string | undefined): void {
  try {
    if (id) localStorage.setItem(LAST_WALLET_KEY, id);
    else localStorage.removeItem(LAST_WALLET_KEY);
  } catch {
    // no storage: the choice lasts for this page
  }
}

/** The reconnection in progress: every trigger (page start, each announcement) joins it instead of racing it. */
let reconnecting: Promise<void> | undefined;

function reconnectLast(): Promise<void> {
  reconnecting ??= attemptReconnect().finally(() => {
    reconnecting = undefined;
  });
  return reconnecting;
}

/**
 * Reconnects the wallet of the last session without a prompt. The chain configuration and the wallet's EIP-6963
 * announcement may each arrive after the other, in either order: wait for the chain, then (a short, bounded time)
 * for the remembered wallet to announce itself, then ask only `eth_accounts`, which answers without a prompt and
 * only when the site is still authorised.
 */
async function attemptReconnect(): Promise<void> {
  const busy = () => !!session() || connecting();
  let last: string | null = null;
  try {
    last = localStorage.getItem(LAST_WALLET_KEY);
  } catch {
    return;
  }
  if (!last || busy()) return;
  try {
    await initChain();
    await chainSettled();
    if (!chainConfig() || busy()) return;
    if (last.startsWith('injected:')) {
      const w = await announced(last, ANNOUNCE_WAIT_MS);
      if (!w || busy()) return;
      const accounts = parseAccounts(await w.provider.request({ method: 'eth_accounts' }));
      if (accounts.length > 0 && !busy()) await connectWallet(w.id, { silent: true, accounts });
    } else if (last.startsWith('dev')) {
      if (availableWallets().some((w) => w.kind === 'dev')) await connectWallet('dev', { devAccount: Number(last.split(':')[1] ?? 0), silent: true });
    }
  } catch {
    // a silent reconnection that fails just leaves the wallet disconnected
  }
}

/**
 * Connects the wallet `optionId` (`injected:<rdns>`, `walletconnect`, `dev`) and switches it to the configured chain.
 * `silent` (reconnecting after a reload): no error is shown, and with `accounts` (from `eth_accounts`) the wallet is
 * not asked anything that could open its prompt — neither `eth_requestAccounts` nor a chain switch (a wallet on
 * another chain shows "wrong chain" with its Switch action instead).
 */
export async function connectWallet(optionId: string, opts: { devAccount?: number; silent?: boolean; accounts?: Address[] } = {}): Promise<void> {
  const chain = chainConfig();
  setWalletError(undefined);
  if (!chain) {
    const err = new TributaryError('chain/config', 'No chain is configured yet: start the local chain with `npm start`, or set one in Settings → Chain.');
    setWalletError(err);
    throw err;
  }
  const option = availableWallets().find((w) => w.id === optionId);
  if (!option) throw new TributaryError('wallet/unavailable', 'This wallet is not available here.');
  if (option.disabledReason) {
    const err = new TributaryError('wallet/unavailable', option.disabledReason);
    setWalletError(err);
    throw err;
  }
  setConnecting(true);
  try {
    let provider: Eip1193Provider;
    if (option.kind === 'injected') provider = (option as InjectedWallet).provider;
    else if (option.kind === 'dev') provider = await createDevWallet(chain.rpcUrl, chain.chainId, opts.devAccount ?? 0);
    else provider = await connectWalletConnect(chainSettings().walletConnectProjectId, chain, location.origin);
    const accounts = opts.accounts && opts.accounts.length > 0 ? opts.accounts : await requestAccounts(provider);
    disconnectWallet({ forget: false });
    const s: WalletSession = { option, provider, accounts, account: accounts[0]!, chainId: await walletChainId(provider).catch(() => undefined) };
    setSession(s);
    follow(s);
    setWalletIdentity({ address: s.account, label: option.name });
    remember(option.kind === 'dev' ? `dev:${(provider as LocalKeyProvider).accounts.indexOf(s.account)}` : option.id);
    if (s.chainId !== chain.chainId && !(opts.silent && opts.accounts)) {
      try {
        await ensureChain(provider, chain);
        setSession((cur) => (cur === s ? { ...s, chainId: chain.chainId } : cur));
      } catch (e) {
        if (!opts.silent) setWalletError(e);
      }
    }
  } catch (e) {
    const err = toWalletError(e, { action: 'Connecting the wallet' });
    if (!opts.silent) setWalletError(err);
    throw err;
  } finally {
    setConnecting(false);
  }
}

function follow(s: WalletSession): void {
  const onAccounts = (raw: unknown) => {
    const accounts = parseAccounts(raw);
    if (accounts.length === 0) {
      disconnectWallet();
      return;
    }
    setSession((cur) => (cur?.provider === s.provider ? { ...cur, accounts, account: accounts[0]! } : cur));
    setWalletIdentity({ address: accounts[0]!, label: s.option.name });
    if (s.option.kind === 'dev') remember(`dev:${(s.provider as LocalKeyProvider).accounts.indexOf(accounts[0]!)}`);
  };
  const onChain = (raw: unknown) => {
    const chainId = Number(raw);
    setSession((cur) => (cur?.provider === s.provider ? { ...cur, chainId: Number.isFinite(chainId) ? chainId : undefined } : cur));
  };
  const onDisconnect = () => disconnectWallet();
  s.provider.on('accountsChanged', onAccounts);
  s.provider.on('chainChanged', onChain);
  s.provider.on('disconnect', onDisconnect);
  detach = () => {
    s.provider.removeListener('accountsChanged', onAccounts);
    s.provider.removeListener('chainChanged', onChain);
    s.provider.removeListener('disconnect', onDisconnect);
  };
}

/** Forgets the connection (the wallet itself may keep the site authorised). */
export function disconnectWallet(opts: { forget?: boolean } = {}): void {
  const s = session();
  detach?.();
  detach = undefined;
  setSession(undefined);
  if (opts.forget !== false) {
    remember(undefined);
    setWalletIdentity(undefined);
  }
  if (s?.option.kind === 'walletconnect') void (s.provider as unknown as { disconnect?: () => Promise<void> }).disconnect?.().catch(() => undefined);
}

/** Asks the wallet to switch to the configured chain (adding it when needed). */
export async function switchWalletChain(): Promise<void> {
  const s = session();
  const chain = chainConfig();
  if (!s || !chain) return;
  setWalletError(undefined);
  try {
    await ensureChain(s.provider, chain);
    setSession((cur) => (cur === s ? { ...s, chainId: chain.chainId } : cur));
  } catch (e) {
    setWalletError(e);
    throw e;
  }
}

/** For the dev wallet: act as another of anvil's dev accounts. */
export function selectDevAccount(index: number): void {
  const s = session();
  if (s?.option.kind !== 'dev') return;
  (s.provider as LocalKeyProvider).selectAccount(index);
}

const tokenInfos = new Map<string, TokenInfo>();

/**
 * Everything a transaction needs: the wallet on the configured chain (switched there first when needed),
 * a public client on the chain's RPC, the token's symbol and decimals.
 */
export async function walletContext(): Promise<WalletContext & { publicClient: PublicClient }> {
  const s = session();
  const chain = chainConfig();
  if (!chain) throw new TributaryError('chain/config', 'No chain is configured: start the local chain with `npm start`, or set one in Settings → Chain.');
  if (!s) throw new TributaryError('wallet/not-connected', 'Connect a wallet first (the "Connect wallet" button at the top).');
  if (s.chainId !== chain.chainId) await switchWalletChain();
  const publicClient = publicClientFor(chain);
  const key = `${chain.chainId}:${chain.token}`;
  let token = tokenInfos.get(key);
  if (!token) {
    token = await readTokenInfo(publicClient, chain.token);
    tokenInfos.set(key, token);
  }
  return { wallet: walletClientFor(s.provider, s.account, chain), publicClient, account: s.account, chainId: chain.chainId, token };
}

/** A signer of EIP-712 typed data by the connected wallet's `account` (contributions, votes). */
export async function walletSigner(account: Address): Promise<(typedData: TypedDataToSign) => Promise<Hex>> {
  const s = session();
  if (!s || s.account.toLowerCase() !== account.toLowerCase()) {
    if (typeof navigator !== 'undefined' && !navigator.onLine) {
      throw new TributaryError(
        'wallet/not-connected',
        `You are offline, so the wallet of ${account} is not connected: it reconnects by itself when you are back online. Until then this identity can read but not sign; nothing was stored. To sign now, switch to a local key.`,
      );
    }
    throw new TributaryError('wallet/not-connected', `The wallet of ${account} is not connected: connect it again ("Connect wallet" at the top), or switch to a local identity. Nothing was stored.`);
  }
  const chain = chainConfig() ?? { chainId: s.chainId ?? 1, name: 'Wallet chain', rpcUrl: 'http://127.0.0.1:8545' };
  const client = walletClientFor(s.provider, s.account, chain);
  return async (typedData) => {
    try {
      // wallets differ (v 0/1 or 27/28, rarely high-s): store only the canonical form that verify accepts
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- viem's typed-data generics cannot follow a payload built at run time
      return canonicalSignature(await client.signTypedData({ ...(typedData as any), account: s.account }));
    } catch (e) {
      throw toWalletError(e, { action: 'Signing in your wallet', unchanged: 'Nothing was stored.' });
    }
  };
}

export { injectedWallets, session as walletSession, connecting as walletConnecting, walletError, setWalletError };
