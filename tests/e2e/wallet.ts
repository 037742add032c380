/**
 * An EIP-1193 test wallet injected into the page, as a browser extension would be: an init script
 * defines the provider and announces it by EIP-6963 (`eip6963:announceProvider`, again on every
 * `eip6963:requestProvider`). Its `request` crosses to Node (`page.exposeFunction`), where viem's
 * `privateKeyToAccount` signs (the app's own local-key provider, src/chain/wallet/localKeyProvider.ts)
 * and plain RPC goes to anvil. The test drives it like a person would: `rejectNext('eth_sendTransaction')`
 * answers the next such request with 4001 (user rejected), `selectAccount(i)` switches accounts
 * (`accountsChanged` reaches the page). `needsNetwork`: the wallet answers nothing while the page is offline, as a
 * wallet reached over the network (WalletConnect) would; an extension answers offline.
 */
import type { Page } from 'playwright-core';
import { createLocalKeyProvider, type LocalKeyProvider } from '../../src/chain/wallet/localKeyProvider.ts';
import type { Address, Hex } from '../../src/core/types.ts';

export const TEST_WALLET_NAME = 'Tributary Test Wallet';
export const TEST_WALLET_RDNS = 'org.tributary.testwallet';

export interface TestWallet {
  provider: LocalKeyProvider;
  accounts: readonly Address[];
  /** Every method the page asked for, in order. */
  requests: string[];
  /** Answer the next request of `method` (any signing/sending method when omitted) with 4001. */
  rejectNext(method?: string): void;
  /** Switch to account `index`; the page hears `accountsChanged`. */
  selectAccount(index: number): Promise<void>;
}

interface WireResult {
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

const SIGNING = new Set(['eth_sendTransaction', 'eth_signTypedData_v4', 'personal_sign']);

/**
 * Installs the wallet in `page` (call before the first `goto`). `announceDelayMs`: the wallet appears (announces
 * itself and answers `eip6963:requestProvider`) only that long after each page load, as a slow extension would.
 */
export async function installTestWallet(
  page: Page,
  opts: { privateKeys: Hex[]; rpcUrl: string; chainId: number; announceDelayMs?: number; needsNetwork?: boolean },
): Promise<TestWallet> {
  const provider = createLocalKeyProvider({ privateKeys: opts.privateKeys, rpcUrl: opts.rpcUrl, chainId: opts.chainId });
  const requests: string[] = [];
  let reject: { method: string | undefined } | undefined;

  await page.exposeFunction('__tributaryTestWalletRequest', async (args: { method: string; params?: unknown }): Promise<WireResult> => {
    requests.push(args.method);
    if (reject && (reject.method ? reject.method === args.method : SIGNING.has(args.method))) {
      reject = undefined;
      return { error: { code: 4001, message: 'User rejected the request.' } };
    }
    try {
      return { result: await provider.request(args) };
    } catch (e) {
      const err = e as { code?: unknown; message?: unknown; data?: unknown };
      return { error: { code: typeof err.code === 'number' ? err.code : -32603, message: String(err.message ?? e), data: err.data } };
    }
  });

  for (const event of ['accountsChanged', 'chainChanged']) {
    provider.on(event, (payload) => {
      void page.evaluate(([ev, p]) => (window as unknown as { __tributaryTestWalletEmit?: (e: string, p: unknown) => void }).__tributaryTestWalletEmit?.(ev, p), [event, payload] as const).catch(() => undefined);
    });
  }

  await page.addInitScript(
    ({ name, rdns, delayMs, needsNetwork }) => {
      type Listener = (payload: unknown) => void;
      const listeners = new Map<string, Set<Listener>>();
      const w = window as unknown as {
        __tributaryTestWalletRequest: (args: { method: string; params?: unknown }) => Promise<{ result?: unknown; error?: { code: number; message: string; data?: unknown } }>;
        __tributaryTestWalletEmit: (event: string, payload: unknown) => void;
      };
      const provider = {
        isTributaryTestWallet: true,
        async request(args: { method: string; params?: unknown }) {
          // a wallet reached over the network (WalletConnect's relay, a remote signer) does not answer offline
          if (needsNetwork && !navigator.onLine) throw Object.assign(new Error('The wallet cannot be reached: the device is offline.'), { code: 4900 });
          const res = await w.__tributaryTestWalletRequest({ method: args.method, params: args.params ?? [] });
          if (res.error) {
            const err = new Error(res.error.message) as Error & { code: number; data?: unknown };
            err.code = res.error.code;
            err.data = res.error.data;
            throw err;
          }
          return res.result;
        },
        on(event: string, fn: Listener) {
          let set = listeners.get(event);
          if (!set) listeners.set(event, (set = new Set()));
          set.add(fn);
        },
        removeListener(event: string, fn: Listener) {
          listeners.get(event)?.delete(fn);
        },
      };
      w.__tributaryTestWalletEmit = (event, payload) => {
        for (const fn of [...(listeners.get(event) ?? [])]) fn(payload);
      };
      const info = {
        uuid: '5c1c3f5e-6a55-4a43-9d0e-7d1f2b9c0a11',
        name,
        rdns,
        icon: 'data:image/svg+xml,%3Csvg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"%3E%3Ccircle cx="8" cy="8" r="7" fill="%230f766e"/%3E%3C/svg%3E',
      };
      const announce = () => window.dispatchEvent(new CustomEvent('eip6963:announceProvider', { detail: Object.freeze({ info, provider }) }));
      const appear = () => {
        window.addEventListener('eip6963:requestProvider', announce);
        announce();
      };
      if (delayMs > 0) setTimeout(appear, delayMs);
      else appear();
    },
    { name: TEST_WALLET_NAME, rdns: TEST_WALLET_RDNS, delayMs: opts.announceDelayMs ?? 0, needsNetwork: opts.needsNetwork ?? false },
  );

  return {
    provider,
    accounts: provider.accounts,
    requests,
    rejectNext(method) {
      reject = { method };
    },
    async selectAccount(index) {
      provider.selectAccount(index);
      // Let the page's listeners run.
      await page.waitForTimeout(50);
    },
  };
}
