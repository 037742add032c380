/**
 * For the WASM kernel tests: the SIMD module instantiated on a fresh memory, and whether the relaxed build runs here
 * (Node 20 has relaxed SIMD behind a flag that Chromium ships on: it is switched on so the relaxed kernels are tested too).
 */
import v8 from 'node:v8';
import { simdModuleBytes } from '../simdModule.ts';

export type Kernel = (...args: number[]) => void;

if (!WebAssembly.validate(simdModuleBytes({ fma: true }))) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
export const haveRelaxed = WebAssembly.validate(simdModuleBytes({ fma: true }));

/** The module (relaxed build when `fma`) on its own 16 MiB memory. */
export function kernelInstance(fma: boolean): { mem: WebAssembly.Memory; k: Record<string, Kernel> } {
  const mem = new WebAssembly.Memory({ initial: 256 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(simdModuleBytes({ fma })), { env: { mem } });
  return { mem, k: inst.exports as Record<string, Kernel> };
}
