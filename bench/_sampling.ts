// Host cost of sampling a 32-row decode step over a 49,152-token vocabulary (SmolLM2's), the sampler as it is
// (src/engine/sampling/sample.ts) against the sampler before top-k / top-p were made cheap (every token weighed in f64,
// top-k by an O(V·k) pass over the weights, top-p by sorting every token above 1e-12), same logits, same seed. Not part of
// `npm run bench` (a diagnostic): `npx tsx bench/_sampling.ts`.
import { createSampler, type SamplingParams } from '../src/engine/sampling/sample.ts';
import { createRng } from '../src/engine/sampling/rng.ts';

const V = 49152;
const ROWS = 32;
const STEPS = 5;

/** Top-k of `w` (descending, ties lower id first) in one pass: the previous sampler's selection. */
function topKOfWeights(w: Float64Array, k: number): Int32Array {
  const ids = new Int32Array(k);
  const vals = new Float64Array(k).fill(-Infinity);
  let n = 0;
  for (let i = 0; i < w.length; i++) {
    const v = w[i]!;
    if (n === k && v <= vals[k - 1]!) continue;
    let j = n < k ? n++ : k - 1;
    while (j > 0 && vals[j - 1]! < v) {
      vals[j] = vals[j - 1]!;
      ids[j] = ids[j - 1]!;
      j--;
    }
    vals[j] = v;
    ids[j] = i;
  }
  return ids.slice(0, n);
}

/** Every token weighed in f64, then top-k in one pass or top-p by a sort, then the draw: what `sample` did before. */
function previousSampler(p: SamplingParams): (logits: Float32Array) => number {
  const rng = createRng(p.seed ?? 0);
  const temp = p.temperature ?? 1;
  const topP = p.topP ?? 1;
  return (logits) => {
    let max = -Infinity;
    for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
    const w = new Float64Array(logits.length);
    for (let i = 0; i < logits.length; i++) w[i] = Math.exp((logits[i]! - max) / temp);
    let ids: Int32Array;
    if ((p.topK ?? 0) > 0) ids = topKOfWeights(w, p.topK!);
    else {
      const keep: number[] = [];
      for (let i = 0; i < w.length; i++) if (w[i]! >= 1e-12) keep.push(i);
      ids = Int32Array.from(keep).sort((a, b) => w[b]! - w[a]! || a - b);
    }
    let sum = 0;
    for (const id of ids) sum += w[id]!;
    if (topP < 1) {
      let acc = 0;
      let keep = ids.length;
      for (let i = 0; i < ids.length; i++) {
        acc += w[ids[i]!]! / sum;
        if (acc >= topP) {
          keep = i + 1;
          break;
        }
      }
      ids = ids.slice(0, keep);
      sum = 0;
      for (const id of ids) sum += w[id]!;
    }
    const u = rng.next();
    let acc = 0;
    for (const id of ids) if (u < (acc += w[id]! / sum)) return id;
    return ids[ids.length - 1]!;
  };
}

const r = createRng(1);
const rows = Array.from({ length: ROWS }, () => Float32Array.from({ length: V }, () => r.normal() * 3));
const time = (sample: (l: Float32Array) => number): { ms: number; ids: number[] } => {
  const ids: number[] = [];
  const t = performance.now();
  for (let s = 0; s < STEPS; s++) for (const l of rows) ids.push(sample(l));
  return { ms: (performance.now() - t) / STEPS, ids };
};
for (const params of [{ temperature: 0.7, topK: 40, topP: 0.9, seed: 1 }, { temperature: 0.7, topP: 0.9, seed: 1 }] satisfies SamplingParams[]) {
  const sampler = createSampler(params);
  const now = time((l) => sampler.sample(l));
  const before = time(previousSampler(params));
  const same = now.ids.every((id, i) => id === before.ids[i]);
  console.log(JSON.stringify({ params, rows: ROWS, vocab: V, ms_per_step: +now.ms.toFixed(2), previous_ms_per_step: +before.ms.toFixed(2), speedup: +(before.ms / now.ms).toFixed(1), same_tokens: same }));
}
