import { describe, expect, it } from 'vitest';
import { TributaryError, type ErrorCode } from './errors.ts';
import { UPLOAD_LIMITS, checkDailyLimits, checkFileSize, formatBytes, utcDay } from './limits.ts';

const MB = 1024 * 1024;

function caught(fn: () => unknown): TributaryError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TributaryError);
    return e as TributaryError;
  }
  throw new Error('expected a TributaryError');
}

function expectError(fn: () => unknown, code: ErrorCode, subject: string): TributaryError {
  const e = caught(fn);
  expect(e.code).toBe(code);
  expect(e.subject).toBe(subject);
  expect(e.message).toContain(subject);
  return e;
}

describe('UPLOAD_LIMITS', () => {
  it('matches the published limits', () => {
    expect(UPLOAD_LIMITS).toEqual({ maxFileBytes: 5 * MB, maxFilesPerDay: 20, maxBytesPerDay: 10 * MB });
  });
});

describe('utcDay', () => {
  it('formats the UTC calendar day', () => {
    expect(utcDay(0)).toBe('1970-01-01');
    expect(utcDay(Date.UTC(2024, 1, 29, 23, 59, 59, 999))).toBe('2024-02-29');
    expect(utcDay(Date.UTC(2024, 2, 1, 0, 0, 0, 0))).toBe('2024-03-01');
  });
});

describe('formatBytes', () => {
  it('uses readable units', () => {
    expect(formatBytes(1)).toBe('1 byte');
    expect(formatBytes(512)).toBe('512 bytes');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(7.25 * MB)).toBe('7.25 MB');
    expect(formatBytes(5 * MB)).toBe('5 MB');
  });
});

describe('checkFileSize', () => {
  it('accepts files up to exactly 5 MB', () => {
    expect(() => checkFileSize('a.txt', 0)).not.toThrow();
    expect(() => checkFileSize('a.txt', 5 * MB)).not.toThrow();
  });
  it('rejects larger files with the size and the limit in MB', () => {
    const e = expectError(() => checkFileSize('big.pdf', 7.3 * MB), 'file/too-large', 'big.pdf');
    expect(e.message).toContain('7.3 MB');
    expect(e.message).toContain('5 MB');
  });
  it('shows the exact byte count when the excess would round away', () => {
    const e = expectError(() => checkFileSize('edge.txt', 5 * MB + 1), 'file/too-large', 'edge.txt');
    expect(e.message).toContain('5,242,881 bytes');
  });
});

describe('checkDailyLimits', () => {
  const files = (n: number, bytes = 1000) => Array.from({ length: n }, (_, i) => ({ name: `f${i + 1}.txt`, bytes }));

  it('accepts exactly the daily allowance', () => {
    expect(() => checkDailyLimits({ files: 0, bytes: 0 }, files(20))).not.toThrow();
    expect(() => checkDailyLimits({ files: 19, bytes: 0 }, files(1))).not.toThrow();
    expect(() => checkDailyLimits({ files: 0, bytes: 5 * MB }, [{ name: 'x', bytes: 5 * MB }])).not.toThrow();
    expect(() => checkDailyLimits({ files: 20, bytes: 10 * MB }, [])).not.toThrow();
  });
  it('names the first file over the file count, with how many are left', () => {
    const e = expectError(() => checkDailyLimits({ files: 18, bytes: 0 }, files(5)), 'limit/daily-files', 'f3.txt');
    expect(e.message).toContain('file 21');
    expect(e.message).toContain('none are left');
    const e2 = expectError(() => checkDailyLimits({ files: 20, bytes: 0 }, files(1)), 'limit/daily-files', 'f1.txt');
    expect(e2.message).toContain('20 files per Datanet per UTC day');
  });
  it('names the first file over the byte budget, with what is left', () => {
    const incoming = [
      { name: 'a.txt', bytes: 3 * MB },
      { name: 'b.pdf', bytes: 4 * MB },
      { name: 'c.txt', bytes: 1 },
    ];
    const e = expectError(() => checkDailyLimits({ files: 2, bytes: 4 * MB }, incoming), 'limit/daily-bytes', 'b.pdf');
    expect(e.message).toContain('4 MB');
    expect(e.message).toContain('3 MB');
    expect(e.message).toContain('10 MB');
  });
  it('reports nothing left when the budget is spent', () => {
    const e = expectError(() => checkDailyLimits({ files: 1, bytes: 10 * MB }, [{ name: 'z.md', bytes: 1 }]), 'limit/daily-bytes', 'z.md');
    expect(e.message).toContain('only 0 bytes');
  });
});
