/**
 * A payment: one signature that settles many fees (answer fees, "Pay a Datanet" fees) of one payer.
 * Pure (no network, no DOM).
 *
 * The payer signs the recipients' totals (`splits`, the fees' splits added up per recipient and role)
 * and the Merkle root of the fees (`feesRoot`). Each fee is one leaf of an OpenZeppelin
 * StandardMerkleTree over `[bytes32 feeId, bytes32 subject, uint256 fee, bytes32 splitsHash]`:
 * - `feeId`: the fee's own id (random, unique in the ledger);
 * - `subject`: what the fee pays for — an answer's attribution record hash, or for "Pay a Datanet" the
 *   hash of `{datanetId, version}` (`datanetFeeSubject`);
 * - `splitsHash`: `keccak256(abi.encode((address recipient, uint8 role, uint256 amount)[]))` of the
 *   fee's own splits (sorted as `aggregateSplits` sorts them).
 * Anyone holding the fees (and the attribution records they name) recomputes each fee's split from its
 * record, checks its leaf, and checks that the payment's splits are exactly their sum
 * (`verifyPaymentFees`): the one signature commits to every answer's payout.
 */
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { encodeAbiParameters, keccak256 } from 'viem';
import { TributaryError } from './errors.ts';
import { aggregateSplits, type PaymentSplit } from './feeSplit.ts';
import type { Address, Hex } from './types.ts';

/** Payout modes as the contract numbers them (signed inside the payment). */
export const PAYOUT_MODE_ID = { direct: 0, pooled: 1 } as const;
export type PayoutModeName = keyof typeof PAYOUT_MODE_ID;

/** The payment as the payer signs it and the Settlement contract checks it. */
export interface Payment {
  payer: Address;
  nonce: Hex;
  /** Sum of the fees = sum of the splits. */
  total: bigint;
  deadline: bigint;
  payoutMode: 0 | 1;
  feesRoot: Hex;
  feeCount: number;
  splits: PaymentSplit[];
}

/** A fee as a payment commits to it. */
export interface FeeForPayment {
  id: Hex;
  subject: Hex;
  fee: bigint;
  splits: ReadonlyArray<PaymentSplit>;
}

export const FEE_LEAF_ENCODING = ['bytes32', 'bytes32', 'uint256', 'bytes32'] as const;
type FeeLeaf = [Hex, Hex, string, Hex];

const SPLITS_ABI = [
  {
    type: 'tuple[]',
    components: [
      { name: 'recipient', type: 'address' },
      { name: 'role', type: 'uint8' },
      { name: 'amount', type: 'uint256' },
    ],
  },
] as const;

/** `keccak256(abi.encode(Split[]))` of a fee's splits, in `aggregateSplits` order. */
export function splitsHash(splits: ReadonlyArray<PaymentSplit>): Hex {
  const sorted = aggregateSplits(splits);
  return keccak256(encodeAbiParameters(SPLITS_ABI, [sorted.map((s) => ({ recipient: s.recipient, role: s.role, amount: s.amount }))]));
}

/** The subject of a "Pay a Datanet" fee: keccak256 of `pay-datanet|<datanetId>|<version>` (its own light module). */
export { datanetFeeSubject } from './datanetFeeSubject.ts';

const HASH_RE = /^0x[0-9a-fA-F]{64}$/;

function leafOf(f: FeeForPayment): FeeLeaf {
  if (!HASH_RE.test(f.id)) throw new TributaryError('fee/invalid', `Fee id must be 32 bytes of hex (got ${f.id}).`);
  if (!HASH_RE.test(f.subject)) throw new TributaryError('fee/invalid', `Fee subject must be 32 bytes of hex (got ${f.subject}).`, f.id);
  const sum = f.splits.reduce((s, x) => s + x.amount, 0n);
  if (f.fee <= 0n || sum !== f.fee) throw new TributaryError('fee/invalid', `Fee ${f.fee} must be positive and equal its splits' sum ${sum}.`, f.id);
  return [f.id.toLowerCase() as Hex, f.subject.toLowerCase() as Hex, f.fee.toString(), splitsHash(f.splits)];
}

