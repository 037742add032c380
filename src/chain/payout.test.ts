import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { choosePayoutMode, crossoverRecipients, estimatePayoutGas, MEASURED_GAS, PAYOUT_MODE, type PayoutGasConstants } from './payout.ts';

describe('payout crossover rule', () => {
  it('few recipients, or recipients who claim after every batch: DIRECT', () => {
    expect(choosePayoutMode({ distinctRecipients: 1 })).toMatchObject({ mode: 'direct', payoutMode: PAYOUT_MODE.direct });
    expect(choosePayoutMode({ distinctRecipients: 3 }).mode).toBe('direct');
    expect(choosePayoutMode({ distinctRecipients: 500, settlementsPerClaim: 1 }).mode).toBe('direct');
    expect(choosePayoutMode({ distinctRecipients: 0 }).mode).toBe('direct');
  });

  it('many new recipients collecting from several batches per claim: POOLED', () => {
    expect(choosePayoutMode({ distinctRecipients: 50 })).toMatchObject({ mode: 'pooled', payoutMode: PAYOUT_MODE.pooled });
    expect(crossoverRecipients({ returning: false })).toBe(6);
    expect(crossoverRecipients({ returning: true })).toBeGreaterThan(20); // returning accounts are cheap to pay directly
    expect(crossoverRecipients({ returning: false, settlementsPerClaim: 1 })).toBeNull();
  });

  it('estimates grow with recipients and splits; claim shares shrink with settlementsPerClaim', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 60 }), (n, extraSplits, perClaim) => {
        const a = estimatePayoutGas({ distinctRecipients: n, splits: n + extraSplits, settlementsPerClaim: perClaim });
        const b = estimatePayoutGas({ distinctRecipients: n + 1, splits: n + 1 + extraSplits, settlementsPerClaim: perClaim });
        expect(b.directGas).toBeGreaterThan(a.directGas);
        expect(b.pooledGas).toBeGreaterThan(a.pooledGas);
        const rarer = estimatePayoutGas({ distinctRecipients: n, splits: n + extraSplits, settlementsPerClaim: perClaim + 1 });
        expect(rarer.pooledGas).toBeLessThanOrEqual(a.pooledGas);
        expect(rarer.directGas).toBe(a.directGas);
      }),
    );
  });

  it('refuses impossible shapes', () => {
    expect(() => choosePayoutMode({ distinctRecipients: -1 })).toThrow(RangeError);
    expect(() => choosePayoutMode({ distinctRecipients: 3, returningRecipients: 4 })).toThrow(RangeError);
    expect(() => choosePayoutMode({ distinctRecipients: 3, splits: 2 })).toThrow(RangeError);
    expect(() => choosePayoutMode({ distinctRecipients: 3, settlementsPerClaim: 0 })).toThrow(RangeError);
  });

  it('its constants are the ones the gas benchmark measured (within 10 %)', () => {
    const path = new URL('../../bench/results/gas.json', import.meta.url);
    if (!existsSync(path)) return; // no benchmark run in this checkout
    const measured = (JSON.parse(readFileSync(path, 'utf8')) as { crossover: { constants: PayoutGasConstants } }).crossover.constants;
    for (const key of Object.keys(MEASURED_GAS) as (keyof PayoutGasConstants)[]) {
      expect(Math.abs(MEASURED_GAS[key] - measured[key]), key).toBeLessThanOrEqual(0.1 * measured[key]);
    }
  });
});
