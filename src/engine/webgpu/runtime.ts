/// <reference types="@webgpu/types" />
/**
 * Runs programs (see program.ts) on one device: caches pipelines, packs uniforms into one arena buffer
 * per submit (256-byte slots), records dispatches into a command encoder until `flush()` or a read,
 * and reports WebGPU errors and device loss as `TributaryError`s. Every wait on the GPU has a timeout.
 *
 * @example
 * const rt = await GpuRuntime.create();
 * const x = rt.upload(new Float32Array([1, 2, 3]));
 * add(rt, x, x, out, 3);
 * const y = await rt.readF32(out, 3);
 */
import { TributaryError } from '../../core/errors.ts';
import { acquireGpu, type AcquireOptions, type AcquiredGpu, type GpuDeviceInfo } from './device.ts';
import { BufferPool, STORAGE_USAGE } from './bufferPool.ts';
import type { GpuProgram } from './program.ts';
import { wgsl } from './shaders.ts';

const MAP_READ = 0x01;
const COPY_DST = 0x08;
const UNIFORM = 0x40;
const UNIFORM_SLOT = 256;
const UNIFORM_SLOTS = 256;

/**
 * Which family of kernels the ops pick. `gpu`: the classic designs (shared-memory tiles, workgroup
 * reductions) for real GPUs. `coarse`: kernels without workgroup barriers or workgroup memory, each
 * invocation doing a register block of work, for fallback adapters that run WebGPU on the CPU (SwiftShader:
 * a barrier there is a coroutine switch of the whole workgroup, and a few CPU threads gain nothing from
 * thousands of tiny invocations). See shaders/README.md.
 */
export type KernelFamily = 'gpu' | 'coarse';

export interface RuntimeOptions {
  /** how long a read or sync may wait for the GPU (default 60 s) */
  timeoutMs?: number;
  /** kernel family (default: `coarse` on a fallback / software adapter, else `gpu`) */
  kernels?: KernelFamily;
}

