/** The WebGPU backend: device, runtime, weights on the GPU, and one op per WGSL kernel in shaders/. */
export { acquireGpu, type AcquiredGpu, type AcquireOptions, type GpuDeviceInfo } from './device.ts';
export { GpuRuntime, type RuntimeOptions } from './runtime.ts';
export { BufferPool, bucketSize } from './bufferPool.ts';
export { uploadMatrix, gpuMatrixBytes, destroyGpuMatrix, type GpuMatrix } from './matrix.ts';
export { wgsl } from './shaders.ts';
export type { GpuProgram, GpuBinding, Uniform } from './program.ts';
export { matmul, matmulProgram, GEMV_MAX_T, type MatmulOptions } from './ops/matmul.ts';
export { rmsNorm } from './ops/rmsNorm.ts';
export { rope, ropeTable, ropeTableData, type RopeTable } from './ops/rope.ts';
export { attention, ATTENTION_MAX_HEAD_DIM } from './ops/attention.ts';
export { kvWrite, type KvWriteOptions } from './ops/kvWrite.ts';
export { siluMul } from './ops/siluMul.ts';
export { add } from './ops/add.ts';
export { embeddingGather, checkTokenIds } from './ops/embeddingGather.ts';
export { argmax } from './ops/argmax.ts';
export { loraBgmv, type LoraArgs } from './ops/loraBgmv.ts';
export { loraSgmv } from './ops/loraSgmv.ts';
export { packLoraSlots, loraSegments, LORA_SLOT_BYTES, type LoraGpuSlot, type LoraSegments } from './ops/loraSlots.ts';
