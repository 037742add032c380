import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { splitByPolicy, splitProRata, validateRewardPolicy } from './rewardPolicy.ts';
import { isTributaryError } from './errors.ts';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isTributaryError(e) ? e.code : (e as Error).name;
  }
  return undefined;
}

describe('validateRewardPolicy', () => {
  it('accepts integer shares summing to 10000', () => {
    expect(validateRewardPolicy({ contributorsBps: 8000, ownerBps: 2000 })).toEqual({ contributorsBps: 8000, ownerBps: 2000 });
    expect(validateRewardPolicy({ contributorsBps: 10000, ownerBps: 0 })).toEqual({ contributorsBps: 10000, ownerBps: 0 });
  });
  it.each([
    [{ contributorsBps: 8000, ownerBps: 1000 }],
    [{ contributorsBps: 8000.5, ownerBps: 1999.5 }],
    [{ contributorsBps: -1, ownerBps: 10001 }],
    [{ contributorsBps: 10001, ownerBps: -1 }],
    [{ contributorsBps: Number.NaN, ownerBps: 10000 }],
    [{ contributorsBps: '5000', ownerBps: 5000 }],
  ])('rejects %j', (p) => {
    expect(codeOf(() => validateRewardPolicy(p as never))).toBe('datanet/invalid');
  });
});

describe('splitByPolicy', () => {
  it('floors the contributors side and gives the dust to the owner', () => {
    expect(splitByPolicy(999n, { contributorsBps: 3333, ownerBps: 6667 })).toEqual({ contributors: 332n, owner: 667n });
    expect(splitByPolicy(0n, { contributorsBps: 5000, ownerBps: 5000 })).toEqual({ contributors: 0n, owner: 0n });
  });
  it('rejects negative fees', () => {
    expect(() => splitByPolicy(-1n, { contributorsBps: 5000, ownerBps: 5000 })).toThrow(RangeError);
  });
  it('sums exactly, never negative (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 128n }), fc.integer({ min: 0, max: 10000 }), (fee, bps) => {
        const { contributors, owner } = splitByPolicy(fee, { contributorsBps: bps, ownerBps: 10000 - bps });
        expect(contributors + owner).toBe(fee);
        expect(contributors >= 0n && owner >= 0n).toBe(true);
        expect(contributors).toBe((fee * BigInt(bps)) / 10000n);
      }),
      { numRuns: 10_000 },
    );
  });
});

describe('splitProRata', () => {
  it('splits by largest remainder, ties by key order', () => {
    // 10 over 3 equal weights: 3 each, the one leftover unit to the first key in order
    const m = splitProRata(10n, [
      { key: 'c', weight: 1n },
      { key: 'a', weight: 1n },
      { key: 'b', weight: 1n },
    ]);
    expect(Object.fromEntries(m)).toEqual({ a: 4n, b: 3n, c: 3n });
  });
  it('gives the leftover to the larger remainder first', () => {
    // 7 * [1, 2] / 3 = 2.33, 4.66 -> floors 2, 4; leftover 1 goes to the 0.66 remainder
    const m = splitProRata(7n, [
      { key: 'a', weight: 1n },
      { key: 'b', weight: 2n },
    ]);
    expect(Object.fromEntries(m)).toEqual({ a: 2n, b: 5n });
  });
  it('gives zero weights nothing', () => {
    const m = splitProRata(5n, [
      { key: 'a', weight: 0n },
      { key: 'b', weight: 3n },
      { key: 'c', weight: 3n },
    ]);
    expect(m.get('a')).toBe(0n);
    expect((m.get('b') ?? 0n) + (m.get('c') ?? 0n)).toBe(5n);
  });
  it('rejects all-zero weights, empty weights, negative inputs and repeated keys', () => {
    expect(() => splitProRata(5n, [{ key: 'a', weight: 0n }])).toThrow(RangeError);
    expect(() => splitProRata(5n, [])).toThrow(RangeError);
    expect(() => splitProRata(-5n, [{ key: 'a', weight: 1n }])).toThrow(RangeError);
    expect(() => splitProRata(5n, [{ key: 'a', weight: -1n }, { key: 'b', weight: 2n }])).toThrow(RangeError);
    expect(() => splitProRata(5n, [{ key: 'a', weight: 1n }, { key: 'a', weight: 2n }])).toThrow(RangeError);
  });

  const weightsArb = fc
    .uniqueArray(fc.record({ key: fc.string({ maxLength: 6 }), weight: fc.bigInt({ min: 0n, max: 10n ** 12n }) }), {
      minLength: 1,
      maxLength: 12,
      selector: (w) => w.key,
    })
    .filter((ws) => ws.some((w) => w.weight > 0n));

  it('sums exactly, is never negative, stays within one unit of the exact quota and is monotone (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 24n }), weightsArb, (amount, weights) => {
        const m = splitProRata(amount, weights);
        const total = weights.reduce((s, w) => s + w.weight, 0n);
        let sum = 0n;
        for (const w of weights) {
          const share = m.get(w.key);
          expect(share).toBeDefined();
          const s = share ?? -1n;
          expect(s >= 0n).toBe(true);
          const floor = (amount * w.weight) / total;
          expect(s === floor || s === floor + 1n).toBe(true);
          if (w.weight === 0n) expect(s).toBe(0n);
          sum += s;
        }
        expect(sum).toBe(amount);
        for (const a of weights) {
          for (const b of weights) {
            if (a.weight > b.weight) expect((m.get(a.key) ?? 0n) >= (m.get(b.key) ?? 0n)).toBe(true);
          }
        }
      }),
      { numRuns: 10_000 },
    );
  });

  it('never gives a key less when only its own weight grows (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 1000n }),
        fc.array(fc.bigInt({ min: 0n, max: 20n }), { minLength: 2, maxLength: 6 }),
        fc.bigInt({ min: 1n, max: 20n }),
        (amount, ws, delta) => {
          fc.pre(ws.some((w) => w > 0n));
          const before = splitProRata(amount, ws.map((weight, i) => ({ key: `k${i}`, weight })));
          const after = splitProRata(amount, ws.map((weight, i) => ({ key: `k${i}`, weight: i === 0 ? weight + delta : weight })));
          expect((after.get('k0') ?? 0n) >= (before.get('k0') ?? 0n)).toBe(true);
        },
      ),
      { numRuns: 10_000 },
    );
  });
});
