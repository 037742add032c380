import type { LlamaConfig, LoraTarget } from './types.ts';

/** Input and output sizes of a LoRA target module. */
export function loraTargetDims(c: LlamaConfig, t: LoraTarget): { inDim: number; outDim: number } {
  const d = c.hiddenSize;
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  switch (t) {
    case 'q':
      return { inDim: d, outDim: qDim };
    case 'k':
    case 'v':
      return { inDim: d, outDim: kvDim };
    case 'o':
      return { inDim: qDim, outDim: d };
    case 'gate':
    case 'up':
      return { inDim: d, outDim: c.intermediateSize };
    case 'down':
      return { inDim: c.intermediateSize, outDim: d };
  }
}
