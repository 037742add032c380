import { describe, expect, it } from 'vitest';
import { cpuThreadingStatus } from './cpuThreading.ts';

describe('cpuThreadingStatus', () => {
  it('all cores (at most 16) when cross-origin isolated, one thread otherwise, with the reason', () => {
    expect(cpuThreadingStatus({ crossOriginIsolated: true, SharedArrayBuffer, navigator: { hardwareConcurrency: 8 } })).toMatchObject({ threads: 8, isolated: true });
    expect(cpuThreadingStatus({ crossOriginIsolated: true, SharedArrayBuffer, navigator: { hardwareConcurrency: 64 } }).threads).toBe(16);
    const off = cpuThreadingStatus({ crossOriginIsolated: false, navigator: { hardwareConcurrency: 8 } });
    expect(off).toMatchObject({ threads: 1, isolated: false });
    expect(off.text).toMatch(/not cross-origin isolated/);
    expect(cpuThreadingStatus({ crossOriginIsolated: true, navigator: { hardwareConcurrency: 8 } }).threads).toBe(1);
  });
});
