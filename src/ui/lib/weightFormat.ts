/**
 * How a loaded model's weights are stored, in words for the model facts. Honest about f16: the CPU backend has no
 * f16 storage (the weights load as f32), and on WebGPU a matrix that cannot be f16 stays f32; both show here.
 *
 * @example
 * weightFormatNote(info);   // 'f16 halves, computed in f32'
 */
import type { ModelInfo, QuantChoice } from '../../workerApi/engineApi.ts';
import { formatBytes } from './format.ts';

export const QUANT_LABEL: Record<QuantChoice, string> = {
  f32: 'f32 (not quantised)',
  f16: 'f16 halves, computed in f32',
  q8: 'int8, groups of 32',
  q4: 'int4, groups of 32',
};

/** The format asked for, saying so when f16 was asked for but (some of) the matrices are stored as f32. */
export function weightFormatNote(m: Pick<ModelInfo, 'quant' | 'memory'>): string {
  if (m.quant !== 'f16') return QUANT_LABEL[m.quant];
  const { byFormat, keptF32 } = m.memory;
  if (!byFormat.f16 && keptF32.length === 0) return 'f32: f16 was asked for, but this backend (the CPU) has no f16 storage, so the weights are f32';
  if (keptF32.length === 0) return QUANT_LABEL.f16;
  const names = keptF32.map((k) => `${k.name}: ${k.reason}`).join('; ');
  return `${QUANT_LABEL.f16}, except ${keptF32.length} ${keptF32.length === 1 ? 'matrix' : 'matrices'} kept in f32 (${formatBytes(byFormat.f32 ?? 0)}; ${names})`;
}
