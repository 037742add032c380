/**
 * Which wallet the last session connected (`injected:<rdns>`, `walletconnect`, `dev:<index>`), kept in
 * localStorage. A module of its own so the header can tell, without loading the wallet code (viem,
 * WalletConnect), whether there is a wallet to reconnect on start.
 */
export const LAST_WALLET_KEY = 'tributary.wallet';

/** The remembered wallet id, or undefined when none (or storage is unavailable). */
export function rememberedWallet(): string | undefined {
  try {
    return localStorage.getItem(LAST_WALLET_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}
