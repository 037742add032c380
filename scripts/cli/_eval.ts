/** Ranking metrics of the attribution evaluation. */
import type { RankedContribution } from '../../src/attribution/attribute.ts';
import type { Hex } from '../../src/core/types.ts';

export interface MethodMetrics {
  p_at_1: number;
  mrr: number;
  /** questions this method had any score for */
  answered: number;
}

export class MetricsAccumulator {
  private n = 0;
  private hits = 0;
  private rr = 0;
  private answered = 0;
  add(ranking: readonly RankedContribution[], source: Hex): void {
    this.n++;
    if (ranking.length > 0) this.answered++;
    const at = ranking.findIndex((r) => r.contributionId === source);
    if (at === 0) this.hits++;
    if (at >= 0) this.rr += 1 / (at + 1);
  }
  result(): MethodMetrics {
    const r = (x: number): number => Math.round(x * 10_000) / 10_000;
    return { p_at_1: this.n ? r(this.hits / this.n) : 0, mrr: this.n ? r(this.rr / this.n) : 0, answered: this.answered };
  }
}
