import { describe, expect, it } from 'vitest';
import { describeValue } from './describeValue.ts';

describe('describeValue', () => {
  it('describes small values like JSON', () => {
    expect(describeValue({ a: [1, 'x', null] })).toBe('{"a":[1,"x",null]}');
  });
  it('survives a million-deep array and a huge string without throwing', () => {
    const deep = JSON.parse('['.repeat(1_000_000) + ']'.repeat(1_000_000)) as unknown;
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(describeValue(deep)).toBe('[[[[[…]]]]]');
    expect(describeValue('y'.repeat(10_000_000)).length).toBeLessThanOrEqual(81);
  });
});
