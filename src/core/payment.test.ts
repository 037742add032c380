import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildPayment, datanetFeeSubject, feeProof, feesRoot, splitsHash, verifyFeeProof, verifyPaymentFees, type FeeForPayment } from './payment.ts';
import type { Address, Hex } from './types.ts';

const addr = (n: number): Address => `0x${n.toString(16).padStart(40, '0')}`;
const h = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;
const fee = (n: number, amounts: [number, bigint][]): FeeForPayment => ({
  id: h(n),
  subject: h(1000 + n),
  fee: amounts.reduce((s, [, a]) => s + a, 0n),
  splits: amounts.map(([who, amount]) => ({ recipient: addr(who), role: 0, amount })),
});

describe('payments over many fees', () => {
  const fees = [fee(1, [[1, 10n], [2, 5n]]), fee(2, [[1, 3n]]), fee(3, [[3, 7n], [2, 1n]])];

  it('one payment adds the splits per recipient and commits to every fee', () => {
    const p = buildPayment({ payer: addr(9), nonce: h(7), deadline: 100n, payoutMode: 'pooled', fees });
    expect(p).toMatchObject({ total: 26n, feeCount: 3, payoutMode: 1 });
    expect(p.splits).toEqual([
      { recipient: addr(1), role: 0, amount: 13n },
      { recipient: addr(2), role: 0, amount: 6n },
      { recipient: addr(3), role: 0, amount: 7n },
    ]);
    expect(verifyPaymentFees(p, fees)).toEqual([]);
    expect(verifyPaymentFees(p, [...fees].reverse())).toEqual([]); // order does not matter
    for (const f of fees) expect(verifyFeeProof(p.feesRoot, f, feeProof(fees, f.id))).toBe(true);
  });

  it('any changed, missing or extra fee is caught', () => {
    const p = buildPayment({ payer: addr(9), nonce: h(7), deadline: 100n, payoutMode: 'direct', fees });
    expect(verifyPaymentFees(p, fees.slice(1)).length).toBeGreaterThan(0);
    expect(verifyPaymentFees(p, [...fees, fee(4, [[1, 1n]])]).length).toBeGreaterThan(0);
    const moved = fees.map((f, i) => (i === 0 ? { ...f, splits: [{ ...f.splits[0]!, amount: 9n }, { ...f.splits[1]!, amount: 6n }] } : f));
    expect(verifyPaymentFees(p, moved)[0]).toMatch(/fees root/);
    expect(verifyFeeProof(p.feesRoot, moved[0]!, feeProof(fees, fees[0]!.id))).toBe(false);
    expect(verifyPaymentFees({ ...p, splits: [{ ...p.splits[0]!, amount: 12n }, ...p.splits.slice(1)] }, fees).join()).toMatch(/not the sum/);
  });

  it('refuses empty payments, duplicate fees and fees whose splits do not add up, with typed errors', () => {
    expect(() => feesRoot([])).toThrow(expect.objectContaining({ code: 'ledger/invalid' }));
    expect(() => feesRoot([fees[0]!, fees[0]!])).toThrow(expect.objectContaining({ code: 'fee/invalid' }));
    expect(() => feesRoot([{ ...fees[0]!, fee: 16n }])).toThrow(expect.objectContaining({ code: 'fee/invalid' }));
    expect(() => feesRoot([{ ...fees[0]!, id: '0x12' }])).toThrow(expect.objectContaining({ code: 'fee/invalid' }));
  });

  it('splitsHash ignores order and merges lines of one recipient and role; subjects differ per Datanet version', () => {
    expect(splitsHash([...fees[0]!.splits].reverse())).toBe(splitsHash(fees[0]!.splits));
    expect(datanetFeeSubject('dn-1', 1)).not.toBe(datanetFeeSubject('dn-1', 2));
  });

  it('property: the root is independent of fee order; total and splits always equal the fees', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.bigInt({ min: 1n, max: 10n ** 20n })), { minLength: 1, maxLength: 4 }),
        (ids, amounts) => {
          const fs = ids.map((id, i) => fee(id, amounts.map(([w, a]) => [w, a + BigInt(i)] as [number, bigint])));
          const p = buildPayment({ payer: addr(9), nonce: h(1), deadline: 1n, payoutMode: 'direct', fees: fs });
          expect(feesRoot([...fs].reverse())).toBe(p.feesRoot);
          expect(p.total).toBe(fs.reduce((s, f) => s + f.fee, 0n));
          expect(p.splits.reduce((s, x) => s + x.amount, 0n)).toBe(p.total);
        },
      ),
      { numRuns: 200 },
    );
  });
});
