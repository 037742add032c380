import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { simdModuleBytes } from './simdModule.ts';
import { RELAXED_CHECK_BYTES, relaxedDotSelfCheck } from './relaxedDotCheck.ts';

type Kernel = (...args: number[]) => void;

// Node 20 has relaxed SIMD behind a flag (Chromium ships it)
if (!WebAssembly.validate(simdModuleBytes({ fma: true }))) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const haveRelaxed = WebAssembly.validate(simdModuleBytes({ fma: true }));

function kernels(): { mem: WebAssembly.Memory; k: Record<string, Kernel> } {
  const mem = new WebAssembly.Memory({ initial: 2 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(simdModuleBytes({ fma: true })), { env: { mem } });
  return { mem, k: inst.exports as Record<string, Kernel> };
}

describe('relaxed i8 dot self-check', () => {
  it.runIf(haveRelaxed)('passes for this engine\'s gemvi4r (its i16 form is exact here) and leaves the rest of memory alone', () => {
    const { mem, k } = kernels();
    const guard = new Uint8Array(mem.buffer, 4096 + RELAXED_CHECK_BYTES, 64).fill(0xa5);
    expect(relaxedDotSelfCheck(mem, k, 4096)).toBe(true);
    expect(guard.every((b) => b === 0xa5)).toBe(true);
  });

  it.runIf(haveRelaxed)('fails for a kernel that returns anything but the exact sums, that traps, or that is missing', () => {
    const { mem, k } = kernels();
    // twice the dot (the Node 20 failure mode of the add form), off by one ulp, a trap
    const doubled: Kernel = (...a) => {
      k['gemvi4r']!(...a);
      const out = new Float32Array(mem.buffer, a[5]!, a[6]!);
      for (let i = 0; i < out.length; i++) out[i] = out[i]! * 2;
    };
    const nudged: Kernel = (...a) => {
      k['gemvi4r']!(...a);
      const out = new Float32Array(mem.buffer, a[5]!, 1);
      out[0] = out[0]! + 1;
    };
    const traps: Kernel = () => {
      throw new WebAssembly.RuntimeError('unreachable');
    };
    for (const bad of [doubled, nudged, traps]) expect(relaxedDotSelfCheck(mem, { ...k, gemvi4r: bad }, 4096)).toBe(false);
    expect(relaxedDotSelfCheck(mem, { ...k, gemvi4r: undefined }, 4096)).toBe(false);
  });
});
