import { describe, expect, it } from 'vitest';
import { balanceCover } from './balanceCover.ts';

describe('balanceCover', () => {
  it('covers exactly at the balance, and is short by the exact base units above it', () => {
    expect(balanceCover(10n ** 18n, 4n * 10n ** 17n, 6n * 10n ** 17n)).toEqual({ needed: 10n ** 18n, balance: 10n ** 18n, covers: true, shortBy: 0n });
    expect(balanceCover(10n ** 18n, 4n * 10n ** 17n, 6n * 10n ** 17n + 1n)).toMatchObject({ covers: false, shortBy: 1n });
  });
  it('counts receipts already pending: a small new one is not covered when the pending ones use the balance up', () => {
    expect(balanceCover(100n, 100n, 1n)).toMatchObject({ needed: 101n, covers: false, shortBy: 1n });
    expect(balanceCover(0n, 0n, 0n).covers).toBe(true);
  });
});
