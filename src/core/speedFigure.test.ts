import { describe, expect, it } from 'vitest';
import { describeSpeed, speedFigure } from './speedFigure.ts';

describe('speed figures carry their backend', () => {
  it('a figure needs a finite positive speed and a backend', () => {
    expect(speedFigure(12.5, 'cpu')).toEqual({ tokensPerSecond: 12.5, backend: 'cpu' });
    expect(speedFigure(null, 'cpu')).toBeNull();
    expect(speedFigure(12, null)).toBeNull();
    expect(speedFigure(Number.NaN, 'webgpu')).toBeNull();
    expect(speedFigure(0, 'webgpu')).toBeNull();
  });

  it('after CPU and back, the CPU figure is never credited to WebGPU', () => {
    const gpu = speedFigure(31.2, 'webgpu');
    const cpu = speedFigure(395.3, 'cpu');
    // only the CPU answered, WebGPU runs now
    expect(describeSpeed([cpu], 'webgpu').text).toBe('no answer on WebGPU yet (last: 395.3 tokens/s on the CPU)');
    // WebGPU answered earlier: its own figure, not the later CPU one
    expect(describeSpeed([gpu, cpu], 'webgpu')).toEqual({ text: '31.2 tokens/s on WebGPU', figure: gpu });
    expect(describeSpeed([gpu, cpu], 'cpu').text).toBe('395.3 tokens/s on the CPU');
    expect(describeSpeed([gpu, null], null).text).toBe('31.2 tokens/s on WebGPU');
    expect(describeSpeed([], 'webgpu')).toEqual({ text: 'no answer yet', figure: null });
    expect(describeSpeed([null], null).text).toBe('no answer yet');
  });
});
