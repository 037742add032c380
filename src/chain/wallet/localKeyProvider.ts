/**
 * An EIP-1193 provider backed by private keys held in memory: the "Dev wallet (local chain only)" of
 * the app, and the Node side of the e2e test wallet. Signing happens here with viem's
 * `privateKeyToAccount`; every other request goes to the chain's JSON-RPC URL.
 *
 * It speaks to one chain only (the RPC's): `wallet_switchEthereumChain` to another chain id fails with
 * 4902, like a wallet that does not know the chain. `rejectNext()` makes the next signing or sending
 * request fail with 4001 (user rejected), as a person pressing "Reject" would.
 *
 * @example
 * const provider = createLocalKeyProvider({ privateKeys: [key], rpcUrl: 'http://127.0.0.1:8545' });
 * const wallet = createWalletClient({ transport: custom(provider) });
 */
import { createWalletClient, http, numberToHex, type Chain, type TransactionRequest } from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import type { Address, Hex } from '../../core/types.ts';

export interface RequestArguments {
  method: string;
  params?: unknown;
}

/** The EIP-1193 surface the app uses. */
export interface Eip1193Provider {
  request(args: RequestArguments): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): void;
  removeListener(event: string, listener: (...args: unknown[]) => void): void;
}

/** An EIP-1193 error: `code` 4001 user rejected, 4100 unauthorised, 4200 unsupported, 4902 unknown chain. */
export class ProviderRpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'ProviderRpcError';
  }
}

export interface LocalKeyProviderOptions {
  privateKeys: Hex[];
  rpcUrl: string;
  /** The chain id of the RPC (read from it when omitted). */
  chainId?: number;
  /** Which key is the selected account (default 0). */
  accountIndex?: number;
}

export interface LocalKeyProvider extends Eip1193Provider {
  readonly accounts: readonly Address[];
  /** The selected account. */
  account(): Address;
  /** Select another of the keys; emits `accountsChanged`. */
  selectAccount(index: number): void;
  /** Make the next signing/sending request fail with 4001 (user rejected). */
  rejectNext(): void;
  /** Forget the connection; emits `accountsChanged` with []. */
  disconnect(): void;
}

const SIGNING = new Set(['eth_sendTransaction', 'eth_signTypedData_v4', 'personal_sign', 'eth_sign']);

let rpcId = 0;

async function rpc(url: string, method: string, params: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method, params: params ?? [] }),
  });
  if (!res.ok) throw new ProviderRpcError(-32603, `RPC ${url} answered HTTP ${res.status}`);
  const body = (await res.json()) as { result?: unknown; error?: { code: number; message: string; data?: unknown } };
  if (body.error) throw new ProviderRpcError(body.error.code, body.error.message, body.error.data);
  return body.result;
}

function hexToBigOpt(v: unknown): bigint | undefined {
  return typeof v === 'string' && v !== '' ? BigInt(v) : undefined;
}

/** A JSON-RPC transaction object (hex quantities) as viem's TransactionRequest. */
function toRequest(tx: Record<string, unknown>): TransactionRequest {
  const out: Record<string, unknown> = {};
  if (tx.to) out.to = tx.to;
  if (tx.data ?? tx.input) out.data = tx.data ?? tx.input;
  const value = hexToBigOpt(tx.value);
  if (value !== undefined) out.value = value;
  const gas = hexToBigOpt(tx.gas);
  if (gas !== undefined) out.gas = gas;
  const nonce = hexToBigOpt(tx.nonce);
  if (nonce !== undefined) out.nonce = Number(nonce);
  return out as TransactionRequest;
}

