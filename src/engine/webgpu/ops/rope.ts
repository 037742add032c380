/// <reference types="@webgpu/types" />
/**
 * RoPE in place on the GPU (shaders/rope.wgsl), half-split layout, twin of `cpu/kernels/rope.ts`
 * (`ropeInPlace`): rows `rowOffset .. rowOffset+T` of `x [*, nHeads, headDim]`; `positions` is an i32 buffer of
 * T absolute positions. The angles' cos/sin come from a
 * `RopeTable` built once per model on the CPU in f64 from `ropeInvFreq` (which covers the llama3 and
 * linear scalings), so GPU and CPU rotate by the same f32-rounded values.
 *
 * @example
 * const table = ropeTable(rt, ropeInvFreq(64, 10000), 2048);
 * rope(rt, q, T, nHeads, 64, positions, table);
 * ropePair(rt, q, nHeads, k, nKvHeads, T, 64, positions, table); // both in one dispatch
 * ropePairKv(rt, q, nHeads, k, nKvHeads, T, 64, positions, table, { v, dstRows, kPool, vPool, poolRows }); // + the paged KV write
 */
import type { GpuRuntime } from '../runtime.ts';
import { badShape, checkBuffer, checkGroups, checkInt, dispatch1d, type GpuProgram } from '../program.ts';

export interface RopeTable {
  /** f32 [maxPos, headDim/2, 2]: (cos, sin) of position · invFreq[i] */
  buffer: GPUBuffer;
  headDim: number;
  maxPos: number;
}

/** cos/sin for positions 0..maxPos-1, computed in f64 (the CPU twin's precision), as f32. */
export function ropeTableData(invFreq: Float32Array, maxPos: number): Float32Array {
  const half = invFreq.length;
  const out = new Float32Array(maxPos * half * 2);
  for (let p = 0; p < maxPos; p++) {
    for (let i = 0; i < half; i++) {
      const a = p * invFreq[i]!;
      out[(p * half + i) * 2] = Math.cos(a);
      out[(p * half + i) * 2 + 1] = Math.sin(a);
    }
  }
  return out;
}

export function ropeTable(rt: GpuRuntime, invFreq: Float32Array, maxPos: number): RopeTable {
  checkInt('ropeTable', 'maxPos', maxPos);
  checkInt('ropeTable', 'invFreq length', invFreq.length);
  return { buffer: rt.upload(ropeTableData(invFreq, maxPos), undefined, 'rope-table'), headDim: invFreq.length * 2, maxPos };
}

/** The second tensor of a paired rope (`ropePair`): its buffer and head count. */
export interface RopeSecond {
  x: GPUBuffer;
  nHeads: number;
}

/**
 * The paged KV write that rides along with a rope pair (the `pair_kv` entry): the rotated rows of the second tensor
 * (k, rows 0..T) and the rows of `v` to pool rows `dstRows[t]` of `kPool` and `vPool` (`[poolRows, rowLen]`, rowLen =
 * the second tensor's heads × headDim), as `kvWritePaged` after the pair.
 */
export interface RopeKvWrite {
  v: GPUBuffer;
  /** i32, T pool rows (checked against poolRows by the caller, as for kvWritePaged) */
  dstRows: GPUBuffer;
  kPool: GPUBuffer;
  vPool: GPUBuffer;
  poolRows: number;
}

/**
 * `rope` of `x`, and with `second` of `second.x` too in the same dispatch (the `pair` entry): the same rows,
 * positions and table, `second.nHeads` heads. Each value is computed as by two separate dispatches, bit for bit.
 */
