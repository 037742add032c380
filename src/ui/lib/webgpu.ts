/**
 * The little of WebGPU the Settings page reads. TypeScript's DOM library has no WebGPU types yet, so the
 * shapes are declared here (only what is used).
 */
export interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

export interface GpuAdapterLike {
  readonly features: Iterable<string>;
  readonly limits: object;
  readonly info?: GpuAdapterInfoLike;
  readonly isFallbackAdapter?: boolean;
  requestAdapterInfo?: () => Promise<GpuAdapterInfoLike>;
}

export interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<GpuAdapterLike | null>;
}

export type WebGpuReport =
  | { status: 'unavailable'; reason: string }
  | { status: 'no-adapter'; reason: string }
  | { status: 'error'; reason: string }
  | {
      status: 'ok';
      info: Required<Omit<GpuAdapterInfoLike, 'isFallbackAdapter'>>;
      isFallbackAdapter: boolean;
      features: string[];
      limits: [string, number][];
    };

/** Ask the browser for a GPU adapter and describe it. */
export async function probeWebGpu(): Promise<WebGpuReport> {
  // `as unknown`: once @webgpu/types is in the program (the engine uses it), Navigator already has `gpu`
  const gpu = (navigator as unknown as { gpu?: GpuLike }).gpu;
  if (!gpu) {
    const reason = !window.isSecureContext
      ? 'navigator.gpu is missing because this page is not a secure context: WebGPU needs HTTPS or localhost.'
      : 'navigator.gpu is missing: this browser does not support WebGPU, or it is turned off (for example behind a flag, by policy, or on an unsupported GPU or driver).';
    return { status: 'unavailable', reason };
  }
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) {
      return {
        status: 'no-adapter',
        reason: 'navigator.gpu exists, but requestAdapter() returned null: no suitable GPU adapter is available (the GPU may be blocklisted or its driver unsupported).',
      };
    }
    const info: GpuAdapterInfoLike = adapter.info ?? (adapter.requestAdapterInfo ? await adapter.requestAdapterInfo() : {});
    const limits: [string, number][] = [];
    // Limits are attributes on the prototype: for..in lists them.
    for (const key in adapter.limits) {
      const value = (adapter.limits as Record<string, unknown>)[key];
      if (typeof value === 'number') limits.push([key, value]);
    }
    limits.sort((a, b) => a[0].localeCompare(b[0]));
    return {
      status: 'ok',
      info: {
        vendor: info.vendor ?? '',
        architecture: info.architecture ?? '',
        device: info.device ?? '',
        description: info.description ?? '',
      },
      isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false,
      features: [...adapter.features].sort(),
      limits,
    };
  } catch (e) {
    return { status: 'error', reason: `requestAdapter() failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}
