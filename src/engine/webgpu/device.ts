/// <reference types="@webgpu/types" />
/**
 * WebGPU device acquisition for the engine: finds an adapter, asks for the limits the kernels need (as
 * much storage as the adapter allows), describes what it got, and turns every way of failing into a
 * `TributaryError` (`webgpu/unavailable`) that the UI answers by falling back to the CPU backend.
 *
 * @example
 * const gpu = await acquireGpu();                 // navigator.gpu in a browser or worker
 * gpu.info.features.includes('shader-f16');       // f16 kernels possible?
 * gpu.lost.then((reason) => switchToCpu(reason)); // the device can be lost at any time
 */
import { TributaryError } from '../../core/errors.ts';

export interface GpuDeviceInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  /** features enabled on the device */
  features: string[];
  /** the device's limits (numbers only) */
  limits: Record<string, number>;
  /** the adapter supports `shader-f16` (and the device has it enabled) */
  hasF16: boolean;
}

export interface AcquiredGpu {
  /** the GPU object the adapter came from; keep it referenced (in Node, dawn.node tears down when it is collected) */
  gpu: GPU;
  adapter: GPUAdapter;
  device: GPUDevice;
  info: GpuDeviceInfo;
  /** resolves with a reason when the device is lost (never rejects) */
  lost: Promise<string>;
}

export interface AcquireOptions {
  /** a GPU object (Node: `create([])` from the `webgpu` package); default `navigator.gpu` */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
  /** request `shader-f16` when the adapter has it (default true) */
  f16?: boolean;
}

/** Limits raised to the adapter's maximum when it offers more than the default. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
] as const;

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function limitsOf(limits: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  // Limits are attributes on the prototype: for..in lists them.
  for (const key in limits) {
    const v = (limits as unknown as Record<string, unknown>)[key];
    if (typeof v === 'number') out[key] = v;
  }
  return out;
}

export async function acquireGpu(opts: AcquireOptions = {}): Promise<AcquiredGpu> {
  const gpu = opts.gpu ?? (globalThis.navigator as (Navigator & { gpu?: GPU }) | undefined)?.gpu;
  if (!gpu) {
    throw new TributaryError(
      'webgpu/unavailable',
      'WebGPU is not available here (navigator.gpu is missing: an older browser, WebGPU turned off, or not a secure context). The CPU backend will be used.',
    );
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter(opts.powerPreference ? { powerPreference: opts.powerPreference } : undefined);
  } catch (e) {
    throw new TributaryError('webgpu/unavailable', `Asking for a WebGPU adapter failed (${message(e)}). The CPU backend will be used.`);
  }
  if (!adapter) {
    throw new TributaryError(
      'webgpu/unavailable',
      'WebGPU is present but offers no adapter (the GPU or its driver may be blocklisted). The CPU backend will be used.',
    );
  }
  const requiredLimits: Record<string, number> = {};
  for (const key of RAISED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, unknown>)[key];
    if (typeof v === 'number') requiredLimits[key] = v;
  }
  const wantF16 = (opts.f16 ?? true) && adapter.features.has('shader-f16');
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      requiredLimits,
      requiredFeatures: wantF16 ? ['shader-f16'] : [],
      label: 'tributary-engine',
    });
  } catch (e) {
    throw new TributaryError('webgpu/unavailable', `The WebGPU adapter refused to create a device (${message(e)}). The CPU backend will be used.`);
  }
  const lost = device.lost.then((i) => `${i.reason}${i.message ? `: ${i.message}` : ''}`);
  const ai = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const info: GpuDeviceInfo = {
    vendor: ai?.vendor ?? '',
    architecture: ai?.architecture ?? '',
    device: ai?.device ?? '',
    description: ai?.description ?? '',
    isFallbackAdapter: ai?.isFallbackAdapter ?? (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false,
    features: [...device.features].map(String).sort(),
    limits: limitsOf(device.limits),
    hasF16: device.features.has('shader-f16'),
  };
  return { gpu, adapter, device, info, lost };
}