/** A software rasteriser (SwiftShader, llvmpipe/lavapipe, WARP) or an adapter that says it is a fallback. */
export function isSoftwareAdapter(info: Pick<GpuDeviceInfo, 'vendor' | 'architecture' | 'device' | 'description' | 'isFallbackAdapter'>): boolean {
  return info.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|softpipe|warp/i.test(`${info.vendor} ${info.architecture} ${info.device} ${info.description}`);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TributaryError('webgpu/timeout', `${what} did not finish within ${ms} ms; the GPU may be hung. Reload to fall back to the CPU.`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export class GpuRuntime {
  readonly device: GPUDevice;
  readonly info: GpuDeviceInfo;
  readonly pool: BufferPool;
  timeoutMs: number;
  /** the kernel family the ops pick (see KernelFamily) */
  readonly kernels: KernelFamily;
  /** a 16-byte storage buffer for bindings a kernel declares but a dispatch does not use */
  readonly dummy: GPUBuffer;

  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly arena: GPUBuffer;
  private readonly arenaData = new ArrayBuffer(UNIFORM_SLOT * UNIFORM_SLOTS);
  private arenaUsed = 0;
  private encoder: GPUCommandEncoder | undefined;
  private pass: GPUComputePassEncoder | undefined;
  private scopes: Promise<GPUError | null>[] = [];
  private error: string | undefined;
  private lostReason: string | undefined;
  private disposed = false;
  private doomed: GPUBuffer[] = [];
  /** dawn.node (Node) shuts down when its GPU object is garbage collected, even with a live device */
  private readonly keepAlive: unknown;
  /** dispatches encoded since creation (for tests and stats) */
  dispatches = 0;

  constructor(gpu: Pick<AcquiredGpu, 'device' | 'info'> & Partial<Pick<AcquiredGpu, 'gpu' | 'adapter' | 'lost'>>, opts: RuntimeOptions = {}) {
    this.keepAlive = [gpu.gpu, gpu.adapter];
    this.device = gpu.device;
    this.info = gpu.info;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.kernels = opts.kernels ?? (isSoftwareAdapter(this.info) ? 'coarse' : 'gpu');
    this.pool = new BufferPool(this.device);
    this.arena = this.device.createBuffer({ size: this.arenaData.byteLength, usage: UNIFORM | COPY_DST, label: 'uniform-arena' });
    this.dummy = this.device.createBuffer({ size: 16, usage: STORAGE_USAGE, label: 'dummy' });
    this.device.addEventListener('uncapturederror', (ev) => {
      this.error ??= (ev as GPUUncapturedErrorEvent).error.message;
    });
    (gpu.lost ?? this.device.lost.then((i) => `${i.reason}: ${i.message}`)).then((reason) => {
      if (!this.disposed) this.lostReason = reason;
    });
  }

  static async create(opts: AcquireOptions & RuntimeOptions = {}): Promise<GpuRuntime> {
    return new GpuRuntime(await acquireGpu(opts), opts);
  }

  /** Throws when the device is lost, disposed, or has reported an error. */
  check(): void {
    if (this.disposed) throw new TributaryError('engine/disposed', 'This WebGPU backend was disposed; create a new one.');
    if (this.lostReason !== undefined) {
      throw new TributaryError('webgpu/device-lost', `The GPU device was lost (${this.lostReason}). The CPU backend takes over; reload to try the GPU again.`);
    }
    if (this.error !== undefined) {
      const e = this.error;
      this.error = undefined;
      throw new TributaryError('webgpu/error', `WebGPU reported an error: ${e}`);
    }
  }

  /** The pipeline for a program (created once per shader + entry point). */
  pipeline(p: Pick<GpuProgram, 'shader' | 'entryPoint' | 'name'>): GPUComputePipeline {
    const entryPoint = p.entryPoint ?? 'main';
    const key = `${p.shader.join('+')}#${entryPoint}`;
    let pl = this.pipelines.get(key);
    if (!pl) {
      const code = p.shader.map((s) => wgsl(s)).join('\n');
      const module = this.device.createShaderModule({ code, label: key });
      pl = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint }, label: key });
      this.pipelines.set(key, pl);
    }
    return pl;
  }

  private beginPass(): GPUComputePassEncoder {
    if (!this.encoder) {
      this.device.pushErrorScope('out-of-memory');
      this.device.pushErrorScope('validation');
      this.encoder = this.device.createCommandEncoder();
    }
    this.pass ??= this.encoder.beginComputePass();
    return this.pass;
  }

  private endPass(): GPUCommandEncoder {
    if (this.pass) {
      this.pass.end();
      this.pass = undefined;
    }
    if (!this.encoder) {
      this.device.pushErrorScope('out-of-memory');
      this.device.pushErrorScope('validation');
      this.encoder = this.device.createCommandEncoder();
    }
    return this.encoder;
  }

  /** Encodes one dispatch. */
  run(p: GpuProgram): void {
    this.check();
    if (this.arenaUsed >= UNIFORM_SLOTS) this.flush();
    const pipeline = this.pipeline(p);
    const slot = this.arenaUsed++;
    const view = new DataView(this.arenaData, slot * UNIFORM_SLOT, UNIFORM_SLOT);
    p.uniforms.forEach((u, i) => {
      if ('u32' in u) view.setUint32(i * 4, u.u32, true);
      else if ('i32' in u) view.setInt32(i * 4, u.i32, true);
      else view.setFloat32(i * 4, u.f32, true);
    });
    const uniformBytes = Math.max(16, Math.ceil((p.uniforms.length * 4) / 16) * 16);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.arena, offset: slot * UNIFORM_SLOT, size: uniformBytes } }];
    for (const b of p.bindings) entries.push({ binding: b.binding, resource: { buffer: b.buffer } });
    const pass = this.beginPass();
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label: p.name });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(p.dispatch[0], p.dispatch[1], p.dispatch[2]);
    this.dispatches++;
  }

  /** Encodes a buffer-to-buffer copy (bytes; offsets and size multiples of 4). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.check();
    this.endPass().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /**
   * Destroys `buf` once the commands encoded so far are submitted (destroying a buffer that unsubmitted
   * commands use would make the submit fail; submitted work keeps it alive until it is done).
   */
  deferDestroy(buf: GPUBuffer): void {
    if (this.encoder) this.doomed.push(buf);
    else buf.destroy();
  }

  /** Submits everything encoded so far. */
  flush(): void {
    if (!this.encoder) return;
    const enc = this.endPass();
    this.encoder = undefined;
    if (this.arenaUsed > 0) {
      this.device.queue.writeBuffer(this.arena, 0, new Uint8Array(this.arenaData, 0, this.arenaUsed * UNIFORM_SLOT));
      this.arenaUsed = 0;
    }
    this.device.queue.submit([enc.finish()]);
    this.scopes.push(this.device.popErrorScope(), this.device.popErrorScope());
    for (const b of this.doomed) b.destroy();
    this.doomed = [];
  }

  /** Waits for the submitted work and throws the first error it caused. */
  async sync(timeoutMs = this.timeoutMs): Promise<void> {
    this.flush();
    await withTimeout(this.device.queue.onSubmittedWorkDone(), timeoutMs, 'Waiting for the GPU');
    await this.collectErrors(timeoutMs);
  }

  private async collectErrors(timeoutMs: number): Promise<void> {
    const scopes = this.scopes;
    this.scopes = [];
    const errors = await withTimeout(Promise.all(scopes), timeoutMs, 'Collecting GPU errors');
    const first = errors.find((e) => e !== null);
    if (first) this.error ??= first.message;
    this.check();
  }

  /** A new buffer (not pooled). */
  createBuffer(bytes: number, usage: number = STORAGE_USAGE, label?: string): GPUBuffer {
    this.check();
    return this.device.createBuffer({ size: Math.max(4, Math.ceil(bytes / 4) * 4), usage, ...(label ? { label } : {}) });
  }

  /** A new buffer holding a copy of `data`'s bytes (padded to 4 bytes; typed data goes in as bytes). */
  upload(data: ArrayBufferView, usage: number = STORAGE_USAGE, label?: string): GPUBuffer {
    this.check();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const buf = this.device.createBuffer({ size: Math.max(4, Math.ceil(bytes.byteLength / 4) * 4), usage, mappedAtCreation: true, ...(label ? { label } : {}) });
    new Uint8Array(buf.getMappedRange()).set(bytes);
    buf.unmap();
    return buf;
  }

  /** Writes `data`'s bytes into `buffer` at `byteOffset`, after the work already encoded. */
  write(buffer: GPUBuffer, data: ArrayBufferView, byteOffset = 0): void {
    this.check();
    this.flush(); // queue.writeBuffer runs before unsubmitted commands: submit them first
    // the typed view may sit on a SharedArrayBuffer; writeBuffer copies either way
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength) as Uint8Array<ArrayBuffer>;
    if (bytes.byteLength % 4 === 0) {
      this.device.queue.writeBuffer(buffer, byteOffset, bytes);
    } else {
      const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
      padded.set(bytes);
      this.device.queue.writeBuffer(buffer, byteOffset, padded);
    }
  }

  /** Copies `byteLength` bytes of `buffer` back to the CPU (waits for the work encoded before it). */
  async read(buffer: GPUBuffer, byteLength: number = buffer.size, byteOffset = 0, timeoutMs = this.timeoutMs): Promise<ArrayBuffer> {
    this.check();
    const size = Math.ceil(byteLength / 4) * 4;
    const staging = this.device.createBuffer({ size: Math.max(4, size), usage: MAP_READ | COPY_DST, label: 'readback' });
    try {
      this.endPass().copyBufferToBuffer(buffer, byteOffset, staging, 0, size);
      this.flush();
      await withTimeout(staging.mapAsync(0x0001 /* GPUMapMode.READ */), timeoutMs, 'Reading a GPU buffer back');
      const out = staging.getMappedRange(0, size).slice(0, byteLength);
      staging.unmap();
      await this.collectErrors(timeoutMs);
      return out;
    } finally {
      staging.destroy();
    }
  }

  async readF32(buffer: GPUBuffer, count: number, offset = 0): Promise<Float32Array> {
    return new Float32Array(await this.read(buffer, count * 4, offset * 4));
  }

  async readI32(buffer: GPUBuffer, count: number, offset = 0): Promise<Int32Array> {
    return new Int32Array(await this.read(buffer, count * 4, offset * 4));
  }

  async readU32(buffer: GPUBuffer, count: number, offset = 0): Promise<Uint32Array> {
    return new Uint32Array(await this.read(buffer, count * 4, offset * 4));
  }

  /** Frees the pool and the device. */
  destroy(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pool.destroy();
    this.arena.destroy();
    this.dummy.destroy();
    this.device.destroy();
  }
}
