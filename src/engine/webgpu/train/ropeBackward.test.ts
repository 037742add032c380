import { describe, expect, it } from 'vitest';
import { ropeInvFreq } from '../../cpu/kernels/rope.ts';
import { ropeTableData } from '../ops/rope.ts';
import { ropeBackwardTableData } from './ropeBackward.ts';

describe('ropeBackwardTableData', () => {
  it('is the transposed rotation: the same cos, the negated sin, so rotating by both gives the identity', () => {
    const inv = ropeInvFreq(16, 10000);
    const fwd = ropeTableData(inv, 20);
    const back = ropeBackwardTableData(inv, 20);
    expect(back.length).toBe(fwd.length);
    for (let i = 0; i < fwd.length; i += 2) {
      expect(back[i]).toBe(fwd[i]);
      expect(back[i + 1]).toBe(-fwd[i + 1]!);
      // [c −s; s c] · [c s; −s c] = (c² + s²) I
      const [c, s] = [fwd[i]!, fwd[i + 1]!];
      expect(c * back[i]! - s * back[i + 1]!).toBeCloseTo(1, 6);
    }
  });
});
