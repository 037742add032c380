/**
 * Which chain Tributary settles on: the local anvil chain (31337) by default, the OpenLedger testnet
 * (chain id 161201, RPC URL configured) or any EVM chain described by a `ChainConfig`.
 * Pure: no network.
 */
import { defineChain, getAddress, isAddress, type Chain } from 'viem';
import { TributaryError } from '../core/errors.ts';
import type { Address } from '../core/types.ts';

export const LOCAL_CHAIN_ID = 31337;
export const OPENLEDGER_TESTNET_CHAIN_ID = 161201;
export const DEFAULT_LOCAL_RPC_URL = 'http://127.0.0.1:8545';

export interface ChainConfig {
  chainId: number;
  name: string;
  rpcUrl: string;
  /** The ERC-20 fees are paid in (tOPEN locally, OPEN on OpenLedger). */
  token: Address;
  registry: Address;
  settlement: Address;
  /** Block explorer base URL, e.g. `https://explorer.example/` (transactions at `tx/<hash>`). */
  explorer?: string;
  /** Block of the deployment: log scans start here (0 when unknown). */
  deployedAtBlock?: bigint;
  /** Settlement's treasury, when known (the contract's `treasury()` is authoritative). */
  treasury?: Address;
  nativeCurrency?: { name: string; symbol: string; decimals: number };
}

/** True for the local dev chain, where dev accounts and the dev wallet may be offered. */
export function isLocalChain(chainId: number): boolean {
  return chainId === LOCAL_CHAIN_ID;
}

function bad(field: string, message: string): never {
  throw new TributaryError('chain/config', message, `chain config ${field}`);
}

function address(raw: Record<string, unknown>, field: string): Address {
  const v = raw[field];
  if (typeof v !== 'string' || !isAddress(v, { strict: false })) bad(field, `must be a 0x address (got ${String(v)}); check the deployment's addresses.`);
  return getAddress(v);
}

function url(raw: Record<string, unknown>, field: string, required: boolean): string | undefined {
  const v = raw[field];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string') bad(field, `must be a URL (got ${String(v)}).`);
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    bad(field, `is not a valid URL: ${v}.`);
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(parsed.protocol)) bad(field, `must be http(s) or ws(s) (got ${parsed.protocol}).`);
  return v;
}

/**
 * Checks and normalises a chain configuration from JSON (e.g. the devnet's `/chain.json`, or settings).
 * Accepts `deployedAtBlock` as a number, decimal string or bigint; `name` defaults by chain id.
 *
 * @throws TributaryError `chain/config` naming the bad field.
 */
export function parseChainConfig(input: unknown): ChainConfig {
  if (typeof input !== 'object' || input === null) bad('', 'is missing or not an object.');
  const raw = input as Record<string, unknown>;
  const chainId = typeof raw.chainId === 'string' && /^\d+$/.test(raw.chainId) ? Number(raw.chainId) : raw.chainId;
  if (typeof chainId !== 'number' || !Number.isSafeInteger(chainId) || chainId <= 0) bad('chainId', `must be a positive whole number (got ${String(raw.chainId)}).`);
  const rpcUrl = url(raw, 'rpcUrl', true)!;
  const explorer = url(raw, 'explorer', false);
  let deployedAtBlock: bigint | undefined;
  const b = raw.deployedAtBlock;
  if (b !== undefined) {
    if (typeof b === 'bigint' && b >= 0n) deployedAtBlock = b;
    else if (typeof b === 'number' && Number.isSafeInteger(b) && b >= 0) deployedAtBlock = BigInt(b);
    else if (typeof b === 'string' && /^\d+$/.test(b)) deployedAtBlock = BigInt(b);
    else bad('deployedAtBlock', `must be a block number ≥ 0 (got ${String(b)}).`);
  }
  const name = raw.name === undefined ? defaultName(chainId) : raw.name;
  if (typeof name !== 'string' || name.trim() === '') bad('name', 'must be a non-empty string.');
  const config: ChainConfig = {
    chainId,
    name,
    rpcUrl,
    token: address(raw, 'token'),
    registry: address(raw, 'registry'),
    settlement: address(raw, 'settlement'),
  };
  if (explorer !== undefined) config.explorer = explorer;
  if (deployedAtBlock !== undefined) config.deployedAtBlock = deployedAtBlock;
  if (raw.treasury !== undefined) config.treasury = address(raw, 'treasury');
  if (raw.nativeCurrency !== undefined) {
    const n = raw.nativeCurrency as Record<string, unknown>;
    if (typeof n !== 'object' || n === null || typeof n.name !== 'string' || typeof n.symbol !== 'string' || typeof n.decimals !== 'number') {
      bad('nativeCurrency', 'must be { name, symbol, decimals }.');
    }
    config.nativeCurrency = { name: n.name, symbol: n.symbol, decimals: n.decimals };
  }
  return config;
}

function defaultName(chainId: number): string {
  if (chainId === LOCAL_CHAIN_ID) return 'Local chain (anvil)';
  if (chainId === OPENLEDGER_TESTNET_CHAIN_ID) return 'OpenLedger testnet';
  return `Chain ${chainId}`;
}

/** The local anvil chain with the given deployment (RPC defaults to 127.0.0.1:8545). */
export function localChainConfig(d: {
  token: Address;
  registry: Address;
  settlement: Address;
  deployedAtBlock?: bigint;
  treasury?: Address;
  rpcUrl?: string;
}): ChainConfig {
  return parseChainConfig({ ...d, chainId: LOCAL_CHAIN_ID, rpcUrl: d.rpcUrl ?? DEFAULT_LOCAL_RPC_URL, name: defaultName(LOCAL_CHAIN_ID) });
}

/** The OpenLedger testnet (chain id 161201): the RPC URL and the addresses are configuration. */
export function openLedgerTestnetConfig(c: {
  rpcUrl: string;
  token: Address;
  registry: Address;
  settlement: Address;
  explorer?: string;
  deployedAtBlock?: bigint;
}): ChainConfig {
  return parseChainConfig({
    ...c,
    chainId: OPENLEDGER_TESTNET_CHAIN_ID,
    name: defaultName(OPENLEDGER_TESTNET_CHAIN_ID),
    nativeCurrency: { name: 'OPEN', symbol: 'OPEN', decimals: 18 },
  });
}

/** A viem `Chain` for clients and `wallet_addEthereumChain`. */
export function toViemChain(c: ChainConfig): Chain {
  return defineChain({
    id: c.chainId,
    name: c.name,
    nativeCurrency: c.nativeCurrency ?? { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [c.rpcUrl] } },
    ...(c.explorer ? { blockExplorers: { default: { name: 'Explorer', url: c.explorer } } } : {}),
    ...(c.chainId === LOCAL_CHAIN_ID ? { testnet: true } : {}),
  });
}

/** `<explorer>/tx/<hash>` when the chain has an explorer. */
export function explorerTxUrl(c: ChainConfig, txHash: string): string | undefined {
  if (!c.explorer) return undefined;
  return `${c.explorer.replace(/\/+$/, '')}/tx/${txHash}`;
}
