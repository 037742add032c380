import { describe, expect, it } from 'vitest';
import { parseTokenAmount } from './tokenAmount.ts';

describe('parseTokenAmount', () => {
  it('reads decimal amounts into exact base units', () => {
    expect(parseTokenAmount('0.001', 18)).toBe(10n ** 15n);
    expect(parseTokenAmount('1', 18)).toBe(10n ** 18n);
    expect(parseTokenAmount(' 12.5 ', 6)).toBe(12_500_000n);
    expect(parseTokenAmount('.25', 2)).toBe(25n);
    expect(parseTokenAmount('3.', 2)).toBe(300n);
    expect(parseTokenAmount('0', 18)).toBe(0n);
    // beyond 2^53: still exact
    expect(parseTokenAmount('123456789.123456789123456789', 18)).toBe(123456789123456789123456789n);
  });

  it('refuses signs, exponents, separators and too many decimals with a clear message', () => {
    for (const bad of ['-1', '1e3', '1,000', '', 'abc', '0x10', '1.2.3']) {
      expect(() => parseTokenAmount(bad, 18, 'Price per answer')).toThrow(/Price per answer must be a plain amount/);
    }
    expect(() => parseTokenAmount('0.001', 2, 'Price')).toThrow(/3 digits after the point; the token has 2/);
  });
});