export function createLocalKeyProvider(opts: LocalKeyProviderOptions): LocalKeyProvider {
  if (opts.privateKeys.length === 0) throw new Error('a local key provider needs at least one key');
  const accounts: PrivateKeyAccount[] = opts.privateKeys.map((k) => privateKeyToAccount(k));
  let index = opts.accountIndex ?? 0;
  let connected = false;
  let rejectOnce = false;
  let chainId = opts.chainId;
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  const emit = (event: string, ...args: unknown[]) => {
    for (const l of [...(listeners.get(event) ?? [])]) l(...args);
  };
  const current = () => accounts[index]!;
  const getChainId = async (): Promise<number> => {
    chainId ??= Number(await rpc(opts.rpcUrl, 'eth_chainId', []));
    return chainId;
  };
  const checkFrom = (from: unknown) => {
    if (typeof from === 'string' && from.toLowerCase() !== current().address.toLowerCase()) {
      throw new ProviderRpcError(4100, `This wallet is connected as ${current().address}, not ${from}.`);
    }
  };

  async function request({ method, params }: RequestArguments): Promise<unknown> {
    const p = (Array.isArray(params) ? params : []) as unknown[];
    if (SIGNING.has(method) && rejectOnce) {
      rejectOnce = false;
      throw new ProviderRpcError(4001, 'User rejected the request.');
    }
    switch (method) {
      case 'eth_requestAccounts':
        connected = true;
        return [current().address];
      case 'eth_accounts':
        return connected ? [current().address] : [];
      case 'eth_chainId':
        return numberToHex(await getChainId());
      case 'net_version':
        return String(await getChainId());
      case 'wallet_switchEthereumChain': {
        const wanted = Number((p[0] as { chainId?: string } | undefined)?.chainId);
        if (wanted === (await getChainId())) return null;
        throw new ProviderRpcError(4902, `Unrecognized chain ID ${wanted}: this wallet only knows chain ${await getChainId()}.`);
      }
      case 'wallet_addEthereumChain':
        throw new ProviderRpcError(4200, 'This wallet cannot add chains.');
      case 'wallet_requestPermissions':
      case 'wallet_getPermissions':
        return [{ parentCapability: 'eth_accounts' }];
      case 'eth_signTypedData_v4': {
        checkFrom(p[0]);
        const data = (typeof p[1] === 'string' ? JSON.parse(p[1]) : p[1]) as {
          domain: Record<string, unknown>;
          types: Record<string, { name: string; type: string }[]>;
          primaryType: string;
          message: Record<string, unknown>;
        };
        const { EIP712Domain: _ignored, ...types } = data.types;
        return current().signTypedData({ domain: data.domain, types, primaryType: data.primaryType, message: data.message } as Parameters<
          PrivateKeyAccount['signTypedData']
        >[0]);
      }
      case 'personal_sign': {
        checkFrom(p[1]);
        return current().signMessage({ message: { raw: p[0] as Hex } });
      }
      case 'eth_sendTransaction': {
        const tx = (p[0] ?? {}) as Record<string, unknown>;
        checkFrom(tx.from);
        const id = await getChainId();
        const chain: Chain = {
          id,
          name: `Chain ${id}`,
          nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
          rpcUrls: { default: { http: [opts.rpcUrl] } },
        };
        const client = createWalletClient({ account: current(), chain, transport: http(opts.rpcUrl) });
        return client.sendTransaction(toRequest(tx));
      }
      case 'eth_sign':
        throw new ProviderRpcError(4200, 'eth_sign is not supported: use personal_sign or eth_signTypedData_v4.');
      default:
        return rpc(opts.rpcUrl, method, params);
    }
  }

  return {
    accounts: accounts.map((a) => a.address),
    account: () => current().address,
    request,
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
    },
    removeListener(event, listener) {
      listeners.get(event)?.delete(listener);
    },
    selectAccount(i) {
      if (i < 0 || i >= accounts.length) throw new RangeError(`no account ${i}`);
      index = i;
      emit('accountsChanged', [current().address]);
    },
    rejectNext() {
      rejectOnce = true;
    },
    disconnect() {
      connected = false;
      emit('accountsChanged', []);
    },
  };
}
