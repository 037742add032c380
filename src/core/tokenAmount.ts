/**
 * Token amounts typed by a person ("0.001") as bigint base units (money is never a float): the price per answer of
 * an adapter. At most `decimals` digits after the point; no sign, no exponent, no separators.
 */
import { TributaryError } from './errors.ts';

const AMOUNT_RE = /^(\d+)(?:\.(\d*))?$|^\.(\d+)$/;

export function parseTokenAmount(text: string, decimals: number, label = 'Amount'): bigint {
  const t = text.trim();
  const m = AMOUNT_RE.exec(t);
  if (!m) throw new TributaryError('factory/bad-settings', `${label} must be a plain amount of tokens such as 0.001 (no sign, exponent or separators); got "${text}".`);
  const whole = m[1] ?? '0';
  const frac = m[2] ?? m[3] ?? '';
  if (frac.length > decimals) throw new TributaryError('factory/bad-settings', `${label} has ${frac.length} digits after the point; the token has ${decimals}.`);
  return BigInt(whole) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, '0') || '0');
}
