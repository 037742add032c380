/**
 * Payments as the payer signs them (EIP-712) and the `Settlement` contract checks them. A payment
 * settles many fees at once (core/payment builds it: their total, their splits added up, the Merkle root
 * of the fees); its id is its EIP-712 digest, so it is derived from the signed content.
 *
 * Domain: `{ name: 'Tributary Settlement', version: '2', chainId, verifyingContract }` — a signature is
 * valid on one chain and one deployment only. Types (a struct array so wallets show every split):
 * ```
 * Split(address recipient,uint8 role,uint256 amount)
 * Payment(address payer,bytes32 nonce,uint256 total,uint64 deadline,uint8 payoutMode,bytes32 feesRoot,uint32 feeCount,Split[] splits)
 * ```
 * Pure: no DOM, no network.
 */
import { hashTypedData, isAddress, type TypedDataDomain } from 'viem';
import { TributaryError } from '../core/errors.ts';
import { SPLIT_ROLE, SPLIT_ROLE_NAMES, type SplitRoleId } from '../core/feeSplit.ts';
import type { Payment } from '../core/payment.ts';
import type { Address, Hex } from '../core/types.ts';

/** 0 contributor, 1 Datanet owner, 2 adapter owner, 3 model owner, 4 treasury (see core/feeSplit). */
export type SplitRole = SplitRoleId;
export { SPLIT_ROLE, SPLIT_ROLE_NAMES };

export type PaymentInput = Payment;

export const SETTLEMENT_DOMAIN_NAME = 'Tributary Settlement';
export const SETTLEMENT_DOMAIN_VERSION = '2';

export const PAYMENT_TYPES = {
  Split: [
    { name: 'recipient', type: 'address' },
    { name: 'role', type: 'uint8' },
    { name: 'amount', type: 'uint256' },
  ],
  Payment: [
    { name: 'payer', type: 'address' },
    { name: 'nonce', type: 'bytes32' },
    { name: 'total', type: 'uint256' },
    { name: 'deadline', type: 'uint64' },
    { name: 'payoutMode', type: 'uint8' },
    { name: 'feesRoot', type: 'bytes32' },
    { name: 'feeCount', type: 'uint32' },
    { name: 'splits', type: 'Split[]' },
  ],
} as const;

export interface SettlementDomain {
  name: typeof SETTLEMENT_DOMAIN_NAME;
  version: typeof SETTLEMENT_DOMAIN_VERSION;
  chainId: number;
  verifyingContract: Address;
}

/** The EIP-712 domain of the Settlement contract at `verifyingContract` on `chainId`. */
export function settlementDomain(chainId: number, verifyingContract: Address): SettlementDomain {
  if (!Number.isSafeInteger(chainId) || chainId <= 0) {
    throw new TributaryError('chain/config', `Chain id must be a positive whole number (got ${String(chainId)}).`);
  }
  if (!isAddress(verifyingContract, { strict: false })) {
    throw new TributaryError('chain/config', `Settlement contract address is not an address: ${String(verifyingContract)}.`);
  }
  return { name: SETTLEMENT_DOMAIN_NAME, version: SETTLEMENT_DOMAIN_VERSION, chainId, verifyingContract };
}

/**
 * The typed data a wallet signs for `payment` (`walletClient.signTypedData({ account, ...data })`).
 *
 * @example
 * const data = paymentTypedData(payment, settlementDomain(31337, deployment.settlement));
 * const signature = await walletClient.signTypedData({ account: payment.payer, ...data });
 */
export function paymentTypedData(payment: PaymentInput, domain: SettlementDomain) {
  return {
    domain: domain satisfies TypedDataDomain,
    types: PAYMENT_TYPES,
    primaryType: 'Payment',
    message: toContractPayment(payment),
  } as const;
}

/** A payment's id: its EIP-712 digest (equals `Settlement.paymentId(payment)` on chain). */
export function paymentId(payment: PaymentInput, domain: SettlementDomain): Hex {
  return hashTypedData(paymentTypedData(payment, domain));
}

/** The payment as the contract's ABI takes it (a plain copy; `role` and `payoutMode` as numbers). */
export function toContractPayment(payment: PaymentInput) {
  return {
    payer: payment.payer,
    nonce: payment.nonce,
    total: payment.total,
    deadline: payment.deadline,
    payoutMode: payment.payoutMode,
    feesRoot: payment.feesRoot,
    feeCount: payment.feeCount,
    splits: payment.splits.map((s) => ({ recipient: s.recipient, role: s.role, amount: s.amount })),
  };
}

const BYTES32_RE = /^0x[0-9a-fA-F]{64}$/;
const MAX_UINT256 = (1n << 256n) - 1n;
const MAX_UINT64 = (1n << 64n) - 1n;
const MAX_UINT32 = 2 ** 32 - 1;
const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';
const ZERO_HASH = `0x${'00'.repeat(32)}`;

