/**
 * Logits parity: the engine (CPU backend, f32 weights) against onnxruntime-web (wasm) running the same random-weight
 * Llama written independently as an ONNX graph. Tolerance: max |Δlogit| ≤ 1e-4 over every position and vocabulary
 * entry (logits reach ±45 here; both sides compute in f32; the engine's WASM SIMD matmul accumulates in f32, its plain-JS
 * kernels in f64; both paths are checked).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '../../../engine/cpu/cpuBackend.ts';
import { createModel } from '../../../engine/model/llama.ts';
import { randomAdapter, randomModel } from '../../../engine/model/randomModel.ts';
import type { LlamaConfig, LlamaWeights } from '../../../engine/model/types.ts';
import { foldLora } from './foldLora.ts';
import { createOrtReference, type OrtReference } from './ortReference.ts';

const TOL = 1e-4;
const prompt = [5, 77, 12, 299, 0, 150, 150, 3, 42, 8, 250, 199];

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  if (process.env['PARITY_VERBOSE']) console.log(`max |Δlogit| = ${m.toExponential(2)}`);
  return m;
}

function spread(a: Float32Array): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of a) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return hi - lo;
}

const refs: OrtReference[] = [];
afterAll(async () => {
  for (const r of refs) await r.release();
});

async function engineLogits(config: LlamaConfig, weights: LlamaWeights, adapter?: ReturnType<typeof randomAdapter>, simd = true): Promise<Float32Array> {
  const model = createModel(createCpuBackend({ simd }), config, weights, adapter ? { lora: { slots: 2, maxRank: 8 } } : {});
  if (adapter) model.setLoraSlot(1, adapter);
  const seq = model.createSequence(64);
  return model.prefill(prompt, seq, { allLogits: true, adapterSlot: adapter ? 1 : -1 });
}

describe('engine logits vs onnxruntime-web (wasm)', () => {
  const cases: [string, Parameters<typeof randomModel>[0]][] = [
    ['tiny Llama (2 layers, hidden 64, 4 heads / 2 KV heads, tied)', { seed: 1 }],
    ['Qwen2-style q/k/v bias, untied head, MHA', { seed: 2, attentionBias: true, tieWordEmbeddings: false, numKvHeads: 4 }],
    ['llama3 RoPE scaling, 3 layers, 1 KV head', { seed: 3, numLayers: 3, numKvHeads: 1, ropeTheta: 500000, ropeScaling: { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8 } }],
  ];
  for (const [label, opts] of cases) {
    it(`base: ${label}`, async () => {
      const { config, weights } = randomModel(opts);
      const ref = await createOrtReference(config, weights);
      refs.push(ref);
      const want = await ref.logits(prompt);
      const got = await engineLogits(config, weights);
      expect(spread(want)).toBeGreaterThan(5); // the logits are far from flat: the comparison means something
      expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(TOL);
      // and the plain-JS kernels (no WASM SIMD)
      expect(maxAbsDiff(await engineLogits(config, weights, undefined, false), want)).toBeLessThanOrEqual(TOL);
    });
  }

  it('base + LoRA on all seven modules (ONNX side: W + scale·B·A folded in)', async () => {
    const { config, weights } = randomModel({ seed: 4 });
    const adapter = randomAdapter(config, { seed: 5, rank: 8, alpha: 16 });
    const ref = await createOrtReference(config, foldLora(config, weights, adapter));
    refs.push(ref);
    const want = await ref.logits(prompt);
    const got = await engineLogits(config, weights, adapter);
    const base = await engineLogits(config, weights);
    expect(maxAbsDiff(base, want)).toBeGreaterThan(0.5); // the adapter really changes the output
    expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(TOL);
  });

  it('base + LoRA on q and v only', async () => {
    const { config, weights } = randomModel({ seed: 6, attentionBias: true });
    const adapter = randomAdapter(config, { seed: 7, rank: 4, targets: ['q', 'v'] });
    const ref = await createOrtReference(config, foldLora(config, weights, adapter));
    refs.push(ref);
    expect(maxAbsDiff(await engineLogits(config, weights, adapter), await ref.logits(prompt))).toBeLessThanOrEqual(TOL);
  });

  it('the KV-cache variant of the graph (past/present inputs) agrees, and the engine decode matches ORT decode', async () => {
    const { config, weights } = randomModel({ seed: 8 });
    const ref = await createOrtReference(config, weights, { withPast: true, lastOnly: true });
    refs.push(ref);
    const state = ref.newState();
    const model = createModel(createCpuBackend(), config, weights);
    const seq = model.createSequence(64);
    expect(maxAbsDiff(await model.prefill(prompt, seq), await ref.step(prompt, state))).toBeLessThanOrEqual(TOL);
    for (const t of [17, 4, 230]) expect(maxAbsDiff(await model.decodeStep(t, seq), await ref.step([t], state))).toBeLessThanOrEqual(TOL);
    expect(state.length).toBe(prompt.length + 3);
  });
});
