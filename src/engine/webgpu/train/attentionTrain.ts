/// <reference types="@webgpu/types" />
/**
 * Causal GQA attention for training on the GPU: `attentionTrainForward` (shaders/train/attention_train.wgsl) writes
 * the output and each (row, head)'s softmax log-sum-exp; `attentionBackward` (shaders/train/attention_backward.wgsl)
 * recomputes the probabilities from it and adds to dq, dk, dv. Twins: the CPU TrainOps'
 * `attention` / `attentionBackward` (src/engine/train/cpu/cpuTrainOps.ts). Rows are B sequences of S rows (T = B·S), each attending causally within itself; q/out
 * `[T, nHeads, hd]`, k/v `[T, nKv, hd]`; hd % 4 == 0 and ≤ 128.
 *
 * @example
 * attentionTrainForward(rt, s, q, k, v, out, lse);
 * attentionBackward(rt, s, q, k, v, out, lse, dout, delta, dq, dk, dv);
 */
import type { GpuRuntime } from '../runtime.ts';
import { checkOutputs } from './checkAliasing.ts';
import { badShape, checkBuffer, checkGroups, checkInt, dispatch1d, type Uniform } from '../program.ts';

export interface AttentionShape {
  T: number;
  /** rows per sequence (T % S == 0) */
  S: number;
  nHeads: number;
  nKv: number;
  hd: number;
}

function check(op: string, s: AttentionShape): Uniform[] {
  checkInt(op, 'T', s.T);
  checkInt(op, 'S', s.S);
  checkInt(op, 'nHeads', s.nHeads);
  checkInt(op, 'nKv', s.nKv);
  checkInt(op, 'hd', s.hd, 4, 128);
  if (s.T % s.S !== 0) throw badShape(op, `T (${s.T}) must be a whole number of sequences of S = ${s.S} rows.`);
  if (s.nHeads % s.nKv !== 0) throw badShape(op, `${s.nHeads} query heads cannot be grouped over ${s.nKv} KV heads.`);
  if (s.hd % 4 !== 0) throw badShape(op, `the head size ${s.hd} must be a multiple of 4.`);
  return [{ u32: s.T }, { u32: s.S }, { u32: s.nHeads }, { u32: s.nKv }, { u32: s.hd }, { f32: 1 / Math.sqrt(s.hd) }, { u32: 0 }, { u32: 0 }];
}

export function attentionTrainForward(rt: GpuRuntime, s: AttentionShape, q: GPUBuffer, k: GPUBuffer, v: GPUBuffer, out: GPUBuffer, lse: GPUBuffer): void {
  const op = 'attentionTrainForward';
  const uniforms = check(op, s);
  const qn = s.T * s.nHeads * s.hd;
  const kn = s.T * s.nKv * s.hd;
  checkBuffer(op, 'q', q, qn);
  checkBuffer(op, 'k', k, kn);
  checkBuffer(op, 'v', v, kn);
  checkBuffer(op, 'out', out, qn);
  checkBuffer(op, 'lse', lse, s.T * s.nHeads);
  checkOutputs(op, [q, k, v], { out, lse });
  const dispatch = dispatch1d(s.T * s.nHeads, 64);
  checkGroups(op, dispatch);
  rt.run({
    name: op,
    shader: ['train/attention_train'],
    uniforms,
    bindings: [
      { binding: 1, buffer: q },
      { binding: 2, buffer: k },
      { binding: 3, buffer: v },
      { binding: 4, buffer: out },
      { binding: 5, buffer: lse },
    ],
    dispatch,
  });
}

/** `delta` is T·nHeads values of scratch. */
export function attentionBackward(
  rt: GpuRuntime,
  s: AttentionShape,
  q: GPUBuffer,
  k: GPUBuffer,
  v: GPUBuffer,
  out: GPUBuffer,
  lse: GPUBuffer,
  dout: GPUBuffer,
  delta: GPUBuffer,
  dq: GPUBuffer,
  dk: GPUBuffer,
  dv: GPUBuffer,
): void {
  const op = 'attentionBackward';
  const uniforms = check(op, s);
  const qn = s.T * s.nHeads * s.hd;
  const kn = s.T * s.nKv * s.hd;
  for (const [what, b, n] of [['q', q, qn], ['k', k, kn], ['v', v, kn], ['out', out, qn], ['lse', lse, s.T * s.nHeads], ['dout', dout, qn], ['delta', delta, s.T * s.nHeads], ['dq', dq, qn], ['dk', dk, kn], ['dv', dv, kn]] as const) {
    checkBuffer(op, what, b, n);
  }
  checkOutputs(op, [q, k, v, out, lse, dout], { delta, dq, dk, dv });
  const rows = dispatch1d(s.T * s.nHeads, 64);
  checkGroups(op, rows);
  rt.run({
    name: `${op}-delta`,
    shader: ['train/attention_backward'],
    entryPoint: 'delta',
    uniforms,
    bindings: [
      { binding: 4, buffer: out },
      { binding: 6, buffer: dout },
      { binding: 7, buffer: delta },
    ],
    dispatch: rows,
  });
  rt.run({
    name: `${op}-dq`,
    shader: ['train/attention_backward'],
    entryPoint: 'dq_main',
    uniforms,
    bindings: [
      { binding: 1, buffer: q },
      { binding: 2, buffer: k },
      { binding: 3, buffer: v },
      { binding: 5, buffer: lse },
      { binding: 6, buffer: dout },
      { binding: 7, buffer: delta },
      { binding: 8, buffer: dq },
    ],
    dispatch: rows,
  });
  rt.run({
    name: `${op}-dkv`,
    shader: ['train/attention_backward'],
    entryPoint: 'dkv',
    uniforms,
    bindings: [
      { binding: 1, buffer: q },
      { binding: 2, buffer: k },
      { binding: 3, buffer: v },
      { binding: 5, buffer: lse },
      { binding: 6, buffer: dout },
      { binding: 7, buffer: delta },
      { binding: 9, buffer: dk },
      { binding: 10, buffer: dv },
    ],
    dispatch: dispatch1d(s.T * s.nKv, 64),
  });
}
