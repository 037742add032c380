/**
 * A compact random projection of a LoRA gradient (LoGra / TRAK style), shared by the training log (the gradient of
 * every training example at a checkpoint) and attribution (the gradient of an answer): both call this function with
 * the same `ProjectionSpec`, so their vectors live in the same space and a dot product between them estimates the
 * dot product of the full LoRA gradients (Johnson–Lindenstrauss: E[⟨Pg, Ph⟩] = ⟨g, h⟩).
 *
 * The gradient is projected module by module: for each LoRA module `m` (layer-major, targets in `LORA_TARGETS`
 * order, only `spec.targets`), the flattened `[vec(dA) (r × in, row-major); vec(dB) (out × r, row-major)]` is
 * multiplied by a Rademacher matrix `S_m [dimPerModule, len]` with entries `±1 / sqrt(dimPerModule)`, the sign of
 * entry `(j, i)` being bit `j mod 32` of `hash32(seed, m, i, floor(j / 32))` (set: −). Nothing is stored: the matrix is regenerated from the seed.
 * Output: `numLayers · targets.length · dimPerModule` floats. A module missing from `grad` projects to zeros.
 *
 * @example
 * const spec = { seed: 7, dimPerModule: 8, numLayers: 4, targets: ['q', 'v'] };
 * const g = projectLoraGradient(await trainer.exampleGradient(example), spec);   // Float32Array(4 · 2 · 8)
 */
import { TributaryError } from '../../core/errors.ts';
import { LORA_TARGETS, type LoraAdapterWeights, type LoraTarget } from '../model/types.ts';

export interface ProjectionSpec {
  seed: number;
  /** output dimensions per LoRA module */
  dimPerModule: number;
  numLayers: number;
  targets: readonly LoraTarget[];
}

/** A 32-bit hash of four integers (murmur3-style finaliser over a running mix). */
export function hash32(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x3c6ef372, 0x9e3779b1) >>> 0;
  h = (h ^ Math.imul(b >>> 0, 0xcc9e2d51)) >>> 0;
  h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) >>> 0;
  h = (h ^ Math.imul(c >>> 0, 0xcc9e2d51)) >>> 0;
  h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) >>> 0;
  h = (h ^ Math.imul(d >>> 0, 0xcc9e2d51)) >>> 0;
  h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The projection's output length. */
export function projectionDim(spec: ProjectionSpec): number {
  return spec.numLayers * spec.targets.length * spec.dimPerModule;
}

export function projectLoraGradient(grad: LoraAdapterWeights, spec: ProjectionSpec): Float32Array {
  if (!Number.isInteger(spec.dimPerModule) || spec.dimPerModule < 1) throw new TributaryError('train/config', `must be a whole number ≥ 1 (got ${spec.dimPerModule}).`, 'dimPerModule');
  if (grad.layers.length !== spec.numLayers) throw new TributaryError('engine/bad-shape', `projectLoraGradient: the gradient has ${grad.layers.length} layers, the projection ${spec.numLayers}.`);
  const d = spec.dimPerModule;
  const targets = LORA_TARGETS.filter((t) => spec.targets.includes(t));
  const out = new Float32Array(projectionDim(spec));
  const inv = 1 / Math.sqrt(d);
  const acc = new Float64Array(d);
  let m = 0;
  for (let l = 0; l < spec.numLayers; l++) {
    for (const t of targets) {
      const g = grad.layers[l]![t];
      if (g) {
        acc.fill(0);
        const nA = g.A.length;
        const len = nA + g.B.length;
        for (let i = 0; i < len; i++) {
          const x = i < nA ? g.A[i]! : g.B[i - nA]!;
          if (x === 0) continue;
          for (let j0 = 0; j0 < d; j0 += 32) {
            const bits = hash32(spec.seed, m, i, j0 >> 5);
            const jn = Math.min(32, d - j0);
            for (let j = 0; j < jn; j++) acc[j0 + j] = acc[j0 + j]! + (((bits >>> j) & 1) === 0 ? x : -x);
          }
        }
        for (let j = 0; j < d; j++) out[m * d + j] = acc[j]! * inv;
      }
      m++;
    }
  }
  return out;
}
