/**
 * The local identities (signing keys held by the data worker), the connected wallet's account, and which
 * one is active. The active address is remembered in localStorage; private keys never leave the worker
 * (the UI only sees `IdentityPublic`). When a wallet connects, its account becomes the active identity:
 * contributions and votes are then signed in the wallet (see `walletSigning.ts`).
 *
 * The wallet identity is remembered too (localStorage), so a reload — offline above all, when the wallet cannot
 * reconnect — keeps acting as the wallet's account instead of dropping back to a local key: it is shown (read-only:
 * what needs the wallet's signature waits) until the wallet reconnects, which happens by itself once online. Only
 * disconnecting the wallet forgets it.
 */
import { createSignal } from 'solid-js';
import { liveQuery } from 'dexie';
import type { Address, IdentityPublic } from '../../core/types.ts';
import { getDataApi } from '../../client/dataClient.ts';
import { getDb } from '../../store/db.ts';
import { shortAddress } from './format.ts';

export const ACTIVE_IDENTITY_KEY = 'tributary.activeIdentity';
export const FIRST_IDENTITY_LABEL = 'Me';
/** The wallet identity of the last session: `{ address, label }`. */
export const WALLET_IDENTITY_KEY = 'tributary.walletIdentity';

const [identities, setIdentities] = createSignal<IdentityPublic[]>([]);
const [walletIdentity, setWalletIdentitySignal] = createSignal<ActingIdentity | undefined>(readRememberedWallet());
const [activeAddress, setActiveAddressSignal] = createSignal<Address | undefined>(readStoredAddress());
const [identitiesReady, setIdentitiesReady] = createSignal(false);

/** An identity the UI can act as: a local key, or the connected wallet's account. */
export interface ActingIdentity {
  address: Address;
  label: string;
  kind: 'local' | 'wallet';
  createdAt: number;
  /**
   * A wallet's: false while it is only remembered from an earlier session (offline, or not reconnected yet). It stays
   * the identity shown and used for reading; signing as it needs the wallet connected.
   */
  connected?: boolean;
}

function readRememberedWallet(): ActingIdentity | undefined {
  try {
    const raw = localStorage.getItem(WALLET_IDENTITY_KEY);
    const v = raw ? (JSON.parse(raw) as { address?: unknown; label?: unknown }) : undefined;
    if (!v || typeof v.address !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v.address)) return undefined;
    return { address: v.address as Address, label: typeof v.label === 'string' && v.label ? v.label : 'Wallet', kind: 'wallet', createdAt: 0, connected: false };
  } catch {
    return undefined;
  }
}

function rememberWallet(wallet: { address: Address; label: string } | undefined): void {
  try {
    if (wallet) localStorage.setItem(WALLET_IDENTITY_KEY, JSON.stringify({ address: wallet.address, label: wallet.label }));
    else localStorage.removeItem(WALLET_IDENTITY_KEY);
  } catch {
    // no storage: the wallet identity lasts for this page
  }
}

/**
 * The connected wallet's account, or undefined when the wallet was disconnected on purpose (the identity is then
 * forgotten and the first local key takes over again). A newly connected or switched wallet account becomes the
 * active identity; the same account reconnecting after a reload leaves the active identity as the user left it.
 */
export function setWalletIdentity(wallet: { address: Address; label: string } | undefined): void {
  const previous = walletIdentity();
  if (wallet && previous?.connected && sameAddress(wallet.address, previous.address) && wallet.label === previous.label) return;
  setWalletIdentitySignal(wallet ? { ...wallet, kind: 'wallet', createdAt: Date.now(), connected: true } : undefined);
  rememberWallet(wallet);
  if (wallet) {
    const reconnected = previous && !previous.connected && sameAddress(wallet.address, previous.address);
    if (!reconnected) setActiveAddress(wallet.address);
  } else if (previous && sameAddress(activeAddress(), previous.address)) {
    const first = identities()[0];
    if (first) setActiveAddress(first.address);
  }
}

