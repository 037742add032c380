/// <reference types="@webgpu/types" />
/**
 * Runs programs (see program.ts) on one device: caches pipelines, records dispatches into a command encoder
 * until `flush()` or a read, and reports WebGPU errors and device loss as `TributaryError`s. Every wait on
 * the GPU has a timeout.
 *
 * Host cost per dispatch is what a decode step on a real GPU pays for (hundreds of small dispatches), so a
 * steady-state step creates no WebGPU objects:
 * - pipelines get explicit layouts whose uniform binding has a dynamic offset, so a bind group depends only
 *   on the buffers bound and is cached by their identities;
 * - uniforms live in 256-byte slots of one arena buffer, deduplicated by content and kept across submits
 *   (the same matmul shape in every layer and every step shares one slot); only new slots are uploaded;
 * - the runtime knows which buffers the unsubmitted commands use, so a host write to any other buffer goes
 *   straight to the queue instead of forcing a submit;
 * - readback staging buffers are reused.
 *
 * @example
 * const rt = await GpuRuntime.create();
 * const x = rt.upload(new Float32Array([1, 2, 3]));
 * add(rt, x, x, out, 3);
 * const y = await rt.readF32(out, 3);
 */
import { TributaryError } from '../../core/errors.ts';
import { acquireGpu, type AcquireOptions, type AcquiredGpu, type GpuDeviceInfo } from './device.ts';
import { BufferPool, bucketSize, STORAGE_USAGE } from './bufferPool.ts';
import type { GpuProgram } from './program.ts';
import { wgsl } from './shaders.ts';

const MAP_READ = 0x01;
const COPY_DST = 0x08;
const UNIFORM = 0x40;
const UNIFORM_SLOT = 256;
const UNIFORM_SLOTS = 1024;
const COMPUTE_STAGE = 0x4; // GPUShaderStage.COMPUTE (not a global in every runtime)
/** bind groups kept before the cache starts over (each holds only references) */
const BIND_GROUP_CACHE_MAX = 4096;
/** idle readback buffers kept per size */
const STAGING_KEEP = 4;

/** `var<uniform>` / `var<storage, read>` / `var<storage, read_write>` of each `@group(0) @binding(n)` in WGSL code. */
export function bindingTypes(code: string): Map<number, GPUBufferBindingType> {
  const out = new Map<number, GPUBufferBindingType>();
  const re = /@group\(0\)\s*@binding\((\d+)\)\s*var<\s*(uniform|storage)\s*(?:,\s*(read|read_write)\s*)?>/g;
  for (const m of code.matchAll(re)) {
    const type: GPUBufferBindingType = m[2] === 'uniform' ? 'uniform' : m[3] === 'read_write' ? 'storage' : 'read-only-storage';
    out.set(Number(m[1]), type);
  }
  return out;
}

