/**
 * Epoch Merkle roots of cumulative pooled earnings.
 *
 * Leaves are OpenZeppelin StandardMerkleTree `[address account, uint256 cumulativeAmount]`; the contract
 * verifies them with `MerkleProof` and pays `cumulativeAmount - claimed[account]`.
 *
 * Epoch convention (docs/SETTLEMENT.md): the root of epoch `E` covers every `SplitPooled` event of the
 * Settlement contract from its deployment block through block `E` inclusive; an account's leaf holds the
 * sum of its pooled amounts over those events; accounts whose sum is 0 are left out. So anyone can
 * rebuild the root of any posted epoch from the chain's logs and compare it with `currentRoot`.
 */
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { getAddress, type PublicClient } from 'viem';
import { TributaryError } from '../core/errors.ts';
import type { Address, Hex } from '../core/types.ts';
import { settlementAbi } from './generated/Settlement.ts';

export const EPOCH_LEAF_ENCODING = ['address', 'uint256'] as const;

export interface EpochEntry {
  account: Address;
  cumulativeAmount: bigint;
}

export interface EpochTree {
  root: Hex;
  /** Sum of every leaf: the `cumulativeTotal` to post. */
  total: bigint;
  /** Leaves in tree order (accounts checksummed). */
  entries: EpochEntry[];
  /** True when `account` has a leaf. */
  has(account: Address): boolean;
  /**
   * The account's leaf and its proof.
   * @throws TributaryError `chain/nothing-to-claim` when the account has no leaf.
   */
  proofFor(account: Address): { cumulativeAmount: bigint; proof: Hex[] };
}

type Leaf = [string, string];

/**
 * Builds the epoch tree of `cumulative` (account -> cumulative credit). Zero amounts are left out.
 *
 * @throws RangeError on a negative amount, an invalid address, the same account twice (in any case), or
 *   when no account has a positive amount (there is no tree to post).
 */
export function buildEpochTree(cumulative: ReadonlyMap<Address, bigint>): EpochTree {
  const byAccount = new Map<Address, bigint>();
  for (const [raw, amount] of cumulative) {
    let account: Address;
    try {
      account = getAddress(raw);
    } catch {
      throw new RangeError(`not an address: ${raw}`);
    }
    if (typeof amount !== 'bigint' || amount < 0n) throw new RangeError(`cumulative amount of ${account} must be a bigint ≥ 0 (got ${String(amount)})`);
    if (byAccount.has(account)) throw new RangeError(`account ${account} appears twice`);
    byAccount.set(account, amount);
  }
  const entries = [...byAccount]
    .filter(([, amount]) => amount > 0n)
    .map(([account, cumulativeAmount]) => ({ account, cumulativeAmount }))
    .sort((a, b) => (a.account.toLowerCase() < b.account.toLowerCase() ? -1 : 1));
  if (entries.length === 0) throw new RangeError('no account has a positive cumulative amount: there is no epoch root to build');

  const tree = StandardMerkleTree.of<Leaf>(
    entries.map((e) => [e.account, e.cumulativeAmount.toString()]),
    [...EPOCH_LEAF_ENCODING],
  );
  const index = new Map<string, number>();
  for (const [i, [account]] of tree.entries()) index.set(account.toLowerCase(), i);
  const total = entries.reduce((sum, e) => sum + e.cumulativeAmount, 0n);
  const amountOf = new Map(entries.map((e) => [e.account.toLowerCase(), e.cumulativeAmount]));

  return {
    root: tree.root.toLowerCase() as Hex,
    total,
    entries,
    has: (account) => index.has(account.toLowerCase()),
    proofFor(account) {
      const i = index.get(account.toLowerCase());
      if (i === undefined) {
        throw new TributaryError('chain/nothing-to-claim', `${account} has no pooled earnings in this epoch yet: wait for the next epoch root.`);
      }
      return { cumulativeAmount: amountOf.get(account.toLowerCase())!, proof: tree.getProof(i).map((h) => h.toLowerCase() as Hex) };
    },
  };
}

/** True when `proof` shows `[account, cumulativeAmount]` under `root`. Never throws. */
export function verifyEpochProof(root: Hex, account: Address, cumulativeAmount: bigint, proof: readonly Hex[]): boolean {
  try {
    return StandardMerkleTree.verify(root, [...EPOCH_LEAF_ENCODING], [account, cumulativeAmount.toString()], [...proof]);
  } catch {
    return false;
  }
}

/** One `SplitPooled` event. */
export interface PooledCredit {
  paymentId: Hex;
  recipient: Address;
  role: number;
  amount: bigint;
  blockNumber: bigint;
  logIndex: number;
}

