import { describe, expect, it } from 'vitest';
import { lossCurveGeometry } from './lossCurve.ts';

const box = { width: 200, height: 100, pad: { left: 0, right: 0, top: 0, bottom: 0 } };

describe('lossCurveGeometry', () => {
  it('maps steps over the whole run and losses between a margin of their range', () => {
    const g = lossCurveGeometry([[{ step: 0, loss: 4 }, { step: 5, loss: 2 }], [{ step: 5, loss: 3 }]], 10, box);
    expect(g.xMax).toBe(10);
    expect(g.yMin).toBeCloseTo(2 - 0.16);
    expect(g.yMax).toBeCloseTo(4 + 0.16);
    const [train, held] = g.paths;
    expect(train).toMatch(/^M0\.0,[\d.]+ L100\.0,[\d.]+$/);
    expect(held).toMatch(/^M100\.0,/);
    // a lower loss is drawn lower down (larger y): train ends at 2, held-out at 3, train starts at 4
    expect(g.ends[1]!.y).toBeLessThan(g.ends[0]!.y);
    const startY = Number(train!.split(' ')[0]!.split(',')[1]);
    expect(startY).toBeLessThan(g.ends[0]!.y);
    expect(g.yTicks.map((t) => Math.round(t.y))).toEqual([100, 50, 0]);
  });

  it('breaks the line at a non-finite loss and keeps the axis from the finite ones', () => {
    const g = lossCurveGeometry([[{ step: 1, loss: 3 }, { step: 2, loss: Number.NaN }, { step: 3, loss: 2 }, { step: 4, loss: Infinity }]], 4, box);
    expect(g.paths[0]!.match(/M/g)?.length).toBe(2);
    expect(Number.isFinite(g.yMax)).toBe(true);
    expect(g.ends[0]!.x).toBe(150);
  });

  it('draws an empty chart and a flat line without dividing by zero', () => {
    const e = lossCurveGeometry([[], []], 0, box);
    expect(e.paths).toEqual(['', '']);
    expect(e.ends).toEqual([null, null]);
    const flat = lossCurveGeometry([[{ step: 0, loss: 2 }, { step: 1, loss: 2 }]], 1, box);
    expect(flat.paths[0]).not.toMatch(/NaN|Infinity/);
    expect(flat.yMax).toBeGreaterThan(flat.yMin);
  });
});
