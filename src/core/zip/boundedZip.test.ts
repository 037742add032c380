import { describe, expect, it } from 'vitest';
import { strToU8, zipSync } from 'fflate';
import { ByteBudget, inflateWithin, listZipEntries, readZipEntry } from './boundedZip.ts';
import { zipBomb, zlibBomb } from './zipBombs.testkit.ts';

const errors = { code: 'pack/corrupt' as const, advice: 'Get a fresh copy.' };

describe('bounded zip reading', () => {
  it('reads an honest archive entry by entry', () => {
    const zip = zipSync({ 'a.txt': strToU8('hello'), 'b/c.txt': [strToU8('x'.repeat(5000)), { level: 6 }] });
    const entries = listZipEntries(zip, 10, errors);
    expect(entries.map((e) => e.name)).toEqual(['a.txt', 'b/c.txt']);
    const budget = new ByteBudget(1 << 20);
    expect(new TextDecoder().decode(readZipEntry(zip, entries[1]!, budget, errors))).toBe('x'.repeat(5000));
    expect(budget.spent).toBe(5000);
  });

  it('stops a 4 MB entry that claims 1 KB at the first byte past 1 KB, fast', () => {
    const bomb = zipBomb({ 'ok.txt': strToU8('fine') }, 'bomb.txt', 4 * 1024 * 1024, 1000);
    const entry = listZipEntries(bomb, 10, errors).find((e) => e.name === 'bomb.txt')!;
    expect(entry.size).toBe(1000);
    const t0 = performance.now();
    expect(() => readZipEntry(bomb, entry, new ByteBudget(64 << 20), errors)).toThrow(/inflates past its limit/);
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('stops a stream at the running total budget even when each entry claims a small size honestly', () => {
    const zip = zipSync({ a: new Uint8Array(600_000), b: new Uint8Array(600_000) });
    const budget = new ByteBudget(1_000_000);
    const [a, b] = listZipEntries(zip, 10, errors);
    readZipEntry(zip, a!, budget, errors);
    expect(() => readZipEntry(zip, b!, budget, errors)).toThrow(expect.objectContaining({ code: 'pack/corrupt' }));
  });

  it('refuses an entry that inflates short of its declared size', () => {
    const zip = zipBomb({}, 'short.txt', 100, 5000);
    const [entry] = listZipEntries(zip, 10, errors);
    expect(() => readZipEntry(zip, entry!, new ByteBudget(1 << 20), errors)).toThrow(/inflates to 100 bytes/);
  });

  it('refuses too many entries, from the directory alone', () => {
    const files: Record<string, Uint8Array> = {};
    for (let i = 0; i < 30; i++) files[`f${i}`] = strToU8('x');
    expect(() => listZipEntries(zipSync(files), 20, errors)).toThrow(/30 entries/);
  });

  it('refuses garbage and truncated archives with the caller’s code', () => {
    expect(() => listZipEntries(strToU8('not a zip at all, just text that goes on'), 10, errors)).toThrow(expect.objectContaining({ code: 'pack/corrupt' }));
    const zip = zipSync({ 'a.txt': [new Uint8Array(100_000).fill(7), { level: 0 }] });
    const entries = listZipEntries(zip, 10, errors);
    const cut = zip.slice(0, 50_000);
    expect(() => readZipEntry(cut, entries[0]!, new ByteBudget(1 << 20), errors)).toThrow(expect.objectContaining({ code: 'pack/corrupt' }));
  });

  it('inflates a 1 MB-per-GiB style zlib bomb only up to its limit, in bounded time', () => {
    const bomb = zlibBomb(64 * 1024 * 1024); // 64 MiB of spaces, ~64 KB compressed
    expect(bomb.length).toBeLessThan(100_000);
    const t0 = performance.now();
    expect(() => inflateWithin(bomb, 'zlib', 8 << 20, new ByteBudget(16 << 20), errors)).toThrow(/inflates past its limit/);
    expect(performance.now() - t0).toBeLessThan(1500);
  });
});