interface PipelineEntry {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  key: string;
}

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
  /**
   * Two more such buffers, bound as the matmul kernels' `out2` / `out3` when the output is not split: those are
   * writable like `aux`, and two writable bindings of one dispatch may not share a buffer.
   */
  readonly dummyOut: readonly [GPUBuffer, GPUBuffer];

  private readonly pipelines = new Map<string, PipelineEntry>();
  private readonly bindingTypeCache = new Map<string, Map<number, GPUBufferBindingType>>();
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly arena: GPUBuffer;
  private readonly arenaData = new ArrayBuffer(UNIFORM_SLOT * UNIFORM_SLOTS);
  /** uniform contents → arena slot, valid until the arena starts over */
  private readonly uniformSlots = new Map<string, number>();
  private arenaUsed = 0;
  /** slots written on the host since the last upload: [dirtyFrom, arenaUsed) */
  private dirtyFrom = 0;
  /** buffer identities (bind group cache keys) and the submit epoch a buffer was last used in */
  private readonly bufferIds = new WeakMap<GPUBuffer, { id: number; epoch: number }>();
  private nextBufferId = 1;
  /** submits so far; commands being encoded belong to epoch `epoch` */
  private epoch = 0;
  private readonly staging = new Map<number, GPUBuffer[]>();
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
  /** bind groups created since creation (for tests and stats) */
  bindGroupsCreated = 0;
  /** queue submits since creation (for tests and stats) */
  submits = 0;

  constructor(gpu: Pick<AcquiredGpu, 'device' | 'info'> & Partial<Pick<AcquiredGpu, 'gpu' | 'adapter' | 'lost'>>, opts: RuntimeOptions = {}) {
    this.keepAlive = [gpu.gpu, gpu.adapter];
    this.device = gpu.device;
    this.info = gpu.info;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.kernels = opts.kernels ?? (isSoftwareAdapter(this.info) ? 'coarse' : 'gpu');
    this.pool = new BufferPool(this.device, { destroy: (b) => this.deferDestroy(b) });
    this.arena = this.device.createBuffer({ size: this.arenaData.byteLength, usage: UNIFORM | COPY_DST, label: 'uniform-arena' });
    this.dummy = this.device.createBuffer({ size: 16, usage: STORAGE_USAGE, label: 'dummy' });
    this.dummyOut = [this.device.createBuffer({ size: 16, usage: STORAGE_USAGE, label: 'dummy-out2' }), this.device.createBuffer({ size: 16, usage: STORAGE_USAGE, label: 'dummy-out3' })];
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

  /**
   * The pipeline for a program (created once per shader + entry point + set of bindings), with an explicit
   * layout: binding 0 the uniform slot (dynamic offset), then the program's buffers with the access the WGSL
   * declares for them.
   */
  pipeline(p: Pick<GpuProgram, 'shader' | 'entryPoint' | 'name' | 'bindings'>): PipelineEntry {
    const entryPoint = p.entryPoint ?? 'main';
    let bindingsKey = '';
    for (const b of p.bindings) bindingsKey += `,${b.binding}`;
    const shaderKey = p.shader.join('+');
    const key = `${shaderKey}#${entryPoint}#${bindingsKey}`;
    const have = this.pipelines.get(key);
    if (have) return have;
    const code = p.shader.map((s) => wgsl(s)).join('\n');
    let types = this.bindingTypeCache.get(shaderKey);
    if (!types) this.bindingTypeCache.set(shaderKey, (types = bindingTypes(code)));
    const entries: GPUBindGroupLayoutEntry[] = [{ binding: 0, visibility: COMPUTE_STAGE, buffer: { type: 'uniform', hasDynamicOffset: true } }];
    for (const b of p.bindings) {
      const type = types.get(b.binding);
      if (!type || type === 'uniform' || b.binding === 0) {
        throw new TributaryError('webgpu/error', `${p.name}: the shader ${shaderKey} declares no storage buffer at @binding(${b.binding}).`);
      }
      entries.push({ binding: b.binding, visibility: COMPUTE_STAGE, buffer: { type } });
    }
    const layout = this.device.createBindGroupLayout({ entries, label: key });
    const module = this.device.createShaderModule({ code, label: key });
    const pipeline = this.device.createComputePipeline({ layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module, entryPoint }, label: key });
    const entry = { pipeline, layout, key };
    this.pipelines.set(key, entry);
    return entry;
  }

  /** A stable small id for a buffer, and a note that the commands being encoded use it. */
  private touch(buf: GPUBuffer): number {
    let e = this.bufferIds.get(buf);
    if (!e) this.bufferIds.set(buf, (e = { id: this.nextBufferId++, epoch: this.epoch }));
    else e.epoch = this.epoch;
    return e.id;
  }

  /** Whether commands encoded but not yet submitted use `buf` (a host write to it must wait for a submit). */
  inFlight(buf: GPUBuffer): boolean {
    return this.encoder !== undefined && this.bufferIds.get(buf)?.epoch === this.epoch;
  }

  /** The arena slot holding these uniform values (written once, reused while the arena lasts). */
  private uniformSlot(uniforms: GpuProgram['uniforms']): number {
    let key = '';
    for (const u of uniforms) key += 'u32' in u ? `u${u.u32},` : 'i32' in u ? `i${u.i32},` : `f${u.f32},`;
    const have = this.uniformSlots.get(key);
    if (have !== undefined) return have;
    if (this.arenaUsed >= UNIFORM_SLOTS) {
      // start over: submit what uses the old slots first, so rewriting them cannot reach those commands
      this.flush();
      this.uniformSlots.clear();
      this.arenaUsed = 0;
      this.dirtyFrom = 0;
    }
    const slot = this.arenaUsed++;
    const view = new DataView(this.arenaData, slot * UNIFORM_SLOT, UNIFORM_SLOT);
    uniforms.forEach((u, i) => {
      if ('u32' in u) view.setUint32(i * 4, u.u32, true);
      else if ('i32' in u) view.setInt32(i * 4, u.i32, true);
      else view.setFloat32(i * 4, u.f32, true);
    });
    this.uniformSlots.set(key, slot);
    return slot;
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
    this.beginPass(); // first, so that pipeline creation errors land in this batch's error scope
    const pl = this.pipeline(p);
    const slot = this.uniformSlot(p.uniforms);
    const uniformBytes = Math.max(16, Math.ceil((p.uniforms.length * 4) / 16) * 16);
    let key = `${pl.key}|${uniformBytes}`;
    for (const b of p.bindings) key += `,${this.touch(b.buffer)}`;
    let bindGroup = this.bindGroups.get(key);
    if (!bindGroup) {
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.arena, offset: 0, size: uniformBytes } }];
      for (const b of p.bindings) entries.push({ binding: b.binding, resource: { buffer: b.buffer } });
      if (this.bindGroups.size >= BIND_GROUP_CACHE_MAX) this.bindGroups.clear();
      bindGroup = this.device.createBindGroup({ layout: pl.layout, entries, label: p.name });
      this.bindGroups.set(key, bindGroup);
      this.bindGroupsCreated++;
    }
    // (a new uniform slot may have submitted the batch so far: this is then a new pass)
    const pass = this.beginPass();
    pass.setPipeline(pl.pipeline);
    pass.setBindGroup(0, bindGroup, [slot * UNIFORM_SLOT]);
    pass.dispatchWorkgroups(p.dispatch[0], p.dispatch[1], p.dispatch[2]);
    this.dispatches++;
  }

  /** Encodes a buffer-to-buffer copy (bytes; offsets and size multiples of 4). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.check();
    const enc = this.endPass();
    this.touch(src);
    this.touch(dst);
    enc.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Encodes zeroing `bytes` of `buf` from `byteOffset` (multiples of 4), in order with the other commands. */
  clear(buf: GPUBuffer, byteOffset = 0, bytes = buf.size - byteOffset): void {
    this.check();
    const enc = this.endPass();
    this.touch(buf);
    enc.clearBuffer(buf, byteOffset, bytes);
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
    if (this.arenaUsed > this.dirtyFrom) {
      const from = this.dirtyFrom * UNIFORM_SLOT;
      this.device.queue.writeBuffer(this.arena, from, new Uint8Array(this.arenaData, from, (this.arenaUsed - this.dirtyFrom) * UNIFORM_SLOT));
      this.dirtyFrom = this.arenaUsed;
    }
    this.device.queue.submit([enc.finish()]);
    this.epoch++;
    this.submits++;
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
    // queue.writeBuffer runs before unsubmitted commands: submit them first if they use this buffer
    if (this.inFlight(buffer)) this.flush();
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
    const [out] = await this.readParts([{ buffer, byteLength, byteOffset }], timeoutMs);
    return out!;
  }

  /** Reads several buffers (or ranges) back in one round trip: one staging buffer, one submit, one map. */
  async readParts(parts: readonly { buffer: GPUBuffer; byteLength: number; byteOffset?: number }[], timeoutMs = this.timeoutMs): Promise<ArrayBuffer[]> {
    this.check();
    const at: number[] = [];
    let size = 0;
    for (const p of parts) {
      at.push(size);
      size += Math.ceil(p.byteLength / 4) * 4;
    }
    size = Math.max(4, size);
    const bucket = bucketSize(size);
    const staging = this.staging.get(bucket)?.pop() ?? this.device.createBuffer({ size: bucket, usage: MAP_READ | COPY_DST, label: 'readback' });
    let reusable = false;
    try {
      const enc = this.endPass();
      parts.forEach((p, i) => {
        this.touch(p.buffer);
        const bytes = Math.ceil(p.byteLength / 4) * 4;
        if (bytes > 0) enc.copyBufferToBuffer(p.buffer, p.byteOffset ?? 0, staging, at[i]!, bytes);
      });
      this.flush();
      await withTimeout(staging.mapAsync(0x0001 /* GPUMapMode.READ */, 0, size), timeoutMs, 'Reading a GPU buffer back');
      const mapped = staging.getMappedRange(0, size);
      const out = parts.map((p, i) => mapped.slice(at[i]!, at[i]! + p.byteLength));
      staging.unmap();
      reusable = true;
      await this.collectErrors(timeoutMs);
      return out;
    } finally {
      let list = this.staging.get(bucket);
      if (!list) this.staging.set(bucket, (list = []));
      if (reusable && !this.disposed && list.length < STAGING_KEEP) list.push(staging);
      else staging.destroy();
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
    for (const list of this.staging.values()) for (const b of list) b.destroy();
    this.staging.clear();
    this.bindGroups.clear();
    this.arena.destroy();
    this.dummy.destroy();
    for (const b of this.dummyOut) b.destroy();
    this.device.destroy();
  }
}
