import { describe, expect, it } from 'vitest';
import { siluMul } from './siluMul.ts';
import { add } from './add.ts';

describe('siluMul', () => {
  it('silu(g)·u elementwise, in place allowed', () => {
    const g = Float32Array.of(-3, -0.5, 0, 0.5, 4);
    const u = Float32Array.of(1, 2, 3, -1, 0.25);
    const out = new Float32Array(5);
    siluMul(g, u, out);
    g.forEach((x, i) => expect(out[i]).toBeCloseTo((x / (1 + Math.exp(-x))) * u[i]!, 6));
    siluMul(g, u, g);
    expect(g).toEqual(out);
    expect(() => siluMul(g, new Float32Array(2), out)).toThrow(/siluMul/);
  });
});

describe('add', () => {
  it('adds elementwise, in place allowed', () => {
    const a = Float32Array.of(1, 2, 3);
    add(a, Float32Array.of(0.5, -2, 1), a);
    expect(Array.from(a)).toEqual([1.5, 0, 4]);
    expect(() => add(a, new Float32Array(2), a)).toThrow(/add/);
  });
});
