/**
 * Upload limits, as OpenLedger applies them: per file, and per contributor per Datanet per UTC day.
 * Pure checks; the caller supplies what was already used today (see `utcDay`).
 */
import { TributaryError } from './errors.ts';

const MB = 1024 * 1024;

export const UPLOAD_LIMITS = {
  /** Largest accepted source file, in bytes. */
  maxFileBytes: 5 * MB,
  /** Files per contributor per Datanet per UTC day. */
  maxFilesPerDay: 20,
  /** Source bytes per contributor per Datanet per UTC day. */
  maxBytesPerDay: 10 * MB,
} as const;

/** The UTC calendar day of a Unix-millisecond time, as `YYYY-MM-DD`: the key of the daily limits. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** A byte count for people: `512 bytes`, `3.4 KB`, `7.25 MB` (binary units, as the limits are). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} byte${n === 1 ? '' : 's'}`;
  if (n < MB) return `${trimZeros((n / 1024).toFixed(1))} KB`;
  return `${trimZeros((n / MB).toFixed(2))} MB`;
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

const limitMb = (bytes: number): string => `${bytes / MB} MB`;

/** Throws `file/too-large` when a file is over the per-file limit. */
export function checkFileSize(name: string, size: number): void {
  if (size > UPLOAD_LIMITS.maxFileBytes) {
    const shown = formatBytes(size);
    // 5 MB + 1 byte would print as "5 MB": show the exact byte count when rounding hides the excess
    const exact = shown === limitMb(UPLOAD_LIMITS.maxFileBytes) ? ` (${size.toLocaleString('en-US')} bytes)` : '';
    throw new TributaryError(
      'file/too-large',
      `the file is ${shown}${exact}; the limit is ${limitMb(UPLOAD_LIMITS.maxFileBytes)} per file. Split it into smaller files and add them one by one.`,
      name,
    );
  }
}

/**
 * Throws `limit/daily-files` or `limit/daily-bytes` for the first incoming file that would take today's
 * totals (for this contributor and Datanet) over the daily limits, saying how much is left today.
 */
export function checkDailyLimits(usedToday: { files: number; bytes: number }, incoming: { name: string; bytes: number }[]): void {
  let files = usedToday.files;
  let bytes = usedToday.bytes;
  for (const f of incoming) {
    if (files + 1 > UPLOAD_LIMITS.maxFilesPerDay) {
      const left = Math.max(0, UPLOAD_LIMITS.maxFilesPerDay - files);
      throw new TributaryError(
        'limit/daily-files',
        `this would be file ${files + 1} today, but a contributor can add ${UPLOAD_LIMITS.maxFilesPerDay} files per Datanet per UTC day and ${left === 0 ? 'none are' : left === 1 ? '1 is' : `${left} are`} left. Add it after midnight UTC.`,
        f.name,
      );
    }
    if (bytes + f.bytes > UPLOAD_LIMITS.maxBytesPerDay) {
      const left = Math.max(0, UPLOAD_LIMITS.maxBytesPerDay - bytes);
      throw new TributaryError(
        'limit/daily-bytes',
        `this file is ${formatBytes(f.bytes)}, but only ${formatBytes(left)} of today's ${limitMb(UPLOAD_LIMITS.maxBytesPerDay)} are left for this Datanet. Add a smaller file, or add it after midnight UTC.`,
        f.name,
      );
    }
    files++;
    bytes += f.bytes;
  }
}
