/**
 * Gradient influence of training examples on an answer, in the projected LoRA-gradient space of the training
 * log (train-cpu's `projectLoraGradient`: the answer's gradient is projected with the log's own spec, so both
 * live in one space).
 *
 * - TracIn-style (Pruthi et al. 2020): `score_i = Σ_c lr_c · ⟨g, G_c[i]⟩` over the logged checkpoints c, where
 *   g is the projected gradient of the answer's loss. (TracIn takes g at each checkpoint; we have the final
 *   adapter only, so g is taken at the final weights: the common "last checkpoint query" simplification.)
 * - Damped inverse (DataInf's target, Kwon et al. 2024): `score_i = Σ_c lr_c · ⟨(F_c + λ I)^{-1} g, G_c[i]⟩`,
 *   F_c = (1/n) Σ_j G_c[j] G_c[j]ᵀ the empirical Fisher of the projected gradients. DataInf approximates this
 *   inverse per example with Sherman–Morrison because its gradients are huge; in the projected space (a few
 *   hundred dimensions) we solve it exactly: a Cholesky factorisation, O(n·D² + D³), once per training log
 *   (`prepareDampedInverse`), then O(D² + n·D) per query.
 *   λ = `dampingRatio` × mean eigenvalue of F_c (trace / D), so the damping scales with the gradients.
 *
 * A positive score means the example's gradient points the same way as the answer's: training on it lowered
 * the answer's loss (helped the model say this).
 */
import { TributaryError } from '../core/errors.ts';

export interface InfluenceCheckpoint {
  /** the learning rate of the step at that checkpoint (TracIn's weight) */
  lr: number;
  /** n × D projected per-example gradients, row-major */
  gradients: Float32Array;
}

export interface InfluenceInput {
  dim: number;
  examples: number;
  checkpoints: readonly InfluenceCheckpoint[];
}

function check(input: InfluenceInput, g: Float32Array): void {
  const { dim, examples } = input;
  if (g.length !== dim) throw new TributaryError('attribution/invalid-input', `the answer's projected gradient has ${g.length} values, the training log ${dim}.`);
  for (const c of input.checkpoints) {
    if (c.gradients.length !== dim * examples) throw new TributaryError('attribution/invalid-input', `a checkpoint holds ${c.gradients.length} values, expected ${examples}×${dim}.`);
  }
}

/** TracIn-style scores, one per training example. */
export function tracInScores(input: InfluenceInput, g: Float32Array): Float64Array {
  check(input, g);
  const { dim, examples } = input;
  const out = new Float64Array(examples);
  for (const c of input.checkpoints) {
    const G = c.gradients;
    for (let i = 0; i < examples; i++) {
      let dot = 0;
      const base = i * dim;
      for (let j = 0; j < dim; j++) dot += g[j]! * G[base + j]!;
      out[i]! += c.lr * dot;
    }
  }
  return out;
}

/** The Cholesky factors of each checkpoint's damped Fisher: the query-independent part, computed once per log. */
export interface PreparedInverse {
  input: InfluenceInput;
  /** per checkpoint, the lower-triangular factor L of F_c + λ_c I (row-major D×D) */
  factors: Float64Array[];
}

function factorise(A: Float64Array, D: number): void {
  for (let j = 0; j < D; j++) {
    let s = A[j * D + j]!;
    for (let k = 0; k < j; k++) s -= A[j * D + k]! * A[j * D + k]!;
    if (!(s > 0)) throw new TributaryError('attribution/invalid-input', 'the damped Fisher matrix is not positive definite; raise the damping.');
    const l = Math.sqrt(s);
    A[j * D + j] = l;
    for (let i = j + 1; i < D; i++) {
      let t = A[i * D + j]!;
      for (let k = 0; k < j; k++) t -= A[i * D + k]! * A[j * D + k]!;
      A[i * D + j] = t / l;
    }
  }
}

function solveFactored(L: Float64Array, b: ArrayLike<number>, D: number): Float64Array {
  const y = new Float64Array(D);
  for (let i = 0; i < D; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * D + k]! * y[k]!;
    y[i] = s / L[i * D + i]!;
  }
  const x = new Float64Array(D);
  for (let i = D - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < D; k++) s -= L[k * D + i]! * x[k]!;
    x[i] = s / L[i * D + i]!;
  }
  return x;
}

/** Builds and factorises F_c + λ_c I for every checkpoint (O(n·D² + D³) each). */
export function prepareDampedInverse(input: InfluenceInput, dampingRatio = 0.1): PreparedInverse {
  const { dim: D, examples: n } = input;
  const factors = input.checkpoints.map((c) => {
    if (c.gradients.length !== D * n) throw new TributaryError('attribution/invalid-input', `a checkpoint holds ${c.gradients.length} values, expected ${n}×${D}.`);
    const G = c.gradients;
    const F = new Float64Array(D * D);
    const row = new Float64Array(D);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < D; a++) row[a] = G[i * D + a]!;
      for (let a = 0; a < D; a++) {
        const ga = row[a]!;
        if (ga === 0) continue;
        const off = a * D;
        for (let b = 0; b <= a; b++) F[off + b]! += ga * row[b]!;
      }
    }
    let trace = 0;
    for (let a = 0; a < D; a++) {
      for (let b = 0; b <= a; b++) {
        const v = F[a * D + b]! / Math.max(1, n);
        F[a * D + b] = v;
        F[b * D + a] = v;
      }
      trace += F[a * D + a]!;
    }
    const lambda = dampingRatio * (trace / D) || 1e-12;
    for (let a = 0; a < D; a++) F[a * D + a]! += lambda;
    factorise(F, D);
    return F;
  });
  return { input, factors };
}

/** Damped-inverse scores with prepared factors: O(D² + n·D) per query. */
export function dampedInverseScoresPrepared(p: PreparedInverse, g: Float32Array): Float64Array {
  check(p.input, g);
  const { dim: D, examples: n } = p.input;
  const out = new Float64Array(n);
  p.input.checkpoints.forEach((c, k) => {
    const x = solveFactored(p.factors[k]!, g, D);
    const G = c.gradients;
    for (let i = 0; i < n; i++) {
      let dot = 0;
      const base = i * D;
      for (let j = 0; j < D; j++) dot += x[j]! * G[base + j]!;
      out[i]! += c.lr * dot;
    }
  });
  return out;
}

/** Damped-inverse (DataInf-target) scores, one per training example (prepares the factors, then scores). */
export function dampedInverseScores(input: InfluenceInput, g: Float32Array, dampingRatio = 0.1): Float64Array {
  check(input, g);
  return dampedInverseScoresPrepared(prepareDampedInverse(input, dampingRatio), g);
}
