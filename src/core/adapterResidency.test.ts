import { describe, expect, it } from 'vitest';
import { RESIDENCY_TEXT, adapterResidency } from './adapterResidency.ts';

describe('adapterResidency', () => {
  const pool = { residentIds: ['a'], loadingIds: ['b'], evictedIds: ['c'] };
  it('tells loaded, loading, evicted and never-loaded adapters apart', () => {
    expect(adapterResidency('a', pool)).toBe('loaded');
    expect(adapterResidency('b', pool)).toBe('loading');
    expect(adapterResidency('c', pool)).toBe('evicted');
    expect(adapterResidency('d', pool)).toBe('not-loaded');
  });
  it('says no model when there is no pool', () => {
    expect(adapterResidency('a', null)).toBe('no-model');
    expect(adapterResidency('a', undefined)).toBe('no-model');
  });
  it('has a distinct label for every state', () => {
    const labels = Object.values(RESIDENCY_TEXT).map((t) => t.label);
    expect(new Set(labels).size).toBe(labels.length);
    expect(RESIDENCY_TEXT['not-loaded'].label).not.toMatch(/evicted/i);
  });
});
