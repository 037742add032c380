import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../cpu/cpuBackend.ts';
import { parsePeftAdapter } from '../lora/peft.ts';
import { createModel } from '../model/llama.ts';
import { randomModel } from '../model/randomModel.ts';
import { createCpuTrainOps } from './cpu/cpuTrainOps.ts';
import { projectionDim } from './projectLoraGradient.ts';
import { createTrainer } from './trainer.ts';
import { readTrainingLog, TRAINING_LOG_JSON, TRAINING_LOG_TENSORS } from './trainingLog.ts';
import type { TrainConfig, TrainExample } from './types.ts';

const { config, weights } = randomModel({ seed: 11, vocabSize: 40, hiddenSize: 32, intermediateSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2 });

/** A tiny "Datanet": four repeated patterns, the first half of each a prompt (no loss), the rest the answer. */
function examples(): TrainExample[] {
  return [0, 1, 2, 3].map((k) => {
    const tokens = Int32Array.from({ length: 12 + k }, (_, i) => (i < 4 ? 30 + k : (i * (k + 3) + k) % 29) + 1);
    const lossMask = Uint8Array.from(tokens, (_, i) => (i >= 4 ? 1 : 0));
    return { tokens, lossMask, source: { contributionId: `c${k}`, passageIndex: k } };
  });
}

const base: Partial<TrainConfig> = { rank: 4, alpha: 8, lr: 1e-2, epochs: 8, batchSize: 2, seqLen: 32, warmup: 2, seed: 7, targetModules: ['q', 'v', 'o', 'down'] };

