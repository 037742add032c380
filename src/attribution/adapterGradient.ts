/**
 * The projected gradient of an answer's loss w.r.t. an adapter's LoRA parameters, from the adapter's weights alone
 * (no live trainer): a one-example trainer on the CPU train ops over the f32 base, the adapter's A and B written in
 * through the trainer's own checkpoint format (its parameter names and shapes), `exampleGradient` on the answer
 * example, then `projectLoraGradient` with the training log's spec. The engine worker's `answerGradient` (the app's
 * influence) and `verify-record` both take it here, so a record and its verification compute the same numbers.
 */
import { TributaryError } from '../core/errors.ts';
import { readSafetensorsSync, writeSafetensors } from '../engine/formats/safetensors.ts';
import type { PeftAdapter } from '../engine/lora/peft.ts';
import type { LlamaConfig, LlamaWeights, LoraTarget } from '../engine/model/types.ts';
import { createCpuTrainOps } from '../engine/train/cpu/cpuTrainOps.ts';
import { projectLoraGradient, type ProjectionSpec } from '../engine/train/projectLoraGradient.ts';
import { createTrainer } from '../engine/train/trainer.ts';
import type { TrainExample } from '../engine/train/types.ts';

export interface AdapterGradientInput {
  config: LlamaConfig;
  /** the base model's weights in f32 (the trainer's frozen base) */
  base: LlamaWeights;
  adapter: PeftAdapter;
  /** the training log's projection */
  spec: ProjectionSpec;
  example: TrainExample;
  /** the trainer's sequence length (at least the example's) */
  seqLen: number;
  /** the token id that pads sequences (the model's first end-of-sequence id, as ModelFactory trains) */
  padId: number;
  /** names the adapter in errors */
  subject?: string;
}

/** @throws TributaryError `attribution/invalid-input` when the adapter does not fit the base or uses rsLoRA scaling */
export async function adapterAnswerGradient(input: AdapterGradientInput): Promise<Float32Array> {
  const { adapter, config } = input;
  if (adapter.meta.useRslora) throw new TributaryError('attribution/invalid-input', 'The adapter uses rsLoRA scaling, which the trainer does not reproduce: its gradient cannot be taken.', input.subject);
  const trainer = await createTrainer({
    ops: createCpuTrainOps(),
    config,
    weights: input.base,
    train: { mode: 'lora', rank: adapter.weights.rank, alpha: adapter.weights.alpha, targetModules: adapter.meta.targets as LoraTarget[], dropout: 0, seqLen: input.seqLen, batchSize: 1, epochs: 1, warmup: 0, baseQuant: 'none' },
    examples: [input.example],
    padId: input.padId,
    log: false,
  });
  try {
    const state = await trainer.state();
    const tensors = readSafetensorsSync(state.bytes).tensors.map((x) => {
      const m = /^layers\.(\d+)\.(\w+)\.lora_([AB])$/.exec(x.name);
      if (!m) return { name: x.name, shape: x.shape, data: x.data };
      const w = adapter.weights.layers[Number(m[1])]?.[m[2] as LoraTarget]?.[m[3] as 'A' | 'B'];
      if (!w || w.length !== x.data.length) throw new TributaryError('attribution/invalid-input', `The adapter's ${x.name} does not fit its base model.`, input.subject);
      return { name: x.name, shape: x.shape, data: w };
    });
    await trainer.restore({ json: state.json, bytes: writeSafetensors(tensors) });
    return projectLoraGradient(await trainer.exampleGradient(input.example), input.spec);
  } finally {
    trainer.dispose();
  }
}
