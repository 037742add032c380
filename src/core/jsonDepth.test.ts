import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from './jsonDepth.ts';

describe('nestsDeeperThan', () => {
  it('measures depth of arrays and objects', () => {
    expect(nestsDeeperThan(1, 0)).toBe(false);
    expect(nestsDeeperThan({ a: [1, { b: 2 }] }, 3)).toBe(false);
    expect(nestsDeeperThan({ a: [1, { b: [] }] }, 3)).toBe(true);
  });
  it('measures a million-deep array without overflowing the stack', () => {
    const deep = JSON.parse('['.repeat(1_000_000) + ']'.repeat(1_000_000)) as unknown;
    expect(nestsDeeperThan(deep, 64)).toBe(true);
  });
});