/** Adds up pooled credits per recipient (checksummed addresses). */
export function cumulativeFromCredits(credits: Iterable<Pick<PooledCredit, 'recipient' | 'amount'>>): Map<Address, bigint> {
  const out = new Map<Address, bigint>();
  for (const c of credits) {
    const account = getAddress(c.recipient);
    out.set(account, (out.get(account) ?? 0n) + c.amount);
  }
  return out;
}

export interface LogRange {
  settlement: Address;
  /** The deployment block (or any block before the first settlement). */
  fromBlock: bigint;
  /** Inclusive. */
  toBlock: bigint;
  /** Largest block range per `eth_getLogs` call (public RPCs limit it); default 10,000. */
  maxBlockRange?: bigint;
}

/** Every `SplitPooled` event in `[fromBlock, toBlock]`, in chain order. */
export async function fetchPooledCredits(client: PublicClient, range: LogRange): Promise<PooledCredit[]> {
  const step = range.maxBlockRange ?? 10_000n;
  const out: PooledCredit[] = [];
  for (let from = range.fromBlock; from <= range.toBlock; from += step) {
    const to = from + step - 1n < range.toBlock ? from + step - 1n : range.toBlock;
    const logs = await client.getContractEvents({
      address: range.settlement,
      abi: settlementAbi,
      eventName: 'SplitPooled',
      fromBlock: from,
      toBlock: to,
      strict: true,
    });
    for (const log of logs) {
      out.push({
        paymentId: log.args.paymentId,
        recipient: log.args.recipient,
        role: log.args.role,
        amount: log.args.amount,
        blockNumber: log.blockNumber,
        logIndex: log.logIndex,
      });
    }
  }
  return out;
}

/** The latest posted epoch (`epoch` 0 and a zero root before the first post). */
export async function readCurrentEpoch(client: PublicClient, settlement: Address): Promise<{ epoch: bigint; root: Hex; cumulativeTotal: bigint }> {
  const [epoch, root, cumulativeTotal] = await Promise.all([
    client.readContract({ address: settlement, abi: settlementAbi, functionName: 'currentEpoch' }),
    client.readContract({ address: settlement, abi: settlementAbi, functionName: 'currentRoot' }),
    client.readContract({ address: settlement, abi: settlementAbi, functionName: 'currentRootTotal' }),
  ]);
  return { epoch, root, cumulativeTotal };
}

/** Rebuilds the tree of epoch `epoch` from the chain's logs (see the epoch convention above). */
export async function rebuildEpochTree(
  client: PublicClient,
  opts: { settlement: Address; fromBlock: bigint; epoch: bigint; maxBlockRange?: bigint },
): Promise<EpochTree> {
  const credits = await fetchPooledCredits(client, { ...opts, toBlock: opts.epoch });
  return buildEpochTree(cumulativeFromCredits(credits));
}

export interface ClaimPlan {
  epoch: bigint;
  account: Address;
  cumulativeAmount: bigint;
  proof: Hex[];
  alreadyClaimed: bigint;
  /** What `claim` would pay now. */
  claimable: bigint;
}

/**
 * Everything `claim(account, cumulativeAmount, proof)` needs for the current epoch, rebuilt from logs and
 * checked against the posted root.
 *
 * @throws TributaryError `chain/nothing-to-claim` (no root yet, or no credit for `account`) or
 *   `chain/root-mismatch` when the posted root is not the one the logs give (do not claim; report it).
 */
export async function planClaim(
  client: PublicClient,
  opts: { settlement: Address; fromBlock: bigint; account: Address; maxBlockRange?: bigint },
): Promise<ClaimPlan> {
  const current = await readCurrentEpoch(client, opts.settlement);
  if (current.epoch === 0n) throw new TributaryError('chain/nothing-to-claim', 'No earnings root has been posted yet: wait for the first epoch.');
  const tree = await rebuildEpochTree(client, { ...opts, epoch: current.epoch });
  if (tree.root !== current.root.toLowerCase()) {
    throw new TributaryError(
      'chain/root-mismatch',
      `The posted root of epoch ${current.epoch} (${current.root}) is not the root of the settlement logs (${tree.root}): do not claim against it, and report it to the root poster.`,
    );
  }
  const { cumulativeAmount, proof } = tree.proofFor(opts.account);
  const alreadyClaimed = await client.readContract({ address: opts.settlement, abi: settlementAbi, functionName: 'claimed', args: [opts.account] });
  return {
    epoch: current.epoch,
    account: getAddress(opts.account),
    cumulativeAmount,
    proof,
    alreadyClaimed,
    claimable: cumulativeAmount > alreadyClaimed ? cumulativeAmount - alreadyClaimed : 0n,
  };
}
