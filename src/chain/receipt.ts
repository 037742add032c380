/**
 * Settlement receipts as the payer signs them (EIP-712) and the `Settlement` contract checks them.
 *
 * Domain: `{ name: 'Tributary Settlement', version: '1', chainId, verifyingContract }` — a signature is
 * valid on one chain and one deployment only. Types (a struct array so wallets show every split):
 * ```
 * Split(address recipient,uint8 role,uint256 amount)
 * Receipt(bytes32 receiptId,address payer,uint256 fee,uint64 deadline,Split[] splits)
 * ```
 * Pure: no DOM, no network.
 */
import { hashTypedData, isAddress, type TypedDataDomain } from 'viem';
import { TributaryError } from '../core/errors.ts';
import { SPLIT_ROLE, SPLIT_ROLE_NAMES, type SplitRoleId } from '../core/receiptSplit.ts';
import type { Address, Hex } from '../core/types.ts';

/** 0 contributor, 1 Datanet owner, 2 adapter owner, 3 model owner, 4 treasury (see core/receiptSplit). */
export type SplitRole = SplitRoleId;
export { SPLIT_ROLE, SPLIT_ROLE_NAMES };

export interface ReceiptSplitInput {
  recipient: Address;
  role: SplitRole;
  amount: bigint;
}

export interface ReceiptInput {
  /** bytes32, unique per receipt: the contract refuses an id it has settled before. */
  receiptId: Hex;
  payer: Address;
  /** In token base units; > 0. */
  fee: bigint;
  /** Unix seconds; the contract refuses the receipt once `block.timestamp > deadline`. */
  deadline: bigint;
  splits: ReceiptSplitInput[];
}

export const SETTLEMENT_DOMAIN_NAME = 'Tributary Settlement';
export const SETTLEMENT_DOMAIN_VERSION = '1';

