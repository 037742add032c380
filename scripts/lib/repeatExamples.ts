/**
 * Language-model examples that can only be predicted by copying from earlier in the window: random token
 * sequences of random length, each said twice, packed into one window; the loss counts only the second copies
 * (the first is noise to a language model). They keep the demo base's induction circuit (scripts/lib/inductionInit.ts)
 * in use while it learns English, so copying from the prompt survives pretraining.
 */
import type { Rng } from '../../src/engine/sampling/rng.ts';
import type { TrainExample } from '../../src/engine/train/types.ts';

export interface RepeatExampleOptions {
  /** token ids to draw from (specials excluded by the caller) */
  ids: readonly number[];
  windowLength: number;
  minLength: number;
  maxLength: number;
}

export function repeatExamples(n: number, rng: Rng, o: RepeatExampleOptions): TrainExample[] {
  if (o.ids.length < 2 || o.minLength < 1 || o.maxLength < o.minLength || 2 * o.maxLength > o.windowLength) throw new Error('repeatExamples: bad options');
  const out: TrainExample[] = [];
  for (let e = 0; e < n; e++) {
    const tokens: number[] = [];
    const mask: number[] = [];
    for (;;) {
      const len = o.minLength + Math.floor(rng.next() * (o.maxLength - o.minLength + 1));
      if (tokens.length + 2 * len > o.windowLength) break;
      const s = Array.from({ length: len }, () => o.ids[Math.floor(rng.next() * o.ids.length)]!);
      tokens.push(...s, ...s);
      mask.push(...s.map(() => 0), ...s.map(() => 1));
    }
    out.push({ tokens: Int32Array.from(tokens), lossMask: Uint8Array.from(mask), source: { contributionId: 'repeats', passageIndex: e } });
  }
  return out;
}
