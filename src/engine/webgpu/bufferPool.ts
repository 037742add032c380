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

export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private readonly owned = new Set<GPUBuffer>();
  private readonly inUse = new Set<GPUBuffer>();
  /** bytes of every buffer this pool created and has not destroyed */
  allocatedBytes = 0;

  constructor(private readonly device: GPUDevice) {}

  acquire(bytes: number, usage: number = STORAGE_USAGE, label = 'pooled'): GPUBuffer {
    const size = bucketSize(bytes);
    const key = `${usage}:${size}`;
    const list = this.free.get(key);
    let buf = list?.pop();
    if (!buf) {
      buf = this.device.createBuffer({ size, usage, label });
      this.owned.add(buf);
      this.allocatedBytes += size;
    }
    this.inUse.add(buf);
    return buf;
  }

  release(buf: GPUBuffer): void {
    if (!this.inUse.delete(buf)) return; // not ours, or released twice
    const key = `${buf.usage}:${buf.size}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(buf);
  }

  /** bytes sitting in the free lists */
  get freeBytes(): number {
    let n = 0;
    for (const list of this.free.values()) for (const b of list) n += b.size;
    return n;
  }

  /** Destroys the free buffers (keeps those in use). */
  trim(): void {
    for (const list of this.free.values()) {
      for (const b of list) {
        this.owned.delete(b);
        this.allocatedBytes -= b.size;
        b.destroy();
      }
    }
    this.free.clear();
  }

  /** Destroys everything this pool created. */
  destroy(): void {
    for (const b of this.owned) b.destroy();
    this.owned.clear();
    this.inUse.clear();
    this.free.clear();
    this.allocatedBytes = 0;
  }
}
