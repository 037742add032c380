/// <reference types="@webgpu/types" />
/**
 * Reuses GPU buffers for intermediates (activations, scratch) instead of creating and destroying one per
 * op. Sizes are rounded up to a bucket (powers of two up to 1 MiB, then whole MiB), so a released buffer
 * serves any later request of the same bucket and usage. A pooled buffer may be larger than asked for:
 * kernels take their sizes from uniforms, never from `arrayLength`.
 *
 * Ordering: a buffer released while commands that use it are still being encoded must not be written
 * with `queue.writeBuffer` before those commands are submitted; `GpuRuntime.write` flushes first.
 *
 * @example
 * const tmp = pool.acquire(T * d * 4);
 * ...; pool.release(tmp);
 */
export const STORAGE_USAGE = 0x80 | 0x04 | 0x08; // STORAGE | COPY_SRC | COPY_DST (GPUBufferUsage is not a global in every runtime)

/** The bucket a request of `bytes` falls in. */
export function bucketSize(bytes: number): number {
  const b = Math.max(16, Math.ceil(bytes));
  if (b <= 1 << 20) return 2 ** Math.ceil(Math.log2(b));
  return Math.ceil(b / (1 << 20)) * (1 << 20);
}

export interface BufferPoolOptions {
  /** how to destroy a buffer the pool lets go (default: at once; the runtime defers it past the next submit) */
  destroy?: (buf: GPUBuffer) => void;
  /** bytes kept in the free lists at most; a release beyond this destroys the buffer (default 64 MiB) */
  maxFreeBytes?: number;
}

export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private readonly owned = new Set<GPUBuffer>();
  private readonly inUse = new Set<GPUBuffer>();
  private readonly destroyBuffer: (buf: GPUBuffer) => void;
  private readonly maxFreeBytes: number;
  /** bytes of every buffer this pool created and has not destroyed */
  allocatedBytes = 0;
  /** bytes sitting in the free lists */
  freeBytes = 0;

  constructor(
    private readonly device: GPUDevice,
    opts: BufferPoolOptions = {},
  ) {
    this.destroyBuffer = opts.destroy ?? ((b) => b.destroy());
    this.maxFreeBytes = opts.maxFreeBytes ?? 64 * 2 ** 20;
  }

  acquire(bytes: number, usage: number = STORAGE_USAGE, label = 'pooled'): GPUBuffer {
    const size = bucketSize(bytes);
    const key = `${usage}:${size}`;
    const list = this.free.get(key);
    let buf = list?.pop();
    if (buf) this.freeBytes -= size;
    else {
      buf = this.device.createBuffer({ size, usage, label });
      this.owned.add(buf);
      this.allocatedBytes += size;
    }
    this.inUse.add(buf);
    return buf;
  }

  /** Whether `buf` is a pool buffer currently handed out. */
  holds(buf: GPUBuffer): boolean {
    return this.inUse.has(buf);
  }

  release(buf: GPUBuffer): void {
    if (!this.inUse.delete(buf)) return; // not ours, or released twice
    if (this.freeBytes + buf.size > this.maxFreeBytes) {
      this.owned.delete(buf);
      this.allocatedBytes -= buf.size;
      this.destroyBuffer(buf);
      return;
    }
    const key = `${buf.usage}:${buf.size}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(buf);
    this.freeBytes += buf.size;
  }

  /** Destroys the free buffers (keeps those in use). */
  trim(): void {
    for (const list of this.free.values()) {
      for (const b of list) {
        this.owned.delete(b);
        this.allocatedBytes -= b.size;
        this.destroyBuffer(b);
      }
    }
    this.free.clear();
    this.freeBytes = 0;
  }

  /** Destroys everything this pool created. */
  destroy(): void {
    for (const b of this.owned) b.destroy();
    this.owned.clear();
    this.inUse.clear();
    this.free.clear();
    this.allocatedBytes = 0;
    this.freeBytes = 0;
  }
}
