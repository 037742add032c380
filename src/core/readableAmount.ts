/**
 * Token amounts for people: base units rounded to a few decimals ("11.3143", not
 * "11.314285714285714286"), thousands grouped. The exact value stays available (hover, copy) through
 * `exactAmount`; money itself is never rounded, only its display.
 */

const group = (whole: bigint) => whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** Every digit of `v` base units with `decimals` decimals, trailing zeros dropped: `11.314285714285714286`. */
export function exactAmount(v: bigint, decimals: number): string {
  const neg = v < 0n;
  const abs = neg ? -v : v;
  const base = 10n ** BigInt(decimals);
  const frac = decimals === 0 ? '' : (abs % base).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${group(abs / base)}${frac ? `.${frac}` : ''}`;
}

/**
 * `v` rounded half up to at most `fractionDigits` decimals (trailing zeros dropped); a non-zero amount
 * too small to show is `<0.0001` (never a misleading `0`).
 */
export function readableAmount(v: bigint, decimals: number, fractionDigits = 4): string {
  if (decimals <= fractionDigits) return exactAmount(v, decimals);
  const neg = v < 0n;
  const abs = neg ? -v : v;
  const scale = 10n ** BigInt(decimals - fractionDigits);
  const rounded = (abs + scale / 2n) / scale;
  const sign = neg ? '-' : '';
  if (rounded === 0n && abs > 0n) return `${neg ? '>-' : '<'}0.${'0'.repeat(fractionDigits - 1)}1`;
  const unit = 10n ** BigInt(fractionDigits);
  const frac = (rounded % unit).toString().padStart(fractionDigits, '0').replace(/0+$/, '');
  return `${rounded === 0n ? '' : sign}${group(rounded / unit)}${frac ? `.${frac}` : ''}`;
}
