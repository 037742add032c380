/**
 * `createTrainer`: the `Trainer` (trainerApi.ts) over a `TrainableLlama` on any `TrainOps` backend. One step =
 * `gradAccum` micro-batches of `batchSize` examples (padded to the longest in the micro-batch, rounded up to 8), the
 * loss being the mean over the step's unmasked tokens; then global-norm clipping and AdamW on the device. The data
 * order, dropout masks and learning rate are pure functions of (config, step), so `restore(state())` resumes
 * exactly.
 */
import { TributaryError } from '../../core/errors.ts';
import { sha256Hex } from '../../core/hash.ts';
import { readSafetensorsSync, writeSafetensors } from '../formats/safetensors.ts';
import { createPeftAdapter, writePeftAdapter } from '../lora/peft.ts';
import type { LlamaWeights, LoraAdapterWeights, LoraTarget } from '../model/types.ts';
import { LORA_TARGETS } from '../model/types.ts';
import { hash32, projectLoraGradient, type ProjectionSpec } from './projectLoraGradient.ts';
import { createExampleStream, learningRate, totalSteps as countSteps } from './schedule.ts';
import { createTrainableLlama } from './trainableLlama.ts';
import type { TrainTensor } from './trainOps.ts';
import type { Trainer, TrainerInit } from './trainerApi.ts';
import { createTrainingLog, writeTrainingLog, type TrainingLog } from './trainingLog.ts';
import type { TrainExample, TrainerState, TrainerStateJson } from './types.ts';
import { validateTrainConfig } from './validateTrainConfig.ts';

function checkExamples(examples: readonly TrainExample[], vocab: number, what: string): void {
  if (examples.length === 0) throw new TributaryError('train/no-examples', `There is nothing to ${what}: the example set is empty (a Datanet with no accepted contributions gives none).`);
  examples.forEach((e, i) => {
    if (e.tokens.length < 2 || e.lossMask.length !== e.tokens.length) throw new TributaryError('train/no-examples', `Example ${i} needs at least 2 tokens and a loss mask of the same length.`);
    for (const t of e.tokens) if (!(t >= 0 && t < vocab)) throw new TributaryError('train/no-examples', `Example ${i} has token id ${t}, outside the model's vocabulary (0..${vocab - 1}).`);
  });
  if (!examples.some((e) => e.lossMask.some((m, i) => i > 0 && m !== 0))) throw new TributaryError('train/no-examples', `No example has a token to ${what} on (every loss mask is empty).`);
}

function examplesHash(examples: readonly TrainExample[]): string {
  let n = 0;
  for (const e of examples) n += 4 + e.tokens.length * 5;
  const bytes = new Uint8Array(n);
  const dv = new DataView(bytes.buffer);
  let o = 0;
  for (const e of examples) {
    dv.setUint32(o, e.tokens.length, true);
    o += 4;
    for (let i = 0; i < e.tokens.length; i++, o += 5) {
      dv.setInt32(o, e.tokens[i]!, true);
      bytes[o + 4] = e.lossMask[i]!;
    }
  }
  return sha256Hex(bytes);
}

const trainedTokens = (e: TrainExample): number => {
  let n = 0;
  for (let i = 1; i < e.lossMask.length; i++) n += e.lossMask[i] ? 1 : 0;
  return n;
};

interface Batch {
  tokens: Int32Array;
  targets: Int32Array;
  mask: Float32Array;
  B: number;
  S: number;
}

/** Packs examples into `[B, S]` (S = the longest, capped at `seqLen`, rounded up to 8), padding with `padId`. */
function makeBatch(exs: readonly TrainExample[], seqLen: number, padId: number): Batch {
  const longest = Math.min(seqLen, Math.max(...exs.map((e) => e.tokens.length)));
  const S = Math.min(seqLen, Math.ceil(longest / 8) * 8);
  const B = exs.length;
  const tokens = new Int32Array(B * S).fill(padId);
  const targets = new Int32Array(B * S).fill(-1);
  const mask = new Float32Array(B * S);
  exs.forEach((e, b) => {
    const n = Math.min(S, e.tokens.length);
    tokens.set(e.tokens.subarray(0, n), b * S);
    // row i predicts token i+1
    for (let i = 0; i + 1 < n; i++) {
      if (!e.lossMask[i + 1]) continue;
      targets[b * S + i] = e.tokens[i + 1]!;
      mask[b * S + i] = 1;
    }
  });
  return { tokens, targets, mask, B, S };
}

