import { describe, expect, it } from 'vitest';
import { bm25Scores, buildBm25 } from './bm25.ts';

describe('BM25', () => {
  it('matches scores computed by hand', () => {
    // three passages: lengths 4, 2, 3; avgdl = 3; N = 3
    const index = buildBm25(['Cove cove ash bay', 'ash dune', 'elm fen elm']);
    const scores = bm25Scores(index, ['cove', 'ash']);
    const k1 = 1.2;
    const b = 0.75;
    const idfCove = Math.log(1 + (3 - 1 + 0.5) / (1 + 0.5)); // df 1
    const idfAsh = Math.log(1 + (3 - 2 + 0.5) / (2 + 0.5)); // df 2
    const part = (tf: number, len: number) => (tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * len) / 3));
    expect(scores[0]).toBeCloseTo(idfCove * part(2, 4) + idfAsh * part(1, 4), 12);
    expect(scores[1]).toBeCloseTo(idfAsh * part(1, 2), 12);
    expect(scores[2]).toBe(0);
  });

  it('counts a repeated query term once and applies per-term weights', () => {
    const index = buildBm25(['ash bay', 'bay cove']);
    const once = bm25Scores(index, ['ash']);
    expect(bm25Scores(index, ['ash', 'ash', 'ASH'.toLowerCase()])[0]).toBeCloseTo(once[0]!, 12);
    expect(bm25Scores(index, ['ash'], () => 0.25)[0]).toBeCloseTo(once[0]! * 0.25, 12);
  });
});