function treeOf(fees: ReadonlyArray<FeeForPayment>): StandardMerkleTree<FeeLeaf> {
  if (fees.length === 0) throw new TributaryError('ledger/invalid', 'Nothing to settle: a payment needs at least one fee.');
  const seen = new Set<string>();
  const leaves = fees.map((f) => {
    const leaf = leafOf(f);
    if (seen.has(leaf[0])) throw new TributaryError('fee/invalid', 'The same fee appears twice in one payment.', f.id);
    seen.add(leaf[0]);
    return leaf;
  });
  leaves.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return StandardMerkleTree.of(leaves, [...FEE_LEAF_ENCODING]);
}

/** The Merkle root a payment of these fees signs. */
export function feesRoot(fees: ReadonlyArray<FeeForPayment>): Hex {
  return treeOf(fees).root as Hex;
}

/** Proof that `feeId` is one of the payment's fees (for a verifier holding only some of them). */
export function feeProof(fees: ReadonlyArray<FeeForPayment>, feeId: Hex): Hex[] {
  const t = treeOf(fees);
  for (const [i, v] of t.entries()) if (v[0] === feeId.toLowerCase()) return t.getProof(i) as Hex[];
  throw new TributaryError('fee/invalid', 'This fee is not part of the payment.', feeId);
}

/** Checks one fee against a payment's root with its proof. */
export function verifyFeeProof(root: Hex, fee: FeeForPayment, proof: Hex[]): boolean {
  try {
    return StandardMerkleTree.verify(root, [...FEE_LEAF_ENCODING], leafOf(fee), proof);
  } catch {
    return false;
  }
}

export interface BuildPaymentInput {
  payer: Address;
  nonce: Hex;
  deadline: bigint;
  payoutMode: PayoutModeName;
  fees: ReadonlyArray<FeeForPayment>;
}

/** One payment for all `fees`: their total, their splits added up per recipient and role, their root. */
export function buildPayment(input: BuildPaymentInput): Payment {
  const root = feesRoot(input.fees);
  const splits = aggregateSplits(input.fees.flatMap((f) => f.splits));
  return {
    payer: input.payer,
    nonce: input.nonce,
    total: input.fees.reduce((s, f) => s + f.fee, 0n),
    deadline: input.deadline,
    payoutMode: PAYOUT_MODE_ID[input.payoutMode],
    feesRoot: root,
    feeCount: input.fees.length,
    splits,
  };
}

/**
 * What a verifier holding the fees checks: the root, the count, the total and every recipient's amount.
 * Returns the problems found (empty when the payment pays exactly what its fees say).
 */
export function verifyPaymentFees(payment: Pick<Payment, 'total' | 'feesRoot' | 'feeCount' | 'splits'>, fees: ReadonlyArray<FeeForPayment>): string[] {
  const problems: string[] = [];
  let root: Hex;
  try {
    root = feesRoot(fees);
  } catch (e) {
    return [(e as Error).message];
  }
  if (root.toLowerCase() !== payment.feesRoot.toLowerCase()) problems.push(`fees root ${root} is not the signed ${payment.feesRoot}`);
  if (fees.length !== payment.feeCount) problems.push(`${fees.length} fees, the payment says ${payment.feeCount}`);
  const total = fees.reduce((s, f) => s + f.fee, 0n);
  if (total !== payment.total) problems.push(`fees add up to ${total}, the payment's total is ${payment.total}`);
  const want = aggregateSplits(fees.flatMap((f) => f.splits));
  const got = aggregateSplits(payment.splits);
  const key = (s: PaymentSplit) => `${s.role}:${s.recipient.toLowerCase()}:${s.amount}`;
  const a = want.map(key).join('|');
  const b = got.map(key).join('|');
  if (a !== b) problems.push(`the payment's splits are not the sum of its fees' splits`);
  return problems;
}