function invalid(message: string): never {
  throw new TributaryError('chain/payment-invalid', message);
}

export interface CheckPaymentOptions {
  /** When given, a treasury split must pay this address (as the contract requires). */
  treasury?: Address;
  /** Unix seconds; when given, an expired payment is refused. */
  now?: bigint;
}

/**
 * Checks a payment as the contract will: payer address, 32-byte nonce and fees root (non-zero), at
 * least one fee, total > 0, deadline within uint64, payout mode 0 or 1, every split with a non-zero
 * recipient, a known role and an amount within uint256 (0 allowed), a treasury split paying
 * `opts.treasury` (when given), and splits adding up to exactly the total. Returns the payment.
 *
 * @throws TributaryError `chain/payment-invalid` naming the field and the fix, or `chain/expired`.
 */
export function checkPayment(payment: PaymentInput, opts: CheckPaymentOptions = {}): PaymentInput {
  if (typeof payment !== 'object' || payment === null) invalid('Payment is missing.');
  if (typeof payment.payer !== 'string' || !isAddress(payment.payer, { strict: false }) || payment.payer === ZERO_ADDRESS) {
    invalid(`Payer is not a usable address: ${String(payment.payer)}.`);
  }
  if (typeof payment.nonce !== 'string' || !BYTES32_RE.test(payment.nonce)) invalid(`Nonce must be 32 bytes of hex (got ${String(payment.nonce)}).`);
  if (typeof payment.feesRoot !== 'string' || !BYTES32_RE.test(payment.feesRoot) || payment.feesRoot === ZERO_HASH) {
    invalid(`Fees root must be a non-zero 32-byte hash (got ${String(payment.feesRoot)}).`);
  }
  if (!Number.isInteger(payment.feeCount) || payment.feeCount < 1 || payment.feeCount > MAX_UINT32) invalid(`A payment settles 1…${MAX_UINT32} fees (got ${String(payment.feeCount)}).`);
  if (typeof payment.total !== 'bigint' || payment.total <= 0n || payment.total > MAX_UINT256) {
    invalid(`Total must be a positive whole number of token units (got ${String(payment.total)}).`);
  }
  if (typeof payment.deadline !== 'bigint' || payment.deadline < 0n || payment.deadline > MAX_UINT64) {
    invalid(`Deadline must be Unix seconds within uint64 (got ${String(payment.deadline)}).`);
  }
  if (payment.payoutMode !== 0 && payment.payoutMode !== 1) invalid(`Payout mode must be 0 (direct) or 1 (pooled); got ${String(payment.payoutMode)}.`);
  if (!Array.isArray(payment.splits) || payment.splits.length === 0) invalid('A payment needs at least one split.');
  let sum = 0n;
  payment.splits.forEach((s, i) => {
    if (typeof s.recipient !== 'string' || !isAddress(s.recipient, { strict: false }) || s.recipient.toLowerCase() === ZERO_ADDRESS) {
      invalid(`Split ${i} has no usable recipient (${String(s.recipient)}): every split must pay a real address.`);
    }
    if (!Number.isInteger(s.role) || s.role < 0 || s.role > SPLIT_ROLE.treasury) {
      invalid(`Split ${i} has an unknown role ${String(s.role)} (0 contributor … 4 treasury).`);
    }
    if (typeof s.amount !== 'bigint' || s.amount < 0n || s.amount > MAX_UINT256) {
      invalid(`Split ${i} amount must be a whole number of token units ≥ 0 (got ${String(s.amount)}).`);
    }
    if (opts.treasury && s.role === SPLIT_ROLE.treasury && s.recipient.toLowerCase() !== opts.treasury.toLowerCase()) {
      invalid(`Split ${i} is the treasury's but pays ${s.recipient}, not the treasury ${opts.treasury}.`);
    }
    sum += s.amount;
  });
  if (sum !== payment.total) {
    invalid(
      `Splits add up to ${sum} but the total is ${payment.total} (${sum > payment.total ? 'over' : 'under'} by ${sum > payment.total ? sum - payment.total : payment.total - sum}): rebuild the payment so they match exactly.`,
    );
  }
  if (opts.now !== undefined && opts.now > payment.deadline) {
    throw new TributaryError('chain/expired', `This payment expired at ${payment.deadline} (Unix seconds); settle its fees again in a new payment.`);
  }
  return payment;
}

/** Sum of the totals of a batch (what the payers' allowances or permits must cover). */
export function batchTotal(payments: ReadonlyArray<Pick<PaymentInput, 'total'>>): bigint {
  return payments.reduce((sum, p) => sum + p.total, 0n);
}
