import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../../core/errors.ts';
import { emitModule, F32, Fn, I32 } from '../simd/wasmEmit.ts';
import { startKernelThreads } from './threadPool.ts';

/** `square(src, dst, n)`: dst[i] = src[i]² for n f32 values (byte offsets); a module that is not the engine's. */
function squareModule(sharedMaxPages?: number): WebAssembly.Module {
  const f = new Fn('square', [I32, I32, I32]);
  const [src, dst, n] = [0, 1, 2];
  const i = f.local(I32);
  const x = f.local(F32);
  f.i32(0).set(i);
  f.block().loop();
  f.get(i).get(n).geU().brIf(1);
  f.get(src).get(i).i32(4).mul().add().f32load().set(x);
  f.get(dst).get(i).i32(4).mul().add().get(x).get(x).f32mul().f32store();
  f.get(i).i32(1).add().set(i);
  f.br(0).end().end();
  return new WebAssembly.Module(emitModule([f], sharedMaxPages));
}

describe.runIf(typeof SharedArrayBuffer === 'function')('a thread pool over a module of its own (Node)', () => {
  it('splits calls over 3 threads into one shared memory, the same bits as one thread; closes', async () => {
    const module = squareModule(4);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const kernels = new WebAssembly.Instance(module, { env: { mem: memory } }).exports;
    const pool = await startKernelThreads({ module, memory, kernels, kernelNames: ['square'] }, 3);
    expect(pool.count).toBe(3);
    const n = 1001; // not a multiple of 3
    const src = new Float32Array(memory.buffer, 0, n);
    src.set(Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 1e3));
    const dst = 4096;
    const blocks = [0, 334, 668, n];
    pool.run(blocks.slice(0, 3).map((a, t) => [['square', 4 * a, dst + 4 * a, blocks[t + 1]! - a]]));
    const threaded = new Uint32Array(memory.buffer, dst, n).slice();
    (kernels.square as (s: number, d: number, n: number) => void)(0, dst + 8192, n);
    expect(Array.from(threaded)).toEqual(Array.from(new Uint32Array(memory.buffer, dst + 8192, n)));
    expect(new Float32Array(memory.buffer, dst, n)[7]).toBe(Math.fround(src[7]! * src[7]!));
    expect(() => pool.run([[['cube', 0, 0, 1]]])).toThrow(TributaryError);
    pool.close();
    expect(() => pool.run([[['square', 0, dst, 1]]])).toThrow(/closed/);
  });

  it('refuses a memory that is not shared, and counts out of range', async () => {
    const module = squareModule();
    const memory = new WebAssembly.Memory({ initial: 1 });
    const kernels = new WebAssembly.Instance(module, { env: { mem: memory } }).exports;
    await expect(startKernelThreads({ module, memory, kernels, kernelNames: ['square'] }, 2)).rejects.toThrow(/shared WebAssembly memory/);
    const shared = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const sm = squareModule(1);
    const sk = new WebAssembly.Instance(sm, { env: { mem: shared } }).exports;
    await expect(startKernelThreads({ module: sm, memory: shared, kernels: sk, kernelNames: ['square'] }, 0)).rejects.toThrow(TributaryError);
    await expect(startKernelThreads({ module: sm, memory: shared, kernels: sk, kernelNames: ['nothing'] }, 2)).rejects.toThrow(/no function nothing/);
  });
});