/** True when the active identity is a remembered wallet that is not connected now (offline, or not reconnected yet). */
export function activeWalletWaiting(): boolean {
  const w = walletIdentity();
  return !!w && w.connected === false && sameAddress(w.address, activeAddress());
}

/** True when `address` is the connected wallet's account (its signatures come from the wallet). */
export function isWalletAddress(address: string | undefined): boolean {
  return sameAddress(address, walletIdentity()?.address);
}

function readStoredAddress(): Address | undefined {
  try {
    const v = localStorage.getItem(ACTIVE_IDENTITY_KEY);
    return v && /^0x[0-9a-fA-F]{40}$/.test(v) ? (v as Address) : undefined;
  } catch {
    return undefined;
  }
}

export function setActiveAddress(address: Address): void {
  setActiveAddressSignal(address);
  try {
    localStorage.setItem(ACTIVE_IDENTITY_KEY, address);
  } catch {
    // Storage can be unavailable (private mode); the choice then lasts for this page only.
  }
}

/** Reload the list from the worker and make sure the active address is one of them. */
export async function refreshIdentities(): Promise<IdentityPublic[]> {
  const list = [...(await getDataApi().listIdentities())].sort((x, y) => x.createdAt - y.createdAt);
  setIdentities(list);
  const active = activeAddress();
  const first = list[0];
  if (first && !list.some((i) => sameAddress(i.address, active)) && !isWalletAddress(active)) setActiveAddress(first.address);
  return list;
}

let started: Promise<void> | undefined;

/** On start: load identities, creating one labelled "Me" when there is none; follow later changes. */
export function initIdentities(): Promise<void> {
  started ??= (async () => {
    const list = await refreshIdentities();
    if (list.length === 0) {
      const me = await getDataApi().createIdentity(FIRST_IDENTITY_LABEL);
      setActiveAddress(me.address);
      await refreshIdentities();
    }
    setIdentitiesReady(true);
    // Identities created elsewhere (another tab, the Settings page) show up in the switcher.
    let lastCount = -1;
    liveQuery(() => getDb().identities.count()).subscribe({
      next: (count) => {
        if (lastCount !== -1 && count !== lastCount) void refreshIdentities().catch(() => undefined);
        lastCount = count;
      },
      error: () => undefined,
    });
  })();
  return started;
}

/** Create a new local key, make it active and return it. */
export async function createIdentity(label: string): Promise<IdentityPublic> {
  const identity = await getDataApi().createIdentity(label);
  await refreshIdentities();
  setActiveAddress(identity.address);
  return identity;
}

export function sameAddress(a: string | undefined, b: string | undefined): boolean {
  return !!a && !!b && a.toLowerCase() === b.toLowerCase();
}

export function activeIdentity(): ActingIdentity | undefined {
  const a = activeAddress();
  const wallet = walletIdentity();
  if (wallet && sameAddress(wallet.address, a)) return wallet;
  return identities().find((i) => sameAddress(i.address, a));
}

/** The label of a local identity with this address, if there is one. */
export function identityLabel(address: string): string | undefined {
  return identities().find((i) => sameAddress(i.address, address))?.label;
}

/** `Local key · Alice · 0x12ab…cdef`, or `Wallet · MetaMask · 0x12ab…cdef` (`… (not connected)` while it is only remembered) */
export function describeIdentity(identity: IdentityPublic | ActingIdentity): string {
  const waiting = 'connected' in identity && identity.connected === false ? ' (not connected)' : '';
  return `${identity.kind === 'wallet' ? 'Wallet' : 'Local key'} · ${identity.label} · ${shortAddress(identity.address)}${waiting}`;
}

/** `Alice (0x12ab…cdef)` for a local identity, else the short address. */
export function displayAddress(address: string): string {
  const label = identityLabel(address);
  return label ? `${label} (${shortAddress(address)})` : shortAddress(address);
}

export { identities, activeAddress, identitiesReady, walletIdentity };
