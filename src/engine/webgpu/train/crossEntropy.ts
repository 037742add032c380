/// <reference types="@webgpu/types" />
/**
 * Softmax cross-entropy with a loss mask, forward and backward (shaders/train/cross_entropy.wgsl), twin of
 * the CPU TrainOps' `crossEntropy` (src/engine/train/cpu/cpuTrainOps.ts). `lossRows[t]` gets each row's unweighted loss (0 for a target outside 0..V-1);
 * `dlogits` the gradient of Σ_t rowWeight[t] · lossRows[t] (overwritten). With `rowWeight` = the mask divided by
 * the number of counted rows (`lossRowWeights`) that sum is the masked mean, which `loss` (optional, one value)
 * receives: one value to read back per step. `lse` is T values of scratch.
 *
 * @example
 * rt.write(weights, lossRowWeights(mask, targets));
 * crossEntropy(rt, { logits, T, V, targets, rowWeight: weights, lse, lossRows, dlogits, loss });
 */
import type { GpuRuntime } from '../runtime.ts';
import { checkOutputs } from './checkAliasing.ts';
import { checkBuffer, checkGroups, checkInt, dispatch1d } from '../program.ts';

/** mask[t] / (number of rows with mask ≠ 0 and a target ≥ 0); 0 where a row does not count. */
export function lossRowWeights(mask: ArrayLike<number>, targets: Int32Array): Float32Array {
  const T = targets.length;
  let n = 0;
  for (let t = 0; t < T; t++) if (mask[t] !== 0 && targets[t]! >= 0) n++;
  const w = new Float32Array(T);
  if (n === 0) return w;
  for (let t = 0; t < T; t++) if (mask[t] !== 0 && targets[t]! >= 0) w[t] = mask[t]! / n;
  return w;
}

export interface CrossEntropyArgs {
  logits: GPUBuffer;
  T: number;
  V: number;
  /** i32 [T]; a negative id counts as masked */
  targets: GPUBuffer;
  rowWeight: GPUBuffer;
  lse: GPUBuffer;
  lossRows: GPUBuffer;
  dlogits: GPUBuffer;
  /** the weighted sum (one value), when given */
  loss?: GPUBuffer;
}

export function crossEntropy(rt: GpuRuntime, a: CrossEntropyArgs): void {
  const op = 'crossEntropy';
  checkInt(op, 'T', a.T);
  checkInt(op, 'V', a.V);
  checkBuffer(op, 'logits', a.logits, a.T * a.V);
  checkBuffer(op, 'dlogits', a.dlogits, a.T * a.V);
  for (const [what, b] of [['targets', a.targets], ['rowWeight', a.rowWeight], ['lse', a.lse], ['lossRows', a.lossRows]] as const) checkBuffer(op, what, b, a.T);
  if (a.loss) checkBuffer(op, 'loss', a.loss, 1);
  checkOutputs(op, [a.logits, a.targets, a.rowWeight], { lse: a.lse, lossRows: a.lossRows, dlogits: a.dlogits, ...(a.loss ? { loss: a.loss } : {}) });
  const uniforms = [{ u32: a.T }, { u32: a.V }, { u32: 0 }, { u32: 0 }] as const;
  const statsDispatch = dispatch1d(a.T, 64);
  const gradDispatch = dispatch1d(a.T * Math.ceil(a.V / 4), 64);
  checkGroups(op, gradDispatch);
  rt.run({
    name: `${op}-stats`,
    shader: ['train/cross_entropy'],
    entryPoint: 'stats',
    uniforms,
    bindings: [
      { binding: 1, buffer: a.logits },
      { binding: 2, buffer: a.targets },
      { binding: 3, buffer: a.rowWeight },
      { binding: 4, buffer: a.lse },
      { binding: 5, buffer: a.lossRows },
    ],
    dispatch: statsDispatch,
  });
  rt.run({
    name: `${op}-grad`,
    shader: ['train/cross_entropy'],
    entryPoint: 'grad',
    uniforms,
    bindings: [
      { binding: 1, buffer: a.logits },
      { binding: 2, buffer: a.targets },
      { binding: 3, buffer: a.rowWeight },
      { binding: 4, buffer: a.lse },
      { binding: 6, buffer: a.dlogits },
    ],
    dispatch: gradDispatch,
  });
  if (!a.loss) return;
  rt.run({
    name: `${op}-total`,
    shader: ['train/cross_entropy'],
    entryPoint: 'total',
    uniforms,
    bindings: [
      { binding: 2, buffer: a.targets },
      { binding: 3, buffer: a.rowWeight },
      { binding: 5, buffer: a.lossRows },
      { binding: 7, buffer: a.loss },
    ],
    dispatch: [1, 1, 1],
  });
}
