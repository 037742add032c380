/**
 * Deploys Tributary's contracts with viem: the test token (unless an existing token is given),
 * DatanetRegistry and Settlement; optionally mints test tokens.
 *
 * @example
 * const deployment = await deployTributary(walletClient, publicClient, { treasury: walletClient.account.address,
 *   mintTo: [{ address: alice, amount: 1_000_000n * 10n ** 18n }] });
 */
import { getAddress, type Account, type Chain, type Hash, type PublicClient, type Transport, type WalletClient } from 'viem';
import type { Address } from '../../core/types.ts';
import { datanetRegistryAbi, datanetRegistryBytecode } from '../../chain/generated/DatanetRegistry.ts';
import { settlementAbi, settlementBytecode } from '../../chain/generated/Settlement.ts';
import { testTokenAbi, testTokenBytecode } from '../../chain/generated/TestToken.ts';

export interface Deployment {
  chainId: number;
  token: Address;
  registry: Address;
  settlement: Address;
  /** Block of the first deployment transaction: scan logs from here. */
  deployedAtBlock: bigint;
  /** The Settlement's treasury (TREASURY splits must pay it). */
  treasury: Address;
}

export interface DeployOptions {
  treasury: Address;
  /** DEFAULT_ADMIN_ROLE holder (grants roles, sets the treasury); defaults to the deployer. */
  admin?: Address;
  /** ROOT_POSTER_ROLE holder (may be another key than the admin); defaults to the admin. */
  rootPoster?: Address;
  /** Use this ERC-20 (e.g. OPEN on a public chain) instead of deploying the test token. */
  token?: Address;
  /** Test tokens to mint (only when the test token is deployed here). */
  mintTo?: { address: Address; amount: bigint }[];
}

type DeployWallet = WalletClient<Transport, Chain | undefined, Account>;

async function mined(publicClient: PublicClient, hash: Hash, what: string) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`${what} reverted (${hash})`);
  return receipt;
}

/** Deploys the contracts one transaction at a time and returns their addresses. */
export async function deployTributary(walletClient: DeployWallet, publicClient: PublicClient, opts: DeployOptions): Promise<Deployment> {
  const account = walletClient.account;
  const chain = walletClient.chain ?? null;
  const chainId = await publicClient.getChainId();
  if (opts.token && opts.mintTo?.length) throw new Error('mintTo needs the test token: leave `token` out to deploy it');

  let token = opts.token;
  let firstBlock: bigint | undefined;
  if (!token) {
    const hash = await walletClient.deployContract({ abi: testTokenAbi, bytecode: testTokenBytecode, account, chain });
    const receipt = await mined(publicClient, hash, 'TestToken deployment');
    token = getAddress(receipt.contractAddress!);
    firstBlock = receipt.blockNumber;
  }

  const registryReceipt = await mined(
    publicClient,
    await walletClient.deployContract({ abi: datanetRegistryAbi, bytecode: datanetRegistryBytecode, account, chain }),
    'DatanetRegistry deployment',
  );
  firstBlock ??= registryReceipt.blockNumber;

  const admin = opts.admin ?? account.address;
  const settlementReceipt = await mined(
    publicClient,
    await walletClient.deployContract({
      abi: settlementAbi,
      bytecode: settlementBytecode,
      args: [token, opts.treasury, admin, opts.rootPoster ?? admin],
      account,
      chain,
    }),
    'Settlement deployment',
  );
  const settlement = getAddress(settlementReceipt.contractAddress!);

  for (const { address, amount } of opts.mintTo ?? []) {
    await mined(
      publicClient,
      await walletClient.writeContract({ address: token, abi: testTokenAbi, functionName: 'mint', args: [address, amount], account, chain }),
      `mint to ${address}`,
    );
  }

  return {
    chainId,
    token: getAddress(token),
    registry: getAddress(registryReceipt.contractAddress!),
    settlement,
    deployedAtBlock: firstBlock,
    treasury: getAddress(opts.treasury),
  };
}
