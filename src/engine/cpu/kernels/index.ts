/** The CPU kernels (docs/ENGINE-CONTRACT.md), also the CPU twins of the WGSL kernels in `shaders/`. */
export { matmul } from './matmul.ts';
export { rmsNorm } from './rmsNorm.ts';
export { ropeInPlace, ropeInvFreq, type RopeScaling } from './rope.ts';
export { attention } from './attention.ts';
export { siluMul } from './siluMul.ts';
export { add } from './add.ts';
export { embeddingGather } from './embeddingGather.ts';
export { loraApply, type LoraSlotView } from './loraApply.ts';
