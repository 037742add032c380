import fc from 'fast-check';
import { recoverTypedDataAddress, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { buildDatanetFee } from '../core/feeSplit.ts';
import { buildPayment, datanetFeeSubject } from '../core/payment.ts';
import type { Address } from '../core/types.ts';
import { batchTotal, checkPayment, paymentId, paymentTypedData, PAYMENT_TYPES, settlementDomain, type PaymentInput } from './payment.ts';

const payerKey = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d' as Hex;
const payer = privateKeyToAccount(payerKey).address;
const alice = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as Address;
const bob = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC' as Address;
const treasury = '0x000000000000000000000000000000000000dEaD' as Address;
const domain = settlementDomain(31337, '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0');

const base: PaymentInput = {
  payer,
  nonce: `0x${'ab'.repeat(32)}`,
  total: 1000n,
  deadline: 2_000_000_000n,
  payoutMode: 0,
  feesRoot: `0x${'cd'.repeat(32)}`,
  feeCount: 3,
  splits: [
    { recipient: alice, role: 0, amount: 790n },
    { recipient: bob, role: 1, amount: 200n },
    { recipient: treasury, role: 4, amount: 10n },
  ],
};

describe('payment typed data', () => {
  it('has the contract types and domain', () => {
    expect(PAYMENT_TYPES.Payment.map((f) => `${f.type} ${f.name}`).join(',')).toBe(
      'address payer,bytes32 nonce,uint256 total,uint64 deadline,uint8 payoutMode,bytes32 feesRoot,uint32 feeCount,Split[] splits',
    );
    expect(PAYMENT_TYPES.Split.map((f) => `${f.type} ${f.name}`).join(',')).toBe('address recipient,uint8 role,uint256 amount');
    expect(domain).toEqual({ name: 'Tributary Settlement', version: '2', chainId: 31337, verifyingContract: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0' });
    expect(() => settlementDomain(0, treasury)).toThrow(/Chain id/);
    expect(() => settlementDomain(1, '0x12' as Address)).toThrow(/not an address/);
  });

  it('signs and recovers to the payer; any change of field (payout mode included), chain or contract changes the id', async () => {
    const account = privateKeyToAccount(payerKey);
    const data = paymentTypedData(base, domain);
    const signature = await account.signTypedData(data);
    expect(await recoverTypedDataAddress({ ...data, signature })).toBe(payer);
    const h = paymentId(base, domain);
    const variants: [PaymentInput, typeof domain][] = [
      [{ ...base, total: 1001n }, domain],
      [{ ...base, deadline: base.deadline + 1n }, domain],
      [{ ...base, nonce: `0x${'ac'.repeat(32)}` }, domain],
      [{ ...base, payoutMode: 1 }, domain],
      [{ ...base, feesRoot: `0x${'ce'.repeat(32)}` }, domain],
      [{ ...base, feeCount: 4 }, domain],
      [{ ...base, payer: bob }, domain],
      [{ ...base, splits: [...base.splits].reverse() }, domain],
      [{ ...base, splits: base.splits.map((s, i) => (i === 0 ? { ...s, role: 2 as const } : s)) }, domain],
      [base, settlementDomain(161201, domain.verifyingContract)],
      [base, settlementDomain(31337, treasury)],
    ];
    const hashes = new Set([h, ...variants.map(([r, d]) => paymentId(r, d))]);
    expect(hashes.size).toBe(variants.length + 1);
  });
});

describe('checkPayment', () => {
  it('accepts a good payment, zero splits included, and one built from a "Pay a Datanet" fee', () => {
    expect(checkPayment(base, { treasury, now: 1n })).toBe(base);
    expect(() => checkPayment({ ...base, splits: [...base.splits, { recipient: bob, role: 0, amount: 0n }] })).not.toThrow();
    const fee = buildDatanetFee({
      fee: 12_345n,
      payer,
      datanet: { id: 'dn-1', owner: bob, rewardPolicy: { contributorsBps: 8000, ownerBps: 2000 } },
      version: 1,
      contributions: [{ id: `0x${'01'.repeat(32)}`, contributor: alice }],
      chunkCounts: { [`0x${'01'.repeat(32)}`]: 3 },
      treasury,
      deadline: 2_000_000_000n,
      feeId: `0x${'02'.repeat(32)}`,
    });
    const payment = buildPayment({
      payer,
      nonce: `0x${'03'.repeat(32)}`,
      deadline: fee.deadline,
      payoutMode: 'pooled',
      fees: [{ id: fee.feeId, subject: datanetFeeSubject('dn-1', 1), fee: fee.fee, splits: fee.splits }],
    });
    expect(() => checkPayment(payment, { treasury })).not.toThrow();
  });

  it.each<[string, Partial<PaymentInput>, RegExp]>([
    ['bad nonce', { nonce: '0x1234' }, /Nonce/],
    ['bad payer', { payer: '0x1234' as Address }, /Payer/],
    ['zero payer', { payer: '0x0000000000000000000000000000000000000000' }, /Payer/],
    ['zero root', { feesRoot: `0x${'00'.repeat(32)}` }, /Fees root/],
    ['no fees', { feeCount: 0 }, /settles 1/],
    ['payout mode 2', { payoutMode: 2 as 0 }, /Payout mode/],
    ['total 0', { total: 0n, splits: [{ recipient: alice, role: 0, amount: 0n }] }, /positive/],
    ['negative total', { total: -1n }, /positive/],
    ['deadline too big', { deadline: 1n << 64n }, /uint64/],
    ['no splits', { splits: [] }, /at least one split/],
    ['sum over', { total: 999n }, /over by 1/],
    ['sum under', { total: 1001n }, /under by 1/],
    ['zero recipient', { splits: [{ recipient: '0x0000000000000000000000000000000000000000', role: 0, amount: 1000n }] }, /recipient/],
    ['bad role', { splits: [{ recipient: alice, role: 5 as 0, amount: 1000n }] }, /unknown role/],
    ['negative amount', { splits: [{ recipient: alice, role: 0, amount: -1n }, { recipient: bob, role: 0, amount: 1001n }] }, /≥ 0/],
  ])('refuses %s', (_name, change, message) => {
    expect(() => checkPayment({ ...base, ...change })).toThrow(message);
    expect(() => checkPayment({ ...base, ...change })).toThrow(expect.objectContaining({ name: 'TributaryError', code: 'chain/payment-invalid' }));
  });

  it('checks the treasury and expiry when told', () => {
    expect(() => checkPayment(base, { treasury: alice })).toThrow(/not the treasury/);
    expect(() => checkPayment(base, { now: base.deadline + 1n })).toThrow(expect.objectContaining({ code: 'chain/expired' }));
  });

  it('property: splits built to sum to the total always pass; off by any amount always fail', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 10n ** 30n }), { minLength: 1, maxLength: 20 }), fc.bigInt({ min: 1n, max: 10n ** 6n }), (amounts, delta) => {
        const splits = amounts.map((amount, i) => ({ recipient: i % 2 ? alice : bob, role: 0 as const, amount }));
        const total = batchTotal(splits.map((s) => ({ total: s.amount })));
        if (total === 0n) return;
        expect(() => checkPayment({ ...base, total, splits })).not.toThrow();
        expect(() => checkPayment({ ...base, total: total + delta, splits })).toThrow(/under by/);
        if (total > delta) expect(() => checkPayment({ ...base, total: total - delta, splits })).toThrow(/over by/);
      }),
      { numRuns: 300 },
    );
  });
});
