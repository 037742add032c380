import fc from 'fast-check';
import { recoverTypedDataAddress, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { buildReceipt } from '../core/receiptSplit.ts';
import type { Address } from '../core/types.ts';
import { batchTotal, checkReceipt, hashReceipt, receiptTypedData, RECEIPT_TYPES, settlementDomain, type ReceiptInput } from './receipt.ts';

const payerKey = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d' as Hex;
const payer = privateKeyToAccount(payerKey).address;
const alice = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as Address;
const bob = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC' as Address;
const treasury = '0x000000000000000000000000000000000000dEaD' as Address;
const domain = settlementDomain(31337, '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0');

const base: ReceiptInput = {
  receiptId: `0x${'ab'.repeat(32)}`,
  payer,
  fee: 1000n,
  deadline: 2_000_000_000n,
  splits: [
    { recipient: alice, role: 0, amount: 790n },
    { recipient: bob, role: 1, amount: 200n },
    { recipient: treasury, role: 4, amount: 10n },
  ],
};

describe('receipt typed data', () => {
  it('has the contract types and domain', () => {
    expect(RECEIPT_TYPES.Receipt.map((f) => `${f.type} ${f.name}`).join(',')).toBe('bytes32 receiptId,address payer,uint256 fee,uint64 deadline,Split[] splits');
    expect(RECEIPT_TYPES.Split.map((f) => `${f.type} ${f.name}`).join(',')).toBe('address recipient,uint8 role,uint256 amount');
    expect(domain).toEqual({ name: 'Tributary Settlement', version: '1', chainId: 31337, verifyingContract: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0' });
    expect(() => settlementDomain(0, treasury)).toThrow(/Chain id/);
    expect(() => settlementDomain(1, '0x12' as Address)).toThrow(/not an address/);
  });

  it('signs and recovers to the payer; any change of field, chain or contract changes the hash', async () => {
    const account = privateKeyToAccount(payerKey);
    const data = receiptTypedData(base, domain);
    const signature = await account.signTypedData(data);
    expect(await recoverTypedDataAddress({ ...data, signature })).toBe(payer);
    const h = hashReceipt(base, domain);
    const variants: [ReceiptInput, typeof domain][] = [
      [{ ...base, fee: 1001n }, domain],
      [{ ...base, deadline: base.deadline + 1n }, domain],
      [{ ...base, receiptId: `0x${'ac'.repeat(32)}` }, domain],
      [{ ...base, splits: [...base.splits].reverse() }, domain],
      [{ ...base, splits: base.splits.map((s, i) => (i === 0 ? { ...s, role: 2 as const } : s)) }, domain],
      [base, settlementDomain(161201, domain.verifyingContract)],
      [base, settlementDomain(31337, treasury)],
    ];
    const hashes = new Set([h, ...variants.map(([r, d]) => hashReceipt(r, d))]);
    expect(hashes.size).toBe(variants.length + 1);
  });
});

describe('checkReceipt', () => {
  it('accepts a good receipt, zero splits included, and a buildReceipt output', () => {
    expect(checkReceipt(base, { treasury, now: 1n })).toBe(base);
    expect(() => checkReceipt({ ...base, splits: [...base.splits, { recipient: bob, role: 0, amount: 0n }] })).not.toThrow();
    const built = buildReceipt({
      fee: 12_345n,
      payer,
      datanet: { id: 'dn-1', owner: bob, rewardPolicy: { contributorsBps: 8000, ownerBps: 2000 } },
      version: 1,
      contributions: [{ id: `0x${'01'.repeat(32)}`, contributor: alice }],
      chunkCounts: { [`0x${'01'.repeat(32)}`]: 3 },
      treasury,
      deadline: 2_000_000_000n,
      receiptId: `0x${'02'.repeat(32)}`,
    });
    expect(() => checkReceipt(built, { treasury })).not.toThrow();
  });

  it.each<[string, Partial<ReceiptInput>, RegExp]>([
    ['bad id', { receiptId: '0x1234' }, /32 bytes/],
    ['bad payer', { payer: '0x1234' as Address }, /Payer/],
    ['zero payer', { payer: '0x0000000000000000000000000000000000000000' }, /Payer/],
    ['fee 0', { fee: 0n, splits: [{ recipient: alice, role: 0, amount: 0n }] }, /positive/],
    ['negative fee', { fee: -1n }, /positive/],
    ['deadline too big', { deadline: 1n << 64n }, /uint64/],
    ['no splits', { splits: [] }, /at least one split/],
    ['sum over', { fee: 999n }, /over by 1/],
    ['sum under', { fee: 1001n }, /under by 1/],
    ['zero recipient', { splits: [{ recipient: '0x0000000000000000000000000000000000000000', role: 0, amount: 1000n }] }, /recipient/],
    ['bad role', { splits: [{ recipient: alice, role: 5 as 0, amount: 1000n }] }, /unknown role/],
    ['negative amount', { splits: [{ recipient: alice, role: 0, amount: -1n }, { recipient: bob, role: 0, amount: 1001n }] }, /≥ 0/],
  ])('refuses %s', (_name, change, message) => {
    expect(() => checkReceipt({ ...base, ...change })).toThrow(message);
    try {
      checkReceipt({ ...base, ...change });
    } catch (e) {
      expect(e).toMatchObject({ name: 'TributaryError', code: 'chain/receipt-invalid' });
    }
  });

  it('checks the treasury and expiry when told', () => {
    expect(() => checkReceipt(base, { treasury: alice })).toThrow(/not the treasury/);
    expect(() => checkReceipt(base, { now: base.deadline + 1n })).toThrow(expect.objectContaining({ code: 'chain/expired' }));
  });

  it('property: splits built to sum to the fee always pass; off by any amount always fail', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 10n ** 30n }), { minLength: 1, maxLength: 20 }), fc.bigInt({ min: 1n, max: 10n ** 6n }), (amounts, delta) => {
        const splits = amounts.map((amount, i) => ({ recipient: i % 2 ? alice : bob, role: 0 as const, amount }));
        const fee = batchTotal(splits.map((s) => ({ fee: s.amount })));
        if (fee === 0n) return;
        expect(() => checkReceipt({ ...base, fee, splits })).not.toThrow();
        expect(() => checkReceipt({ ...base, fee: fee + delta, splits })).toThrow(/under by/);
        if (fee > delta) expect(() => checkReceipt({ ...base, fee: fee - delta, splits })).toThrow(/over by/);
      }),
      { numRuns: 300 },
    );
  });
});
