// Engine-only decode/prefill speed of the WebGPU backend on whatever adapter Dawn finds (a real GPU on the device
// machine), both kernel families, f32/f16/int8/int4, SmolLM2-135M shape (random weights). Not part of the product.
import { writeFileSync } from 'node:fs';
import { create, globals } from 'webgpu';
import { createModel } from '../../src/engine/model/llama.ts';
import { randomModel } from '../../src/engine/model/randomModel.ts';
import { WebGpuBackend } from '../../src/engine/webgpu/webgpuBackend.ts';

Object.assign(globalThis, globals);
const smolLm2 = { vocabSize: 49152, hiddenSize: 576, intermediateSize: 1536, numLayers: 30, numHeads: 9, numKvHeads: 3, headDim: 64, rmsNormEps: 1e-5, ropeTheta: 100000, maxPositionEmbeddings: 2048, tieWordEmbeddings: true, attentionBias: false };
// SMOKE=1: a tiny model, to check the script on SwiftShader before spending device time
const shape = process.env['SMOKE'] ? { ...smolLm2, vocabSize: 512, hiddenSize: 64, intermediateSize: 128, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 16 } : smolLm2;
const { config, weights } = randomModel({ seed: 135, ...shape });
const P = process.env['SMOKE'] ? 8 : 64;
const D = process.env['SMOKE'] ? 4 : 64;
const results: Record<string, unknown>[] = [];
for (const kernels of ['gpu', 'coarse'] as const) {
  for (const quant of ['f32', 'f16', 'q8', 'q4'] as const) {
    const b = await WebGpuBackend.create({ gpu: create([]), kernels, timeoutMs: 120_000 });
    const m = createModel(b, config, weights, { quant });
    const prompt = Array.from({ length: P }, (_, i) => (i * 7919 + 13) % config.vocabSize);
    let best = { prefill: 0, decode: 0, decodeCandidates: 0, encodeMs: Infinity };
    let dispatchesPerStep = 0;
    for (let round = 0; round < 3; round++) {
      // whole logits rows read back and argmax on the host, as before the candidates path existed
      let seq = m.createSequence(P + 2 * D + 1);
      let t = performance.now();
      let logits = await m.prefill(prompt, seq);
      const prefill = P / ((performance.now() - t) / 1000);
      t = performance.now();
      for (let i = 0; i < D; i++) {
        let am = 0;
        for (let j = 1; j < logits.length; j++) if (logits[j]! > logits[am]!) am = j;
        logits = await m.decodeStep(am, seq);
      }
      const decode = D / ((performance.now() - t) / 1000);
      seq.dispose();
      // greedy from each row's top 64 selected on the GPU (what generate() does there); host encode time per step
      seq = m.createSequence(P + 2 * D + 1);
      let [row] = await m.forwardCandidates([{ seq, tokens: prompt }], 64);
      let encode = 0;
      const d0 = b.rt.dispatches;
      t = performance.now();
      for (let i = 0; i < D; i++) {
        const next = row instanceof Float32Array ? row.indexOf(Math.max(...row)) : row!.ids[0]!;
        const e0 = performance.now();
        const pass = m.forwardCandidates([{ seq, tokens: [next] }], 64);
        encode += performance.now() - e0;
        [row] = await pass;
      }
      const decodeCandidates = D / ((performance.now() - t) / 1000);
      dispatchesPerStep = (b.rt.dispatches - d0) / D;
      seq.dispose();
      if (round > 0) best = { prefill: Math.max(best.prefill, prefill), decode: Math.max(best.decode, decode), decodeCandidates: Math.max(best.decodeCandidates, decodeCandidates), encodeMs: Math.min(best.encodeMs, encode / D) };
    }
    const r = { kernels, quant, adapter: `${b.info.vendor} ${b.info.architecture} ${b.info.description}`, prefill_tokens_per_s: best.prefill, decode_tokens_per_s: best.decode, decode_candidates_tokens_per_s: best.decodeCandidates, host_encode_ms_per_step: best.encodeMs, dispatches_per_step: dispatchesPerStep };
    console.log(JSON.stringify(r));
    results.push(r);
    m.dispose();
  }
}
writeFileSync(process.env['OUTFILE'] ?? 'decode-gpu.json', JSON.stringify({ shape, prefill: P, decode: D, results }, null, 2));
process.exit(0);