export function ropeProgram(x: GPUBuffer, T: number, nHeads: number, headDim: number, positions: GPUBuffer, table: RopeTable, rowOffset = 0, second?: RopeSecond, kv?: RopeKvWrite): GpuProgram {
  const op = kv ? 'rope (pair + kv write)' : second ? 'rope (pair)' : 'rope';
  checkInt(op, 'T', T);
  checkInt(op, 'nHeads', nHeads);
  checkInt(op, 'headDim', headDim, 2);
  if (headDim % 2 !== 0) throw badShape(op, `headDim must be even (got ${headDim}).`);
  if (table.headDim !== headDim) throw badShape(op, `the RoPE table was built for head size ${table.headDim}, not ${headDim}.`);
  checkInt(op, 'rowOffset', rowOffset, 0);
  checkBuffer(op, 'x', x, (rowOffset + T) * nHeads * headDim);
  checkBuffer(op, 'positions', positions, T);
  checkBuffer(op, 'table', table.buffer, table.maxPos * headDim);
  if (second) {
    checkInt(op, 'the second nHeads', second.nHeads);
    if (second.x === x) throw badShape(op, 'the two tensors must be different buffers.');
    checkBuffer(op, 'the second x', second.x, (rowOffset + T) * second.nHeads * headDim);
  }
  if (kv) {
    if (!second) throw badShape(op, 'the KV write needs the second tensor (k).');
    if (rowOffset !== 0) throw badShape(op, `the KV write takes k's rows 0..T, so rowOffset must be 0 (got ${rowOffset}).`);
    checkInt(op, 'poolRows', kv.poolRows);
    const rowLen = second.nHeads * headDim;
    checkBuffer(op, 'v', kv.v, T * rowLen);
    checkBuffer(op, 'dstRows', kv.dstRows, T);
    checkBuffer(op, 'kPool', kv.kPool, kv.poolRows * rowLen);
    checkBuffer(op, 'vPool', kv.vPool, kv.poolRows * rowLen);
    const all = [x, second.x, kv.v, kv.kPool, kv.vPool];
    if (new Set(all).size !== all.length) throw badShape(op, 'q, k, v, kPool and vPool must be different buffers.');
  }
  const dispatch = dispatch1d(T * (nHeads + (second?.nHeads ?? 0)) * (headDim / 2));
  checkGroups(op, dispatch);
  return {
    name: op,
    shader: ['rope'],
    ...(kv ? { entryPoint: 'pair_kv' } : second ? { entryPoint: 'pair' } : {}),
    uniforms: [{ u32: T }, { u32: nHeads }, { u32: headDim }, { u32: table.maxPos }, { u32: rowOffset }, { u32: second?.nHeads ?? 0 }, { u32: 0 }, { u32: 0 }],
    bindings: [
      { binding: 1, buffer: x },
      { binding: 2, buffer: positions },
      { binding: 3, buffer: table.buffer },
      ...(second ? [{ binding: 4, buffer: second.x }] : []),
      ...(kv
        ? [
            { binding: 5, buffer: kv.v },
            { binding: 6, buffer: kv.dstRows },
            { binding: 7, buffer: kv.kPool },
            { binding: 8, buffer: kv.vPool },
          ]
        : []),
    ],
    dispatch,
  };
}

export function rope(rt: GpuRuntime, x: GPUBuffer, T: number, nHeads: number, headDim: number, positions: GPUBuffer, table: RopeTable, rowOffset = 0): void {
  rt.run(ropeProgram(x, T, nHeads, headDim, positions, table, rowOffset));
}

/** `rope` of `x` (`nHeads` heads) and `x2` (`nHeads2` heads), same rows / positions / table, in one dispatch. */
export function ropePair(rt: GpuRuntime, x: GPUBuffer, nHeads: number, x2: GPUBuffer, nHeads2: number, T: number, headDim: number, positions: GPUBuffer, table: RopeTable, rowOffset = 0): void {
  rt.run(ropeProgram(x, T, nHeads, headDim, positions, table, rowOffset, { x: x2, nHeads: nHeads2 }));
}

/** `ropePair`, then the paged KV write of the rotated `x2` (k) and `kv.v` into the pools, in one dispatch (`pair_kv`); rowOffset 0. */
export function ropePairKv(rt: GpuRuntime, x: GPUBuffer, nHeads: number, x2: GPUBuffer, nHeads2: number, T: number, headDim: number, positions: GPUBuffer, table: RopeTable, kv: RopeKvWrite): void {
  rt.run(ropeProgram(x, T, nHeads, headDim, positions, table, 0, { x: x2, nHeads: nHeads2 }, kv));
}
