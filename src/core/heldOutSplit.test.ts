import { describe, expect, it } from 'vitest';
import { splitHeldOut } from './heldOutSplit.ts';

const items = Array.from({ length: 40 }, (_, i) => ({ id: `c${i % 7}:${i}` }));

describe('splitHeldOut', () => {
  it('holds out about the fraction asked, keeps order, and is the same for the same seed', () => {
    const a = splitHeldOut(items, (x) => x.id, 42, 0.1);
    expect(a.heldOut.length).toBe(4);
    expect(a.train.length).toBe(36);
    expect([...a.train, ...a.heldOut].map((x) => x.id).sort()).toEqual(items.map((x) => x.id).sort());
    expect(a.train.map((x) => items.indexOf(x))).toEqual([...a.train.map((x) => items.indexOf(x))].sort((p, q) => p - q));
    const b = splitHeldOut([...items], (x) => x.id, 42, 0.1);
    expect(b.heldOut.map((x) => x.id)).toEqual(a.heldOut.map((x) => x.id));
    const c = splitHeldOut(items, (x) => x.id, 43, 0.1);
    expect(c.heldOut.map((x) => x.id)).not.toEqual(a.heldOut.map((x) => x.id));
  });

  it('keeps at least one passage on each side; refuses fewer than two passages', () => {
    expect(splitHeldOut(items.slice(0, 2), (x) => x.id, 1, 0.05).heldOut.length).toBe(1);
    expect(splitHeldOut(items.slice(0, 3), (x) => x.id, 1, 0.9).train.length).toBe(1);
    expect(() => splitHeldOut(items.slice(0, 1), (x) => x.id, 1, 0.1)).toThrow(/at least 2 passages.*have 1/);
    expect(() => splitHeldOut(items, (x) => x.id, 1, 0)).toThrow(/between 0 and 1/);
  });
});
