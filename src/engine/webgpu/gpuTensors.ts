/// <reference types="@webgpu/types" />
/** The WebGPU backend's tensor, weight and LoRA-pool handles, and the checks that a handle is one of them and alive. */
import { TributaryError } from '../../core/errors.ts';
import type { LoraPool, Tensor, WeightFormat, WeightTensor } from '../backend.ts';
import { gpuMatrixBytes, type GpuMatrix } from './matrix.ts';

export class GpuTensor implements Tensor {
  disposed = false;
  /** host copy of the contents while only the host has written them (upload / write) */
  host: Float32Array | undefined;
  /** bumped whenever `host` changes */
  version = 0;
  constructor(
    readonly shape: readonly number[],
    readonly size: number,
    readonly buffer: GPUBuffer,
  ) {}
}

export class GpuWeight implements WeightTensor {
  disposed = false;
  readonly kind: WeightFormat;
  readonly rows: number;
  readonly cols: number;
  readonly bytes: number;
  constructor(readonly matrix: GpuMatrix) {
    this.kind = matrix.kind;
    this.rows = matrix.rows;
    this.cols = matrix.cols;
    this.bytes = gpuMatrixBytes(matrix);
  }
}

export class GpuLoraPool implements LoraPool {
  disposed = false;
  readonly bytes: number;
  /** values per slot: A [maxRank, inDim] then B [outDim, maxRank] */
  readonly slotStride: number;
  /** rank of each slot's adapter; null = empty (rows asking for it are an error) */
  readonly ranks: (number | null)[];
  constructor(
    readonly nSlots: number,
    readonly maxRank: number,
    readonly inDim: number,
    readonly outDim: number,
    /** f32 values of every slot */
    readonly pool: GPUBuffer,
    /** the slot table the kernels read (ops/loraSlots.ts) */
    readonly table: GPUBuffer,
  ) {
    this.slotStride = maxRank * (inDim + outDim);
    this.bytes = pool.size + table.size;
    this.ranks = new Array<number | null>(nSlots).fill(null);
  }
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new TributaryError('engine/bad-shape', `A tensor dimension must be a non-negative integer (got [${shape.join(', ')}]).`);
    n *= d;
  }
  return n;
}

export function live<T extends { disposed: boolean }>(t: unknown, cls: abstract new (...args: never[]) => T, what: string): T {
  if (!(t instanceof cls)) throw new TributaryError('engine/bad-shape', `The WebGPU backend was given a ${what} from another backend.`);
  if (t.disposed) throw new TributaryError('engine/disposed', `This ${what} was disposed; allocate a new one.`);
  return t;
}

export const ten = (t: Tensor): GpuTensor => live(t, GpuTensor, 'tensor');
/** an op's output: its host copy is stale from now on */
export const outTen = (t: Tensor): GpuTensor => {
  const g = ten(t);
  if (g.host) {
    g.host = undefined;
    g.version++;
  }
  return g;
};
export const wt = (w: WeightTensor): GpuMatrix => live(w, GpuWeight, 'weight').matrix;
export const pl = (p: LoraPool): GpuLoraPool => live(p, GpuLoraPool, 'LoRA pool');

export function badShape(msg: string): TributaryError {
  return new TributaryError('engine/bad-shape', msg);
}

