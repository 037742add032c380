/** Small display helpers shared by the pages. */

export { byCount, plural } from '../../core/plural.ts';

/** `0x12ab…cdef` */
export function shortAddress(address: string): string {
  if (address.length <= 12) return address;
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

/** `0x1234abcd…` for long hashes (full value belongs in a title or a copy button). */
export function shortHash(hash: string, keep = 10): string {
  return hash.length > keep + 2 ? `${hash.slice(0, keep)}…` : hash;
}

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** 1536 -> `1.5 KB` (powers of 1024). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  const shown = value.toFixed(digits);
  return `${shown.includes('.') ? shown.replace(/\.?0+$/, '') : shown} ${BYTE_UNITS[unit]}`;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDate(ms: number): string {
  return dateFormat.format(new Date(ms));
}

export function formatDateTime(ms: number): string {
  return dateTimeFormat.format(new Date(ms));
}

/** Basis points as a percentage: 7500 -> `75 %`, 1234 -> `12.34 %`. */
export function formatBps(bps: number): string {
  const pct = bps / 100;
  return `${Number.isInteger(pct) ? pct.toFixed(0) : pct.toFixed(2)} %`;
}

/** The first `lines` non-empty lines of a passage, cut at `maxChars`, with `…` when something is left out. */
export function firstLines(text: string, lines = 3, maxChars = 280): string {
  const all = text.split('\n').filter((l) => l.trim() !== '');
  let head = all.slice(0, lines).join('\n');
  let cut = all.length > lines;
  if (head.length > maxChars) {
    head = head.slice(0, maxChars).trimEnd();
    cut = true;
  }
  return cut ? `${head}…` : head;
}
