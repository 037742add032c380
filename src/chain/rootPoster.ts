/**
 * Posts epoch roots: rebuilds the tree of cumulative pooled credits from `SplitPooled` logs through the
 * latest block and, when there is anything new, calls `postEpochRoot(epoch = that block, root, total)`.
 * Needs a wallet holding ROOT_POSTER_ROLE. Used by the devnet (automatically) and by any operator.
 */
import type { Account, Chain, PublicClient, Transport, WalletClient } from 'viem';
import type { Address, Hex } from '../core/types.ts';
import { buildEpochTree, cumulativeFromCredits, fetchPooledCredits, readCurrentEpoch, type EpochTree } from './epochs.ts';
import { settlementAbi } from './generated/Settlement.ts';

/** Gas limit of a `postEpochRoot` transaction (it uses ~50k). */
export const POST_ROOT_GAS = 150_000n;

export interface PostedEpoch {
  epoch: bigint;
  root: Hex;
  total: bigint;
  txHash: Hex;
  tree: EpochTree;
}

export interface PostRootOptions {
  settlement: Address;
  /** Deployment block of the Settlement contract. */
  fromBlock: bigint;
  maxBlockRange?: bigint;
}

/**
 * Posts the root through the latest block when a `SplitPooled` event happened after the current epoch.
 * Returns what it posted, or null when nothing was new. Waits for the transaction's receipt.
 */
export async function postLatestEpochRoot(
  publicClient: PublicClient,
  walletClient: WalletClient<Transport, Chain | undefined, Account>,
  opts: PostRootOptions,
): Promise<PostedEpoch | null> {
  const latest = await publicClient.getBlockNumber({ cacheTime: 0 });
  const current = await readCurrentEpoch(publicClient, opts.settlement);
  if (latest <= current.epoch) return null;
  const fresh = await fetchPooledCredits(publicClient, { ...opts, fromBlock: current.epoch + 1n > opts.fromBlock ? current.epoch + 1n : opts.fromBlock, toBlock: latest });
  if (!fresh.some((c) => c.amount > 0n)) return null;
  const all = await fetchPooledCredits(publicClient, { ...opts, toBlock: latest });
  const tree = buildEpochTree(cumulativeFromCredits(all));
  const txHash = await walletClient.writeContract({
    address: opts.settlement,
    abi: settlementAbi,
    functionName: 'postEpochRoot',
    args: [latest, tree.root, tree.total],
    // A fixed limit: estimating would run in the context of block `latest`, where epoch `latest` is not
    // yet final (EpochInFuture); the transaction itself runs in a later block.
    gas: POST_ROOT_GAS,
    account: walletClient.account,
    chain: walletClient.chain ?? null,
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash: txHash });
  if (receipt.status !== 'success') throw new Error(`postEpochRoot reverted in ${txHash}`);
  return { epoch: latest, root: tree.root, total: tree.total, txHash, tree };
}

export interface RootPoster {
  /** Resolves once the loop has stopped (after an in-flight post finishes). */
  stop(): Promise<void>;
  /** Posts now if anything is new (also what the loop does every `intervalMs`). */
  tick(): Promise<PostedEpoch | null>;
}

/**
 * Polls every `intervalMs` (default 1000) and posts a root whenever new pooled credits appeared.
 * Errors are passed to `onError` (default: console.error) and the loop goes on.
 */
export function startRootPoster(
  publicClient: PublicClient,
  walletClient: WalletClient<Transport, Chain | undefined, Account>,
  opts: PostRootOptions & { intervalMs?: number; onPost?: (p: PostedEpoch) => void; onError?: (e: unknown) => void },
): RootPoster {
  let running: Promise<PostedEpoch | null> | null = null;
  let stopped = false;
  const tick = async () => {
    while (running) await running.catch(() => null);
    if (stopped) return null;
    running = postLatestEpochRoot(publicClient, walletClient, opts);
    try {
      const posted = await running;
      if (posted) opts.onPost?.(posted);
      return posted;
    } finally {
      running = null;
    }
  };
  const timer = setInterval(() => {
    tick().catch((e: unknown) => (opts.onError ?? console.error)(e));
  }, opts.intervalMs ?? 1000);
  return {
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      while (running) await running.catch(() => null);
    },
  };
}
