/**
 * Which compute backend the engine runs on, and why. WebGPU when the browser gives an adapter and a device (and the
 * WebGPU backend can be built on it), else the CPU backend — always with a reason a person can read. A WebGPU device
 * can be lost at any time (driver reset, another tab, `device.destroy()`): `lost` resolves and the engine falls back
 * to the CPU (services/engine/EngineService).
 */
import { isTributaryError } from '../../core/errors.ts';
import type { Backend } from '../../engine/backend.ts';
import type { TrainOps } from '../../engine/train/trainOps.ts';
import { createCpuBackend } from '../../engine/cpu/cpuBackend.ts';
import type { BackendInfo, GpuSummary } from '../../workerApi/engineApi.ts';

/** A WebGPU backend on a live device. */
export interface GpuBackendHandle {
  backend: Backend;
  gpu: GpuSummary;
  /** resolves with a reason when the device is lost (never rejects) */
  lost: Promise<string>;
  /** frees every GPU resource and the device (when the engine leaves WebGPU) */
  destroy(): void;
  /** destroys the device under the backend, as a driver reset would (diagnostics) */
  loseDevice(): void;
  /** ModelFactory's training ops on the same device (absent: training runs on the CPU) */
  createTrainOps?(): TrainOps;
}

/** Builds a WebGPU backend (acquires the device); throws `webgpu/unavailable` (or any error) when it cannot. */
export type GpuBackendFactory = () => Promise<GpuBackendHandle>;

export interface ChosenBackend {
  backend: Backend;
  info: BackendInfo;
  gpu: GpuBackendHandle | null;
}

function message(e: unknown): string {
  if (isTributaryError(e)) return e.message;
  return e instanceof Error ? e.message : String(e);
}

export function gpuReason(g: GpuSummary): string {
  const name = [g.vendor, g.architecture, g.device].filter(Boolean).join(' ') || g.description || 'an unnamed adapter';
  return `WebGPU adapter ${name}${g.isFallbackAdapter ? ' (a software fallback adapter, slow)' : ''}${g.hasF16 ? ', shader-f16' : ''}.`;
}

export function cpuBackendInfo(reason: string, fallback: BackendInfo['fallback'] = null): BackendInfo {
  return { name: 'cpu', reason, gpu: null, fallback };
}

/**
 * Tries WebGPU (unless `forceCpu`), else the CPU. `webgpu` is absent where no WebGPU backend exists (then the reason
 * says so).
 */
export async function chooseBackend(opts: { forceCpu?: boolean; webgpu?: GpuBackendFactory }): Promise<ChosenBackend> {
  if (opts.forceCpu) return { backend: createCpuBackend(), info: cpuBackendInfo('The CPU was chosen in the engine settings (WebGPU not tried).'), gpu: null };
  if (!opts.webgpu) {
    return { backend: createCpuBackend(), info: cpuBackendInfo('This build has no WebGPU backend, so the CPU backend runs the model.'), gpu: null };
  }
  try {
    const g = await opts.webgpu();
    return { backend: g.backend, info: { name: 'webgpu', reason: gpuReason(g.gpu), gpu: g.gpu, fallback: null }, gpu: g };
  } catch (e) {
    const why = message(e).replace(/\s*The CPU backend will be used\.?$/, '');
    return { backend: createCpuBackend(), info: cpuBackendInfo(`WebGPU could not be used: ${why} The CPU backend runs the model.`), gpu: null };
  }
}