describe('Trainer (CPU)', () => {
  it('the loss falls on a small set (LoRA)', async () => {
    const t = await createTrainer({ ops: createCpuTrainOps(), config, weights, train: base, examples: examples(), padId: 0, log: false });
    const before = await t.evaluate(examples());
    const losses: number[] = [];
    while (!t.done) losses.push((await t.step()).loss);
    const after = await t.evaluate(examples());
    expect(t.totalSteps).toBe(16);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(after.loss).toBeLessThan(before.loss * 0.6);
    expect(losses.slice(-3).reduce((a, b) => a + b) / 3).toBeLessThan(losses.slice(0, 3).reduce((a, b) => a + b) / 3);
  });

  it('the loss falls in full training too, with gradient accumulation and clipping', async () => {
    const t = await createTrainer({ ops: createCpuTrainOps(), config, weights, train: { ...base, mode: 'full', lr: 3e-3, gradAccum: 2, batchSize: 1, clip: 0.5, weightDecay: 0.01 }, examples: examples(), padId: 0 });
    const before = await t.evaluate(examples());
    let last;
    while (!t.done) last = await t.step();
    expect(last!.gradNorm).toBeGreaterThan(0);
    expect((await t.evaluate(examples())).loss).toBeLessThan(before.loss * 0.7);
    const w = await t.modelWeights();
    expect(w.layers[0]!.q.data).not.toEqual(weights.layers[0]!.q.data);
  });

  it('same seed, same run; a checkpoint resumes with the same loss curve as the uninterrupted run', async () => {
    const cfg = { ...base, dropout: 0.1, gradAccum: 2, epochs: 4 };
    const a = await createTrainer({ ops: createCpuTrainOps(), config, weights, train: cfg, examples: examples(), padId: 0, log: false });
    const curveA: number[] = [];
    while (!a.done) curveA.push((await a.step()).loss);
    const b = await createTrainer({ ops: createCpuTrainOps(), config, weights, train: cfg, examples: examples(), padId: 0, log: false });
    const curveB: number[] = [];
    for (let i = 0; i < 3; i++) curveB.push((await b.step()).loss);
    const ckpt = await b.state();
    b.dispose();
    // a fresh trainer (a reloaded tab) continues from the checkpoint, through a JSON round trip of its metadata
    const c = await createTrainer({ ops: createCpuTrainOps(), config, weights, train: cfg, examples: examples(), padId: 0, log: false });
    await c.restore({ json: JSON.parse(JSON.stringify(ckpt.json)), bytes: ckpt.bytes.slice() });
    expect(c.stepIndex).toBe(3);
    while (!c.done) curveB.push((await c.step()).loss);
    expect(curveB).toEqual(curveA);
    expect(await c.loraWeights()).toEqual(await a.loraWeights());
    // a checkpoint of other settings or data is refused
    const d = await createTrainer({ ops: createCpuTrainOps(), config, weights, train: { ...cfg, lr: 0.5 }, examples: examples(), padId: 0, log: false });
    await expect(d.restore(ckpt)).rejects.toThrow(/other training settings/);
    const e = await createTrainer({ ops: createCpuTrainOps(), config, weights, train: cfg, examples: examples().slice(1), padId: 0, log: false });
    await expect(e.restore(ckpt)).rejects.toThrow(/other examples/);
  });

  it('the PEFT export reloads in the inference engine with identical outputs, with the training log beside it', async () => {
    const exs = examples();
    const t = await createTrainer({ ops: createCpuTrainOps(), config, weights, train: { ...base, epochs: 2 }, examples: exs, padId: 0, log: { dimPerModule: 4, checkpoints: [2] } });
    while (!t.done) await t.step();
    const files = await t.exportPeft({ name: 'tiny', datanets: ['dn-x'] });
    const adapter = parsePeftAdapter({ config: files['adapter_config.json']!, weights: files['adapter_model.safetensors']! }, config);
    expect(adapter.weights.layers).toEqual((await t.loraWeights()).layers);
    expect(adapter.meta.targets).toEqual(['q', 'v', 'o', 'down']);
    // the inference engine with the adapter in a slot gives the same per-token loss as the trainer's forward
    const model = createModel(createCpuBackend(), config, weights, { lora: { slots: 1, maxRank: 4 } });
    model.setLoraSlot(0, adapter.weights);
    let sum = 0;
    let n = 0;
    for (const ex of exs) {
      const seq = model.createSequence();
      const [logits] = await model.forward([{ seq, tokens: Array.from(ex.tokens), adapterSlot: 0 }], { allLogits: true });
      const V = config.vocabSize;
      for (let i = 0; i + 1 < ex.tokens.length; i++) {
        if (!ex.lossMask[i + 1]) continue;
        const row = logits!.subarray(i * V, (i + 1) * V);
        const m = Math.max(...row);
        const lse = m + Math.log(row.reduce((a, x) => a + Math.exp(x - m), 0));
        sum += lse - row[ex.tokens[i + 1]!]!;
        n++;
      }
      seq.dispose();
    }
    const ev = await t.evaluate(exs);
    expect(ev.tokens).toBe(n);
    expect(sum / n).toBeCloseTo(ev.loss, 4);
    // training log: every example's source, the projected gradients at step 2 and at the end
    const log = readTrainingLog({ json: files[TRAINING_LOG_JSON]!, tensors: files[TRAINING_LOG_TENSORS]! });
    expect(log.examples.map((e) => e.contributionId)).toEqual(['c0', 'c1', 'c2', 'c3']);
    expect(log.projection.dim).toBe(projectionDim({ seed: 7, dimPerModule: 4, numLayers: 2, targets: ['q', 'v', 'o', 'down'] }));
    expect(log.projection.bytesPerExample).toBe(2 * log.projection.dim);
    expect(log.checkpoints.map((c) => c.step)).toEqual([2]);
    expect(log.gradients[0]!.length).toBe(4 * log.projection.dim);
    expect(log.gradients[0]!.some((x) => x !== 0)).toBe(true);
  });

  it('the training log survives a checkpoint: a run resumed between log checkpoints exports the same log', async () => {
    const exs = examples();
    const mk = () => createTrainer({ ops: createCpuTrainOps(), config, weights, train: { ...base, epochs: 3 }, examples: exs, padId: 0, log: { dimPerModule: 4, checkpoints: [1, 3] } });
    const a = await mk();
    while (!a.done) await a.step();
    const whole = await a.exportPeft({ name: 'tiny', datanets: ['dn-x'] });
    const b = await mk();
    await b.step();
    await b.step();
    const ckpt = await b.state();
    expect(ckpt.json.logCheckpoints?.map((c) => c.step)).toEqual([1]);
    const c = await mk();
    await c.restore({ json: JSON.parse(JSON.stringify(ckpt.json)), bytes: ckpt.bytes.slice() });
    expect(c.trainingLog().checkpoints.map((x) => x.step)).toEqual([1]);
    while (!c.done) await c.step();
    const resumed = await c.exportPeft({ name: 'tiny', datanets: ['dn-x'] });
    expect(resumed[TRAINING_LOG_JSON]).toEqual(whole[TRAINING_LOG_JSON]);
    expect(resumed[TRAINING_LOG_TENSORS]).toEqual(whole[TRAINING_LOG_TENSORS]);
    // a checkpoint whose log tensor is missing is refused, and the trainer keeps its state
    const broken = { json: { ...ckpt.json, logCheckpoints: [{ step: 1, lr: 0.01, tensor: 'step9' }] }, bytes: ckpt.bytes };
    const d = await mk();
    await expect(d.restore(broken)).rejects.toThrow(/training-log entry "step9"/);
    expect(d.stepIndex).toBe(0);
  });

  it('refuses bad hyper-parameters and empty example sets with clear messages', async () => {
    const mk = (train: Partial<TrainConfig>, exs = examples()) => createTrainer({ ops: createCpuTrainOps(), config, weights, train, examples: exs, padId: 0 });
    await expect(mk({ rank: 0 })).rejects.toThrow(/rank: must be a whole number from 1 to 256 \(got 0\)/);
    await expect(mk({ lr: -1 })).rejects.toThrow(/lr: must be a number above 0/);
    await expect(mk({ dropout: 1 })).rejects.toThrow(/dropout/);
    await expect(mk({ targetModules: [] })).rejects.toThrow(/at least one target module/);
    await expect(mk({ targetModules: ['lm_head' as never] })).rejects.toThrow(/not a target module/);
    await expect(mk({ mode: 'full', baseQuant: 'int4' })).rejects.toThrow(/cannot be quantised/);
    await expect(mk({ seqLen: 100000 })).rejects.toThrow(/seqLen/);
    await expect(mk({ batchSize: 2.5 })).rejects.toThrow(/batchSize/);
    await expect(mk({}, [])).rejects.toMatchObject({ code: 'train/no-examples' });
    const noMask = examples().map((e) => ({ ...e, lossMask: new Uint8Array(e.tokens.length) }));
    await expect(mk({}, noMask)).rejects.toMatchObject({ code: 'train/no-examples' });
  });

  it('QLoRA: trains over an int8 base', async () => {
    const { config: c2, weights: w2 } = randomModel({ seed: 12, vocabSize: 40, hiddenSize: 32, intermediateSize: 64, numLayers: 1, numHeads: 2, numKvHeads: 1 });
    const t = await createTrainer({ ops: createCpuTrainOps(), config: c2, weights: w2, train: { ...base, baseQuant: 'int8', epochs: 6 }, examples: examples(), padId: 0, log: false });
    const before = await t.evaluate(examples());
    while (!t.done) await t.step();
    expect((await t.evaluate(examples())).loss).toBeLessThan(before.loss);
  });
});