export async function createTrainer(init: TrainerInit): Promise<Trainer> {
  const { ops, config: mc, weights: base, examples, padId } = init;
  const cfg = validateTrainConfig(init.train, { maxSeqLen: mc.maxPositionEmbeddings });
  checkExamples(examples, mc.vocabSize, 'train');
  if (!(Number.isInteger(padId) && padId >= 0 && padId < mc.vocabSize)) throw new TributaryError('train/config', `must be a token id of the model (got ${padId}).`, 'padId');
  const model = createTrainableLlama(ops, mc, base, cfg);
  const nSteps = countSteps(cfg, examples.length);
  const stream = createExampleStream(examples.length, cfg.seed);
  const hash = examplesHash(examples);
  const normSq = ops.alloc([1]);
  const losses: number[] = [];
  let step = 0;
  const lora = cfg.mode === 'lora';
  const targets: LoraTarget[] = lora ? cfg.targetModules : [];
  const logOpts = init.log === false ? null : (init.log ?? {});
  const spec: ProjectionSpec = { seed: logOpts?.seed ?? cfg.seed, dimPerModule: logOpts?.dimPerModule ?? 8, numLayers: mc.numLayers, targets };
  const log: TrainingLog | null =
    logOpts && lora ? createTrainingLog(examples.map((e) => ({ ...e.source, trainedTokens: trainedTokens(e) })), spec) : null;
  const logSteps = new Set(logOpts?.checkpoints ?? [nSteps]);

  const readLora = async (which: 'value' | 'grad'): Promise<LoraAdapterWeights> => {
    const layers: LoraAdapterWeights['layers'] = [];
    for (let l = 0; l < mc.numLayers; l++) {
      const entry: LoraAdapterWeights['layers'][number] = {};
      for (const t of targets) {
        const m = model.loraModule(l, t)!;
        entry[t] = { A: await ops.read(m.a[which]), B: await ops.read(m.b[which]) };
      }
      layers.push(entry);
    }
    return { rank: cfg.rank, alpha: cfg.alpha, layers };
  };

  const exampleGradient = async (e: TrainExample): Promise<LoraAdapterWeights> => {
    if (!lora) throw new TributaryError('train/config', 'Per-example LoRA gradients need mode "lora".', 'mode');
    checkExamples([e], mc.vocabSize, 'take a gradient');
    const b = makeBatch([e], e.tokens.length, padId);
    const n = b.mask.reduce((a, x) => a + x, 0);
    const w = b.mask.map((x) => x / n);
    model.zeroGrads();
    model.forward(b.tokens, b.B, b.S, b.targets, w, null);
    model.backward();
    return readLora('grad');
  };

  const takeLogCheckpoint = async (): Promise<void> => {
    if (!log || log.checkpoints.some((c) => c.step === step)) return;
    const dim = log.projection.dim;
    const all = new Float32Array(examples.length * dim);
    for (let i = 0; i < examples.length; i++) {
      const g = await exampleGradient(examples[i]!);
      all.set(projectLoraGradient(g, spec), i * dim);
    }
    log.checkpoints.push({ step, lr: learningRate(cfg, Math.max(0, step - 1), nSteps), tensor: `step${step}` });
    log.gradients.push(all);
  };

  const trainer: Trainer = {
    config: cfg,
    totalSteps: nSteps,
    get stepIndex() {
      return step;
    },
    get done() {
      return step >= nSteps;
    },
    async step() {
      if (step >= nSteps) throw new TributaryError('train/state', `Training is finished (${nSteps} steps).`);
      const per = cfg.batchSize;
      const micro: TrainExample[][] = [];
      for (let a = 0; a < cfg.gradAccum; a++) {
        const first = (step * cfg.gradAccum + a) * per;
        micro.push(Array.from({ length: per }, (_, k) => examples[stream(first + k)]!));
      }
      const batches = micro.map((m) => makeBatch(m, cfg.seqLen, padId));
      let tokens = 0;
      for (const b of batches) for (const x of b.mask) tokens += x;
      model.zeroGrads();
      // the whole step is queued before the host waits once: each micro-batch's loss rows are copied aside (the
      // next forward overwrites them) and read with the gradient norm after AdamW, which reads the clip factor on
      // the device
      const lossRows: TrainTensor[] = [];
      for (let a = 0; a < batches.length; a++) {
        const b = batches[a]!;
        const w = tokens > 0 ? b.mask.map((x) => x / tokens) : b.mask;
        const seed = cfg.dropout > 0 ? hash32(cfg.seed, step, a, 0xd0) : null;
        model.forward(b.tokens, b.B, b.S, b.targets, w, seed);
        const rows = ops.alloc([b.B * b.S]);
        ops.copy(model.loss(), rows);
        lossRows.push(rows);
        model.backward();
      }
      ops.sumSquares(model.params.map((p) => p.grad), normSq);
      const lr = learningRate(cfg, step, nSteps);
      const clip = cfg.clip > 0 ? { maxNorm: cfg.clip, normSq } : null;
      for (const p of model.params) {
        ops.adamw(p.value, p.grad, p.m, p.v, { lr, beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, weightDecay: p.decay ? cfg.weightDecay : 0, step: step + 1, clip });
      }
      let read: Float32Array[];
      try {
        read = await Promise.all([ops.read(normSq), ...lossRows.map((t) => ops.read(t))]);
      } finally {
        for (const t of lossRows) ops.dispose(t);
      }
      const gradNorm = Math.sqrt(read[0]![0]!);
      let lossSum = 0;
      batches.forEach((b, a) => {
        const l = read[a + 1]!;
        for (let i = 0; i < l.length; i++) lossSum += l[i]! * b.mask[i]!;
      });
      step++;
      const loss = tokens > 0 ? lossSum / tokens : 0;
      losses.push(loss);
      if (logSteps.has(step)) await takeLogCheckpoint();
      return { step, totalSteps: nSteps, loss, tokens, lr, gradNorm, epoch: (step * cfg.batchSize * cfg.gradAccum) / examples.length };
    },
    async evaluate(exs) {
      checkExamples(exs, mc.vocabSize, 'evaluate');
      let sum = 0;
      let n = 0;
      for (let i = 0; i < exs.length; i += cfg.batchSize) {
        const b = makeBatch(exs.slice(i, i + cfg.batchSize), cfg.seqLen, padId);
        model.forward(b.tokens, b.B, b.S, b.targets, b.mask, null);
        const l = await ops.read(model.loss());
        for (let k = 0; k < l.length; k++) {
          sum += l[k]! * b.mask[k]!;
          n += b.mask[k]!;
        }
      }
      const loss = n > 0 ? sum / n : 0;
      return { loss, perplexity: Math.exp(loss), tokens: n };
    },
    async state(): Promise<TrainerState> {
      const tensors = [];
      for (const p of model.params) {
        tensors.push({ name: p.name, shape: p.shape, data: await ops.read(p.value) });
        tensors.push({ name: `${p.name}.adam_m`, shape: p.shape, data: await ops.read(p.m) });
        tensors.push({ name: `${p.name}.adam_v`, shape: p.shape, data: await ops.read(p.v) });
      }
      // the attribution log's checkpoints so far travel with the state: a resumed run exports the same log
      const logCheckpoints = log ? log.checkpoints.map((c) => ({ ...c })) : [];
      if (log) log.gradients.forEach((g, i) => tensors.push({ name: `log.${log.checkpoints[i]!.tensor}`, shape: [examples.length, log.projection.dim], data: g }));
      const json: TrainerStateJson = { format: 'tributary-trainer-state', version: 1, step, config: { ...cfg, targetModules: [...cfg.targetModules] }, examplesHash: hash, losses: [...losses], logCheckpoints };
      return { json, bytes: writeSafetensors(tensors, { format: 'tributary-trainer-state' }) };
    },
    async restore(s) {
      const j = s.json;
      if (j?.format !== 'tributary-trainer-state' || j.version !== 1) throw new TributaryError('train/state', 'This is not a Tributary training checkpoint.');
      if (JSON.stringify(validateTrainConfig(j.config)) !== JSON.stringify(cfg)) throw new TributaryError('train/state', 'The checkpoint was made with other training settings; start a new run or use the same settings.');
      if (j.examplesHash !== hash) throw new TributaryError('train/state', 'The checkpoint was made on other examples (the Datanets changed); start a new run.');
      if (!(Number.isInteger(j.step) && j.step >= 0 && j.step <= nSteps)) throw new TributaryError('train/state', `The checkpoint's step ${j.step} is outside this run (0..${nSteps}).`);
      let tensors;
      try {
        tensors = new Map(readSafetensorsSync(s.bytes).tensors.map((t) => [t.name, t]));
      } catch (e) {
        throw new TributaryError('train/state', `The checkpoint's weights cannot be read (${(e as Error).message}).`);
      }
      const writes: [typeof model.params[number]['value'], Float32Array][] = [];
      for (const p of model.params) {
        for (const [suffix, t] of [['', p.value], ['.adam_m', p.m], ['.adam_v', p.v]] as const) {
          const src = tensors.get(p.name + suffix);
          if (!src || src.data.length !== t.size) throw new TributaryError('train/state', `The checkpoint lacks "${p.name + suffix}" or it has the wrong size.`);
          writes.push([t, src.data]);
        }
      }
      const logCheckpoints = j.logCheckpoints ?? [];
      const logGradients: Float32Array[] = [];
      if (log) {
        for (const c of logCheckpoints) {
          const src = tensors.get(`log.${c.tensor}`);
          if (!(Number.isInteger(c.step) && c.step >= 0 && c.step <= j.step) || !src || src.data.length !== examples.length * log.projection.dim)
            throw new TributaryError('train/state', `The checkpoint's training-log entry "${c.tensor}" is missing or has the wrong size.`);
          logGradients.push(src.data);
        }
      }
      for (const [t, d] of writes) ops.write(t, d);
      if (log) {
        log.checkpoints.splice(0, log.checkpoints.length, ...logCheckpoints.map((c) => ({ ...c })));
        log.gradients.splice(0, log.gradients.length, ...logGradients);
      }
      step = j.step;
      losses.splice(0, losses.length, ...j.losses);
    },
    loraWeights: () => {
      if (!lora) return Promise.reject(new TributaryError('train/config', 'This run trains the whole model, not a LoRA adapter.', 'mode'));
      return readLora('value');
    },
    async modelWeights(): Promise<LlamaWeights> {
      if (lora) return base;
      const byName = new Map(model.params.map((p) => [p.name, p]));
      const mat = async (name: string, rows: number, cols: number) => ({ kind: 'f32' as const, rows, cols, data: await ops.read(byName.get(name)!.value) });
      const vec = async (name: string) => ops.read(byName.get(name)!.value);
      const H = mc.hiddenSize;
      const layers = [];
      for (let l = 0; l < mc.numLayers; l++) {
        const lw = base.layers[l]!;
        const layer = { ...lw, inputNorm: await vec(`layers.${l}.inputNorm`), postAttentionNorm: await vec(`layers.${l}.postNorm`) };
        for (const t of LORA_TARGETS) layer[t] = await mat(`layers.${l}.${t}`, lw[t].rows, lw[t].cols);
        layers.push(layer);
      }
      const out: LlamaWeights = { embed: await mat('embed', mc.vocabSize, H), layers, finalNorm: await vec('finalNorm') };
      if (byName.has('lmHead')) out.lmHead = await mat('lmHead', mc.vocabSize, H);
      return out;
    },
    exampleGradient,
    trainingLog() {
      if (!log) throw new TributaryError('train/config', 'This run keeps no training log (LoRA runs only, and not with log: false).', 'log');
      return log;
    },
    async exportPeft(info) {
      const w = await trainer.loraWeights();
      const files: Record<string, Uint8Array> = { ...writePeftAdapter(createPeftAdapter(w, mc, info)) };
      if (log) {
        if (log.checkpoints.length === 0) await takeLogCheckpoint();
        Object.assign(files, writeTrainingLog(log));
      }
      return files;
    },
    dispose() {
      model.dispose();
      ops.dispose(normSq);
    },
  };
  return trainer;
}
