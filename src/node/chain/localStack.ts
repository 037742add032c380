/**
 * A complete local chain for tests, benchmarks and the devnet: anvil + viem clients for its dev accounts +
 * the deployed contracts. Node only (spawns anvil).
 */
import { createPublicClient, createWalletClient, http, type Account, type Chain, type PublicClient, type Transport, type WalletClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { Address } from '../../core/types.ts';
import { startAnvil, type AnvilInstance, type AnvilOptions } from './anvil.ts';
import { toViemChain } from '../../chain/chains.ts';
import { deployTributary, type Deployment } from './deploy.ts';
import { anvilDevAccounts, type DevAccount } from '../../chain/devAccounts.ts';

export type DevWallet = WalletClient<Transport, Chain, Account>;

export interface LocalStack {
  anvil: AnvilInstance;
  chain: Chain;
  publicClient: PublicClient;
  /** anvil's dev accounts (index 0 deploys, is the treasury and posts roots unless told otherwise). */
  accounts: DevAccount[];
  /** One wallet client per dev account, same order. */
  wallets: DevWallet[];
  deployment: Deployment;
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  anvil?: AnvilOptions;
  /** How many dev accounts get clients and minted tokens (default 10). */
  accounts?: number;
  /** Test tokens minted to each dev account (default 1,000,000 tOPEN). */
  mintEach?: bigint;
  /** Treasury (default: dev account 0). */
  treasury?: Address;
  /** Client polling interval in ms (default 50: anvil mines at once). */
  pollingInterval?: number;
}

export const TOKEN_UNIT = 10n ** 18n;

/** Starts anvil, deploys Tributary with dev account 0 and mints to the dev accounts. */
export async function startLocalStack(opts: LocalStackOptions = {}): Promise<LocalStack> {
  const anvil = await startAnvil(opts.anvil);
  try {
    const chain = toViemChain({
      chainId: anvil.chainId,
      name: 'Local chain (anvil)',
      rpcUrl: anvil.rpcUrl,
      token: '0x0000000000000000000000000000000000000001',
      registry: '0x0000000000000000000000000000000000000001',
      settlement: '0x0000000000000000000000000000000000000001',
    });
    const pollingInterval = opts.pollingInterval ?? 50;
    const transport = http(anvil.rpcUrl, { batch: false, retryCount: 0 });
    const publicClient = createPublicClient({ chain, transport, pollingInterval, cacheTime: 0 }) as PublicClient;
    const accounts = anvilDevAccounts(opts.accounts ?? 10);
    const wallets = accounts.map((a) => createWalletClient({ chain, transport, account: privateKeyToAccount(a.privateKey), pollingInterval }));
    const deployer = wallets[0]!;
    const mintEach = opts.mintEach ?? 1_000_000n * TOKEN_UNIT;
    const deployment = await deployTributary(deployer, publicClient, {
      treasury: opts.treasury ?? accounts[0]!.address,
      mintTo: mintEach > 0n ? accounts.map((a) => ({ address: a.address, amount: mintEach })) : [],
    });
    return { anvil, chain, publicClient, accounts, wallets, deployment, stop: () => anvil.stop() };
  } catch (e) {
    await anvil.stop();
    throw e;
  }
}