export const RECEIPT_TYPES = {
  Split: [
    { name: 'recipient', type: 'address' },
    { name: 'role', type: 'uint8' },
    { name: 'amount', type: 'uint256' },
  ],
  Receipt: [
    { name: 'receiptId', type: 'bytes32' },
    { name: 'payer', type: 'address' },
    { name: 'fee', type: 'uint256' },
    { name: 'deadline', type: 'uint64' },
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
 * The typed data a wallet signs for `receipt` (`walletClient.signTypedData({ account, ...data })`).
 *
 * @example
 * const data = receiptTypedData(receipt, settlementDomain(31337, deployment.settlement));
 * const signature = await walletClient.signTypedData({ account: receipt.payer, ...data });
 */
export function receiptTypedData(receipt: ReceiptInput, domain: SettlementDomain) {
  return {
    domain: domain satisfies TypedDataDomain,
    types: RECEIPT_TYPES,
    primaryType: 'Receipt',
    message: {
      receiptId: receipt.receiptId,
      payer: receipt.payer,
      fee: receipt.fee,
      deadline: receipt.deadline,
      splits: receipt.splits.map((s) => ({ recipient: s.recipient, role: s.role, amount: s.amount })),
    },
  } as const;
}

/** The EIP-712 digest of `receipt` (equals `Settlement.hashReceipt(receipt)` on chain). */
export function hashReceipt(receipt: ReceiptInput, domain: SettlementDomain): Hex {
  return hashTypedData(receiptTypedData(receipt, domain));
}

/** The receipt as the contract's ABI takes it (a plain copy; `role` as a number). */
export function toContractReceipt(receipt: ReceiptInput) {
  return {
    receiptId: receipt.receiptId,
    payer: receipt.payer,
    fee: receipt.fee,
    deadline: receipt.deadline,
    splits: receipt.splits.map((s) => ({ recipient: s.recipient, role: s.role, amount: s.amount })),
  };
}

const BYTES32_RE = /^0x[0-9a-fA-F]{64}$/;
const MAX_UINT256 = (1n << 256n) - 1n;
const MAX_UINT64 = (1n << 64n) - 1n;
const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

function invalid(receipt: { receiptId?: unknown }, message: string): never {
  throw new TributaryError('chain/receipt-invalid', message, typeof receipt.receiptId === 'string' ? `receipt ${receipt.receiptId}` : undefined);
}

export interface CheckReceiptOptions {
  /** When given, a treasury split must pay this address (as the contract requires). */
  treasury?: Address;
  /** Unix seconds; when given, an expired receipt is refused. */
  now?: bigint;
}

/**
 * Checks a receipt as the contract will: 32-byte id, payer address, fee > 0, deadline within uint64,
 * every split with a non-zero recipient, a known role and an amount within uint256 (0 allowed), a
 * treasury split paying `opts.treasury` (when given), and splits adding up to exactly the fee.
 * Returns the receipt when it is fine.
 *
 * @throws TributaryError `chain/receipt-invalid` naming the field and the fix, or `chain/expired`.
 */
export function checkReceipt(receipt: ReceiptInput, opts: CheckReceiptOptions = {}): ReceiptInput {
  if (typeof receipt !== 'object' || receipt === null) invalid({}, 'Receipt is missing.');
  if (typeof receipt.receiptId !== 'string' || !BYTES32_RE.test(receipt.receiptId)) {
    invalid({}, `Receipt id must be 32 bytes of hex (0x + 64 hex digits); got ${String(receipt.receiptId)}.`);
  }
  if (typeof receipt.payer !== 'string' || !isAddress(receipt.payer, { strict: false }) || receipt.payer === ZERO_ADDRESS) {
    invalid(receipt, `Payer is not a usable address: ${String(receipt.payer)}.`);
  }
  if (typeof receipt.fee !== 'bigint' || receipt.fee <= 0n || receipt.fee > MAX_UINT256) {
    invalid(receipt, `Fee must be a positive whole number of token units (got ${String(receipt.fee)}).`);
  }
  if (typeof receipt.deadline !== 'bigint' || receipt.deadline < 0n || receipt.deadline > MAX_UINT64) {
    invalid(receipt, `Deadline must be Unix seconds within uint64 (got ${String(receipt.deadline)}).`);
  }
  if (!Array.isArray(receipt.splits) || receipt.splits.length === 0) invalid(receipt, 'A receipt needs at least one split.');
  let sum = 0n;
  receipt.splits.forEach((s, i) => {
    if (typeof s.recipient !== 'string' || !isAddress(s.recipient, { strict: false }) || s.recipient.toLowerCase() === ZERO_ADDRESS) {
      invalid(receipt, `Split ${i} has no usable recipient (${String(s.recipient)}): every split must pay a real address.`);
    }
    if (!Number.isInteger(s.role) || s.role < 0 || s.role > SPLIT_ROLE.treasury) {
      invalid(receipt, `Split ${i} has an unknown role ${String(s.role)} (0 contributor … 4 treasury).`);
    }
    if (typeof s.amount !== 'bigint' || s.amount < 0n || s.amount > MAX_UINT256) {
      invalid(receipt, `Split ${i} amount must be a whole number of token units ≥ 0 (got ${String(s.amount)}).`);
    }
    if (opts.treasury && s.role === SPLIT_ROLE.treasury && s.recipient.toLowerCase() !== opts.treasury.toLowerCase()) {
      invalid(receipt, `Split ${i} is the treasury's but pays ${s.recipient}, not the treasury ${opts.treasury}.`);
    }
    sum += s.amount;
  });
  if (sum !== receipt.fee) {
    invalid(
      receipt,
      `Splits add up to ${sum} but the fee is ${receipt.fee} (${sum > receipt.fee ? 'over' : 'under'} by ${sum > receipt.fee ? sum - receipt.fee : receipt.fee - sum}): rebuild the receipt so they match exactly.`,
    );
  }
  if (opts.now !== undefined && opts.now > receipt.deadline) {
    throw new TributaryError('chain/expired', `This receipt expired at ${receipt.deadline} (Unix seconds); create a new one to pay.`, `receipt ${receipt.receiptId}`);
  }
  return receipt;
}

/** Sum of the fees of a batch (what the payer's allowance or permit must cover). */
export function batchTotal(receipts: ReadonlyArray<Pick<ReceiptInput, 'fee'>>): bigint {
  return receipts.reduce((sum, r) => sum + r.fee, 0n);
}
