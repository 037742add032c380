/// <reference types="@webgpu/types" />
/**
 * Embedding gather backward on the GPU (shaders/train/embedding_backward.wgsl), twin of the CPU
 * TrainOps' `embeddingBackward`: `dtable[tokens[t], :] += dy[t, :]` for every row t, deterministically. The host groups the rows
 * by token id (`groupRowsByToken`, O(T log T) on ids it already has), so each table row's gradient is summed by
 * one invocation in row order: no float atomics, whose order (and so whose bits) would vary from run to run.
 *
 * @example
 * const g = groupRowsByToken(tokens, vocab);
 * rt.write(groupsBuf, g.groups); rt.write(startsBuf, g.starts); rt.write(rowsBuf, g.rows);
 * embeddingBackward(rt, dy, d, { U: g.U, groups: groupsBuf, starts: startsBuf, rows: rowsBuf }, dTable, vocab);
 */
import type { GpuRuntime } from '../runtime.ts';
import { badShape, checkBuffer, checkGroups, checkInt, dispatch1d } from '../program.ts';

export interface TokenGroups {
  /** distinct token ids, ascending */
  groups: Int32Array;
  /** U + 1 offsets into `rows` */
  starts: Int32Array;
  /** the row indices t, grouped by token, ascending within a group */
  rows: Int32Array;
  U: number;
}

/** Groups rows by token id (ids checked against the vocabulary). */
export function groupRowsByToken(tokens: Int32Array, vocab: number): TokenGroups {
  const T = tokens.length;
  const order = Array.from({ length: T }, (_, t) => t);
  for (const id of tokens) if (!(Number.isInteger(id) && id >= 0 && id < vocab)) throw badShape('embeddingBackward', `token id ${id} is outside the vocabulary (0..${vocab - 1}).`);
  order.sort((a, b) => tokens[a]! - tokens[b]! || a - b);
  const groups: number[] = [];
  const starts: number[] = [];
  for (let j = 0; j < T; j++) {
    const id = tokens[order[j]!]!;
    if (j === 0 || id !== tokens[order[j - 1]!]) {
      groups.push(id);
      starts.push(j);
    }
  }
  starts.push(T);
  return { groups: Int32Array.from(groups), starts: Int32Array.from(starts), rows: Int32Array.from(order), U: groups.length };
}

export interface GpuTokenGroups {
  U: number;
  groups: GPUBuffer;
  starts: GPUBuffer;
  rows: GPUBuffer;
}

export function embeddingBackward(rt: GpuRuntime, dy: GPUBuffer, d: number, g: GpuTokenGroups, dtable: GPUBuffer, vocab: number): void {
  const op = 'embeddingBackward';
  checkInt(op, 'd', d);
  checkInt(op, 'U', g.U);
  checkBuffer(op, 'groups', g.groups, g.U);
  checkBuffer(op, 'starts', g.starts, g.U + 1);
  checkBuffer(op, 'dtable', dtable, vocab * d);
  const dispatch = dispatch1d(g.U * Math.ceil(d / 4), 64);
  checkGroups(op, dispatch);
  rt.run({
    name: op,
    shader: ['train/embedding_backward'],
    uniforms: [{ u32: g.U }, { u32: d }, { u32: 0 }, { u32: 0 }],
    bindings: [
      { binding: 1, buffer: dy },
      { binding: 2, buffer: g.groups },
      { binding: 3, buffer: g.starts },
      { binding: 4, buffer: g.rows },
      { binding: 5, buffer: dtable },
    ],
    dispatch,
  });
}
