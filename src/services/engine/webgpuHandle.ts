/**
 * The engine's WebGPU backend factory for browsers and workers: `WebGpuBackend` on `navigator.gpu`'s adapter and
 * device (throws `webgpu/unavailable` when there is none), described for the UI.
 */
import { WebGpuTrainOps } from '../../engine/webgpu/train/webgpuTrainOps.ts';
import { WebGpuBackend } from '../../engine/webgpu/webgpuBackend.ts';
import type { GpuBackendHandle } from './backendChoice.ts';

export async function createWebGpuHandle(): Promise<GpuBackendHandle> {
  const b = await WebGpuBackend.create();
  const i = b.info;
  return {
    backend: b,
    gpu: { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: i.isFallbackAdapter, hasF16: i.hasF16 },
    lost: b.lost,
    destroy: () => b.destroy(),
    loseDevice: () => b.rt.device.destroy(),
    // training shares the device (and its runtime) but not the inference fuser (see WebGpuTrainOps)
    createTrainOps: () => new WebGpuTrainOps(b.rt),
  };
}
