/**
 * The local identities (signing keys held by the data worker), the connected wallet's account, and which
 * one is active. The active address is remembered in localStorage; private keys never leave the worker
 * (the UI only sees `IdentityPublic`). When a wallet connects, its account becomes the active identity:
 * contributions and votes are then signed in the wallet (see `walletSigning.ts`).
 */
import { createSignal } from 'solid-js';
import { liveQuery } from 'dexie';
import type { Address, IdentityPublic } from '../../core/types.ts';
import { getDataApi } from '../../client/dataClient.ts';
import { getDb } from '../../store/db.ts';
import { shortAddress } from './format.ts';

export const ACTIVE_IDENTITY_KEY = 'tributary.activeIdentity';
export const FIRST_IDENTITY_LABEL = 'Me';

const [identities, setIdentities] = createSignal<IdentityPublic[]>([]);
const [activeAddress, setActiveAddressSignal] = createSignal<Address | undefined>(readStoredAddress());
const [identitiesReady, setIdentitiesReady] = createSignal(false);

/** An identity the UI can act as: a local key, or the connected wallet's account. */
export interface ActingIdentity {
  address: Address;
  label: string;
  kind: 'local' | 'wallet';
  createdAt: number;
}

const [walletIdentity, setWalletIdentitySignal] = createSignal<ActingIdentity | undefined>();

/**
 * The connected wallet's account (undefined when none). A newly connected or switched wallet account
 * becomes the active identity; on disconnect the first local key takes over again.
 */
export function setWalletIdentity(wallet: { address: Address; label: string } | undefined): void {
  const previous = walletIdentity();
  if (wallet && previous && sameAddress(wallet.address, previous.address) && wallet.label === previous.label) return;
  setWalletIdentitySignal(wallet ? { ...wallet, kind: 'wallet', createdAt: Date.now() } : undefined);
  if (wallet) {
    setActiveAddress(wallet.address);
  } else if (previous && sameAddress(activeAddress(), previous.address)) {
    const first = identities()[0];
    if (first) setActiveAddress(first.address);
  }
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

/** `Local key · Alice · 0x12ab…cdef`, or `Wallet · MetaMask · 0x12ab…cdef` */
export function describeIdentity(identity: IdentityPublic | ActingIdentity): string {
  return `${identity.kind === 'wallet' ? 'Wallet' : 'Local key'} · ${identity.label} · ${shortAddress(identity.address)}`;
}

/** `Alice (0x12ab…cdef)` for a local identity, else the short address. */
export function displayAddress(address: string): string {
  const label = identityLabel(address);
  return label ? `${label} (${shortAddress(address)})` : shortAddress(address);
}

export { identities, activeAddress, identitiesReady, walletIdentity };
