import { describe, expect, it } from 'vitest';
import type { ModelMemoryInfo } from '../../workerApi/engineApi.ts';
import { weightFormatNote } from './weightFormat.ts';

const memory = (byFormat: ModelMemoryInfo['byFormat'], keptF32: ModelMemoryInfo['keptF32'] = []): ModelMemoryInfo => ({
  weights: 0,
  weightsF32: 0,
  byFormat,
  keptF32,
  kvCache: 0,
  kvCacheReserved: 0,
  kvCacheBudget: 0,
  lora: 0,
});

describe('weightFormatNote', () => {
  it('names the format, and says when f16 was asked for but the weights are f32', () => {
    expect(weightFormatNote({ quant: 'q8', memory: memory({ q8: 10 }) })).toBe('int8, groups of 32');
    expect(weightFormatNote({ quant: 'f16', memory: memory({ f16: 10 }) })).toBe('f16 halves, computed in f32');
    expect(weightFormatNote({ quant: 'f16', memory: memory({ f32: 10 }) })).toMatch(/^f32: f16 was asked for, but this backend \(the CPU\) has no f16 storage/);
    expect(weightFormatNote({ quant: 'f16', memory: memory({ f16: 10, f32: 2048 }, [{ name: 'layers.1.down_proj', reason: "it holds 100000, beyond f16's ±65504" }]) })).toMatch(
      /^f16 halves, computed in f32, except 1 matrix kept in f32 \(2(\.0)? KB; layers\.1\.down_proj: it holds 100000/,
    );
  });
});
