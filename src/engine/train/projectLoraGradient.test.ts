import { describe, expect, it } from 'vitest';
import type { LoraAdapterWeights } from '../model/types.ts';
import { createRng } from '../sampling/rng.ts';
import { projectionDim, projectLoraGradient } from './projectLoraGradient.ts';

function randomGrad(seed: number): LoraAdapterWeights {
  const rng = createRng(seed);
  const v = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  return { rank: 4, alpha: 8, layers: [0, 1].map(() => ({ q: { A: v(4 * 16), B: v(16 * 4) }, down: { A: v(4 * 24), B: v(16 * 4) } })) };
}
const dotFlat = (a: LoraAdapterWeights, b: LoraAdapterWeights): number => {
  let s = 0;
  a.layers.forEach((l, i) => {
    for (const t of ['q', 'down'] as const) {
      const x = l[t]!;
      const y = b.layers[i]![t]!;
      x.A.forEach((v, k) => (s += v * y.A[k]!));
      x.B.forEach((v, k) => (s += v * y.B[k]!));
    }
  });
  return s;
};

describe('projectLoraGradient', () => {
  const spec = { seed: 3, dimPerModule: 64, numLayers: 2, targets: ['q', 'down'] as const };
  it('is deterministic, sized numLayers × targets × dimPerModule, and linear', () => {
    const g = randomGrad(1);
    const p = projectLoraGradient(g, { ...spec, targets: [...spec.targets] });
    expect(p.length).toBe(projectionDim({ ...spec, targets: [...spec.targets] }));
    expect(p.length).toBe(256);
    expect(projectLoraGradient(g, { ...spec, targets: [...spec.targets] })).toEqual(p);
    const g2 = { ...g, layers: g.layers.map((l) => ({ q: { A: l.q!.A.map((x) => 2 * x), B: l.q!.B.map((x) => 2 * x) }, down: { A: l.down!.A.map((x) => 2 * x), B: l.down!.B.map((x) => 2 * x) } })) };
    projectLoraGradient(g2, { ...spec, targets: [...spec.targets] }).forEach((x, i) => expect(x).toBeCloseTo(2 * p[i]!, 3));
    expect(projectLoraGradient(g, { ...spec, seed: 4, targets: [...spec.targets] })).not.toEqual(p);
  });
  it('preserves dot products in expectation (Johnson–Lindenstrauss): close for a gradient with itself and a correlated one', () => {
    const a = randomGrad(10);
    const n = randomGrad(11);
    const b = { ...a, layers: a.layers.map((l, i) => ({ q: { A: l.q!.A.map((x, k) => x + 0.5 * n.layers[i]!.q!.A[k]!), B: l.q!.B.map((x, k) => x + 0.5 * n.layers[i]!.q!.B[k]!) }, down: { A: l.down!.A.map((x, k) => x + 0.5 * n.layers[i]!.down!.A[k]!), B: l.down!.B.map((x, k) => x + 0.5 * n.layers[i]!.down!.B[k]!) } })) };
    const s = { ...spec, targets: [...spec.targets] };
    const pa = projectLoraGradient(a, s);
    const pb = projectLoraGradient(b, s);
    let est = 0;
    pa.forEach((x, i) => (est += x * pb[i]!));
    const exact = dotFlat(a, b);
    expect(Math.abs(est - exact) / exact).toBeLessThan(0.25);
  });
});
