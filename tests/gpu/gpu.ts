/// <reference types="@webgpu/types" />
import { describe } from 'vitest';
import { acquireGpu } from '../../src/engine/webgpu/device.ts';
import { GpuRuntime, type KernelFamily } from '../../src/engine/webgpu/runtime.ts';
import { ensureGpuEnv, hasLavapipe, hasSwiftShader, LAVAPIPE_ICD, LAVAPIPE_SKIP_MESSAGE, SKIP_MESSAGE } from './env.ts';

/** Every GPU await in these tests gives up after this long (a wrong kernel can hang SwiftShader). */
export const GPU_TIMEOUT_MS = 30_000;

export function withTimeout<T>(p: Promise<T>, ms = GPU_TIMEOUT_MS, what = 'GPU work'): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** `describe` when SwiftShader is installed, else a skipped suite whose name says why. */
export const describeGpu: typeof describe = hasSwiftShader ? describe : (((name: string, fn: () => void) => describe.skip(`${name} — ${SKIP_MESSAGE}`, fn)) as typeof describe);

/**
 * A runtime on Dawn + SwiftShader (the `webgpu` package), with timeouts on every GPU wait. Its kernel family
 * defaults to `coarse` (SwiftShader is a software adapter); pass `gpu` to run the real-GPU kernels.
 */
export async function createTestRuntime(kernels?: KernelFamily): Promise<GpuRuntime> {
  ensureGpuEnv();
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const gpu = create([]);
  const acquired = await withTimeout(acquireGpu({ gpu }), GPU_TIMEOUT_MS, 'Acquiring the WebGPU device');
  return new GpuRuntime(acquired, { timeoutMs: GPU_TIMEOUT_MS, ...(kernels ? { kernels } : {}) });
}

/** `describe` when lavapipe (a software adapter with `shader-f16`) is there, else a skipped suite saying why. */
export const describeF16: typeof describe = hasLavapipe ? describe : (((name: string, fn: () => void) => describe.skip(`${name} — ${LAVAPIPE_SKIP_MESSAGE}`, fn)) as typeof describe);

/**
 * A runtime on Dawn + lavapipe with `shader-f16` enabled (throws if the adapter does not offer it). The Vulkan loader
 * reads VK_ICD_FILENAMES when Dawn starts, so a test file uses either this or `createTestRuntime`, not both.
 */
export async function createF16TestRuntime(kernels: KernelFamily = 'gpu'): Promise<GpuRuntime> {
  ensureGpuEnv();
  process.env.VK_ICD_FILENAMES = LAVAPIPE_ICD;
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const acquired = await withTimeout(acquireGpu({ gpu: create([]) }), GPU_TIMEOUT_MS, 'Acquiring the WebGPU device (lavapipe)');
  if (!acquired.info.hasF16) throw new Error(`lavapipe at ${LAVAPIPE_ICD} gave an adapter without shader-f16 (${acquired.info.description})`);
  return new GpuRuntime(acquired, { timeoutMs: GPU_TIMEOUT_MS, kernels });
}
