import { describe, expect, it } from 'vitest';
import { exactAmount, readableAmount } from './readableAmount.ts';

describe('readableAmount', () => {
  it('rounds half up to 4 decimals and drops trailing zeros; the exact value keeps every digit', () => {
    expect(readableAmount(11_314_285_714_285_714_286n, 18)).toBe('11.3143');
    expect(exactAmount(11_314_285_714_285_714_286n, 18)).toBe('11.314285714285714286');
    expect(readableAmount(12_500_000_000_000_000_000n, 18)).toBe('12.5');
    expect(readableAmount(99_999_950_000_000_000_000n, 18)).toBe('100');
    expect(readableAmount(99_999_949_999_999_999_999n, 18)).toBe('99.9999');
    expect(readableAmount(1_234_567n * 10n ** 18n, 18)).toBe('1,234,567');
    expect(readableAmount(0n, 18)).toBe('0');
  });
  it('never shows a non-zero amount as 0', () => {
    expect(readableAmount(123n, 18)).toBe('<0.0001');
    expect(readableAmount(-123n, 18)).toBe('>-0.0001');
    expect(readableAmount(50_000_000_000_000n, 18)).toBe('0.0001');
  });
  it('negative amounts and tokens with few decimals', () => {
    expect(readableAmount(-11_314_285_714_285_714_286n, 18)).toBe('-11.3143');
    expect(readableAmount(1_234_56n, 2)).toBe('1,234.56');
    expect(readableAmount(7n, 0)).toBe('7');
  });
});
