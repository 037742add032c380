/// <reference types="@webgpu/types" />
/**
 * The WebGPU backend: `Backend` (src/engine/backend.ts) over the WGSL kernels in `shaders/`, one op file
 * each in `./ops`. Ops are recorded into a command encoder and submitted when a result is read (or a host
 * write needs ordering); `read` waits for everything enqueued before it. Host index data (token ids,
 * positions, per-row adapter slots) is uploaded with the dispatch; the same array with the same contents
 * is uploaded once and reused by every layer of a forward pass.
 *
 * Differences from the CPU backend a caller may notice: none in results beyond the tolerances of the parity
 * tests (tests/gpu). RoPE reads `invFreq` on the host (tensors made by `upload`/`write` keep a host copy)
 * and rotates with cos/sin computed in f64 there. Extra, outside `Backend`: `argmax` (greedy decoding
 * without reading the logits back), `sync`, `destroy`, `info`, `lost`.
 *
 * @example
 * const gpu = await WebGpuBackend.create();          // throws webgpu/unavailable: use createCpuBackend()
 * const model = createModel(gpu, config, weights, { quant: 'q4' });
 * gpu.lost.then(() => switchToCpu());
 */
import { TributaryError } from '../../core/errors.ts';
import { DecodeFuser } from './decodeFuser.ts';
import { badShape, GpuLoraPool, GpuTensor, GpuWeight, outTen, pl, shapeSize, ten, wt } from './gpuTensors.ts';
import type { Backend, BackendMemory, LoraPool, LoraSlotData, PagedRows, Tensor, WeightTensor } from '../backend.ts';
import type { F16Matrix } from '../f16.ts';
import type { Matrix } from '../quant.ts';
import { acquireGpu, type AcquireOptions, type GpuDeviceInfo } from './device.ts';
import { gpuMatrixBuffers, uploadMatrix } from './matrix.ts';
import { GpuRuntime, type RuntimeOptions } from './runtime.ts';
import { add } from './ops/add.ts';
import { argmax } from './ops/argmax.ts';
import { topK, TOPK_MAX_K } from './ops/topK.ts';
import { attention } from './ops/attention.ts';
import { kvWritePaged, kvWritePagedProgram, pagedAttention } from './ops/pagedAttention.ts';
import { checkPagedRows } from '../cpu/kernels/pagedAttention.ts';
import { embeddingGather, checkTokenIds } from './ops/embeddingGather.ts';
import { checkLoraArgs } from './ops/loraBgmv.ts';
import { LORA_SLOT_BYTES } from './ops/loraSlots.ts';
import { matmul, matmulProgram, maxStorageBuffers, GEMV_MAX_T } from './ops/matmul.ts';
import { rmsNorm, rmsNormProgram, rmsNormVariant } from './ops/rmsNorm.ts';
import { ropeProgram, ropeTableData, type RopeTable } from './ops/rope.ts';
import { siluMul } from './ops/siluMul.ts';

/** Tensors up to this many values keep a host copy when uploaded (RoPE's invFreq needs one). */
const HOST_COPY_MAX = 1 << 16;


interface IndexUpload {
  copy: Int32Array | Uint32Array;
  buffer: GPUBuffer;
}

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly info: GpuDeviceInfo;
  /** resolves with a reason when the device is lost unexpectedly (then every op throws webgpu/device-lost); not on destroy() */
  readonly lost: Promise<string>;
  private readonly mem: BackendMemory = { weights: 0, tensors: 0, lora: 0 };
  private readonly uploads = new Map<string, IndexUpload>();
  private readonly ropeTables = new WeakMap<GpuTensor, RopeTable & { version: number }>();
  /** the ops recorded but not yet encoded, so that the op after them can join their dispatch (decodeFuser.ts) */
  private readonly fuser: DecodeFuser;
  /**
   * Fold rmsNorm into the next decode matmul (`pendingNorm`); false encodes every norm alone (tests compare the two).
   * On by default for the tiled family (real GPUs, where a decode step is bound by per-dispatch cost), off for the
   * coarse family: on a software adapter every invocation recomputing its row's norm costs more than the dispatch it
   * saves (measured on SwiftShader, `npm run bench -- webgpu`: decode 78 → 63 tok/s with folding).
   */
  foldNorms: boolean;

  constructor(readonly rt: GpuRuntime) {
    this.info = rt.info;
    if (rt.kernels === 'gpu') this.topK = (logits, T, V, k) => this.topKOnDevice(logits, T, V, k);
    this.foldNorms = rt.kernels === 'gpu';
    this.fuser = new DecodeFuser(rt, (key, data) => this.index(key, data));
    this.lost = new Promise((resolve) => {
      void rt.device.lost.then((i) => {
        if (i.reason !== 'destroyed') resolve(`${i.reason}: ${i.message}`);
      });
    });
  }

  /** Acquires a device (navigator.gpu, or `opts.gpu`) and wraps it; throws `webgpu/unavailable` when there is none. */
  static async create(opts: AcquireOptions & RuntimeOptions = {}): Promise<WebGpuBackend> {
    return new WebGpuBackend(new GpuRuntime(await acquireGpu(opts), opts));
  }

  // ---- memory ------------------------------------------------------------------------------------------------

  private make(shape: readonly number[], data?: Float32Array): GpuTensor {
    const n = shapeSize(shape);
    let buffer: GPUBuffer;
    if (data) buffer = this.rt.upload(data);
    else {
      // a forward pass allocates the same temporaries every step: reuse pooled buffers (and so their cached
      // bind groups), zeroed in order with the other commands
      buffer = this.rt.pool.acquire(n * 4);
      if (n > 0) this.rt.clear(buffer, 0, n * 4);
    }
    const t = new GpuTensor([...shape], n, buffer);
    if (n <= HOST_COPY_MAX) t.host = data ? data.slice() : new Float32Array(n);
    this.mem.tensors += buffer.size;
    return t;
  }

  alloc(shape: readonly number[]): Tensor {
    this.fuser.settle();
    return this.make(shape);
  }

  upload(data: Float32Array, shape?: readonly number[]): Tensor {
    this.fuser.settle();
    const s = shape ? [...shape] : [data.length];
    if (shapeSize(s) !== data.length) throw badShape(`upload: ${data.length} values do not fill a [${s.join(', ')}] tensor.`);
    return this.make(s, data);
  }

  write(t: Tensor, data: Float32Array, offset = 0): void {
    this.fuser.settle();
    const g = ten(t);
    if (!Number.isInteger(offset) || offset < 0 || offset + data.length > g.size) throw badShape(`write: ${data.length} values at ${offset} overflow a tensor of ${g.size}.`);
    if (data.length === 0) return;
    this.rt.write(g.buffer, data, offset * 4);
    if (g.host) {
      g.host.set(data, offset);
      g.version++;
    }
  }

  async read(t: Tensor, offset = 0, length?: number): Promise<Float32Array> {
    this.fuser.settle();
    const g = ten(t);
    const n = length ?? g.size - offset;
    if (!Number.isInteger(offset) || offset < 0 || n < 0 || offset + n > g.size) throw badShape(`read: ${n} values at ${offset} overflow a tensor of ${g.size}.`);
    if (n === 0) return new Float32Array(0);
    return this.rt.readF32(g.buffer, n, offset);
  }

  uploadWeight(m: Matrix): WeightTensor {
    this.fuser.settle();
    const w = new GpuWeight(uploadMatrix(this.rt, m));
    this.mem.weights += w.bytes;
    return w;
  }

  /** f16 halves, two per u32 word (shaders/lib/weights_f16.wgsl widens them to f32): half the bytes of f32. */
  uploadWeightF16(m: F16Matrix): WeightTensor {
    this.fuser.settle();
    const w = new GpuWeight(uploadMatrix(this.rt, m));
    this.mem.weights += w.bytes;
    return w;
  }

  createLoraPool(nSlots: number, maxRank: number, inDim: number, outDim: number): LoraPool {
    this.fuser.settle();
    for (const [what, v] of [
      ['nSlots', nSlots],
      ['maxRank', maxRank],
      ['inDim', inDim],
      ['outDim', outDim],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw badShape(`createLoraPool: ${what} must be a positive integer (got ${v}).`);
    }
    const bytes = nSlots * maxRank * (inDim + outDim) * 4;
    const limit = this.rt.info.limits.maxStorageBufferBindingSize ?? 134_217_728;
    if (bytes > limit) {
      throw new TributaryError('engine/lora-slot', `A LoRA pool of ${nSlots} slots of rank ${maxRank} for ${inDim}→${outDim} needs ${bytes} bytes; this GPU binds at most ${limit}. Use fewer slots.`);
    }
    const pool = new GpuLoraPool(nSlots, maxRank, inDim, outDim, this.rt.createBuffer(bytes, undefined, 'lora-pool'), this.rt.createBuffer(nSlots * LORA_SLOT_BYTES, undefined, 'lora-slots'));
    // offsets are fixed per slot; rank 0 until something is loaded
    const table = new DataView(new ArrayBuffer(nSlots * LORA_SLOT_BYTES));
    for (let s = 0; s < nSlots; s++) {
      table.setUint32(s * LORA_SLOT_BYTES, s * pool.slotStride, true);
      table.setUint32(s * LORA_SLOT_BYTES + 4, s * pool.slotStride + maxRank * inDim, true);
    }
    this.rt.write(pool.table, new Uint8Array(table.buffer));
    this.mem.lora += pool.bytes;
    return pool;
  }

  writeLoraSlot(pool: LoraPool, slot: number, data: LoraSlotData | null): void {
    this.fuser.settle();
    const p = pl(pool);
    if (!Number.isInteger(slot) || slot < 0 || slot >= p.nSlots) throw new TributaryError('engine/lora-slot', `LoRA slot ${slot} does not exist (the pool has ${p.nSlots}).`);
    const entry = new DataView(new ArrayBuffer(LORA_SLOT_BYTES));
    entry.setUint32(0, slot * p.slotStride, true);
    entry.setUint32(4, slot * p.slotStride + p.maxRank * p.inDim, true);
    if (!data) {
      p.ranks[slot] = null;
      this.rt.write(p.table, new Uint8Array(entry.buffer), slot * LORA_SLOT_BYTES);
      return;
    }
    const r = data.rank;
    if (!Number.isInteger(r) || r < 0 || r > p.maxRank) throw new TributaryError('engine/lora-slot', `An adapter of rank ${r} does not fit slots of rank ≤ ${p.maxRank}.`);
    if (data.A.length !== r * p.inDim || data.B.length !== p.outDim * r) {
      throw badShape(`LoRA slot ${slot}: A must be ${r}×${p.inDim} and B ${p.outDim}×${r} (got ${data.A.length} and ${data.B.length} values).`);
    }
    if (r > 0) {
      this.rt.write(p.pool, data.A, slot * p.slotStride * 4);
      this.rt.write(p.pool, data.B, (slot * p.slotStride + p.maxRank * p.inDim) * 4);
    }
    entry.setUint32(8, r, true);
    entry.setFloat32(12, data.scale, true);
    this.rt.write(p.table, new Uint8Array(entry.buffer), slot * LORA_SLOT_BYTES);
    p.ranks[slot] = r;
  }

  dispose(t: Tensor | WeightTensor | LoraPool): void {
    this.fuser.settle();
    if (t instanceof GpuTensor && !t.disposed) {
      t.disposed = true;
      this.mem.tensors -= t.buffer.size;
      // a pooled buffer goes back to the pool: the next user's commands are encoded after this one's
      if (this.rt.pool.holds(t.buffer)) this.rt.pool.release(t.buffer);
      else this.rt.deferDestroy(t.buffer);
      const table = this.ropeTables.get(t);
      if (table) this.rt.deferDestroy(table.buffer);
    } else if (t instanceof GpuWeight && !t.disposed) {
      t.disposed = true;
      this.mem.weights -= t.bytes;
      for (const b of gpuMatrixBuffers(t.matrix)) this.rt.deferDestroy(b);
    } else if (t instanceof GpuLoraPool && !t.disposed) {
      t.disposed = true;
      this.mem.lora -= t.bytes;
      this.rt.deferDestroy(t.pool);
      this.rt.deferDestroy(t.table);
    }
  }

  memory(): BackendMemory {
    return { ...this.mem };
  }

  // ---- host index data -----------------------------------------------------------------------------------------

  /**
   * The GPU copy of small host index data, reused while the contents stay the same. New contents go into the
   * same buffer when it is big enough and no unsubmitted command reads it (a decode step's positions, page
   * table and write rows change every step: one queue write each, no new buffer); else into a new buffer.
   */
  private index(key: string, data: Int32Array | Uint32Array): GPUBuffer {
    const hit = this.uploads.get(key);
    if (hit && hit.copy.length === data.length && hit.copy.every((v, i) => v === data[i])) return hit.buffer;
    const src = data.length ? data : new Int32Array(1);
    if (hit && hit.buffer.size >= src.byteLength && !this.rt.inFlight(hit.buffer)) {
      this.rt.write(hit.buffer, src);
      hit.copy = data.slice();
      return hit.buffer;
    }
    if (hit) this.rt.deferDestroy(hit.buffer);
    // room to grow: the next step's batch may be a few rows longer
    const buffer = this.rt.createBuffer(Math.max(64, src.byteLength * 2), undefined, `index-${key}`);
    this.rt.write(buffer, src);
    this.uploads.set(key, { copy: data.slice(), buffer });
    return buffer;
  }

  private ropeTable(invFreq: GpuTensor, maxPos: number): RopeTable {
    const have = this.ropeTables.get(invFreq);
    if (have && have.version === invFreq.version && have.maxPos >= maxPos) return have;
    if (!invFreq.host) {
      throw badShape('rope: the WebGPU backend needs invFreq as a tensor made by upload() or write() (it computes cos/sin on the host in f64).');
    }
    if (have) this.rt.deferDestroy(have.buffer);
    const size = Math.max(256, 2 ** Math.ceil(Math.log2(maxPos)), have && have.version === invFreq.version ? have.maxPos * 2 : 0);
    const table = { buffer: this.rt.upload(ropeTableData(invFreq.host, size), undefined, 'rope-table'), headDim: invFreq.size * 2, maxPos: size, version: invFreq.version };
    this.ropeTables.set(invFreq, table);
    return table;
  }

  // ---- forward ops ---------------------------------------------------------------------------------------------

  matmul(x: Tensor, T: number, w: WeightTensor, out: Tensor, bias?: Tensor): void {
    const gx = ten(x);
    const m = wt(w);
    const o = outTen(out);
    const b = bias ? ten(bias) : undefined;
    const norm = T > 0 ? this.fuser.takeNorm(gx, T, m, [o], b) : undefined; // before settle, which would encode it alone
    this.fuser.settle();
    if (T === 0) return;
    const [xb, no] = this.fuser.normArgs({ x: gx, norm });
    try {
      // validate now, encode later
      matmulProgram(xb, T, m, o.buffer, { kernels: this.rt.kernels, hasF16: this.rt.info.hasF16, dummy: this.rt.dummy, dummyOut: this.rt.dummyOut, maxStorageBuffers: maxStorageBuffers(this.rt), ...(b ? { bias: b.buffer } : {}), ...no });
    } catch (e) {
      // a bad matmul: the norm it took still runs, alone, as it would have unfolded
      if (norm) rmsNorm(this.rt, norm.x.buffer, T, m.cols, norm.weight.buffer, norm.eps, gx.buffer);
      throw e;
    }
    this.fuser.pending = { x: gx, T, w: m, out: o, bias: b, ...(norm ? { norm } : {}) };
  }

  /**
   * `Backend.matmulSplit`: one matmul kernel whose output columns go to up to three tensors (the split output of
   * shaders/lib/split_out.wgsl), e.g. q, k and v from one fused [Wq; Wk; Wv]. Encoded at once (no epilogue to wait for).
   */
  matmulSplit(x: Tensor, T: number, w: WeightTensor, outs: readonly Tensor[], bias?: Tensor): void {
    const m = wt(w);
    const gx = ten(x);
    const b = bias ? ten(bias) : undefined;
    const os = outs.map(ten);
    if (outs.length < 1 || outs.length > 3 || !Number.isInteger(T) || T < 0) this.fuser.settle();
    if (outs.length < 1 || outs.length > 3) throw badShape(`matmulSplit: 1 to 3 outputs, got ${outs.length}.`);
    if (!Number.isInteger(T) || T < 0) throw badShape(`matmulSplit: T must be a non-negative integer (got ${T}).`);
    const widths = os.map((o) => (T > 0 ? o.size / T : 0));
    if (T > 0) {
      const sum = widths.reduce((a, n) => a + n, 0);
      if (widths.some((n) => !Number.isInteger(n) || n < 1) || sum !== m.rows) {
        this.fuser.settle();
        throw badShape(`matmulSplit: the outputs must hold T × width values each, widths summing to the weight's ${m.rows} rows (got ${os.map((o) => o.size).join(', ')} values for T = ${T}).`);
      }
    }
    if (T > 0) os.forEach(outTen);
    const norm = T > 0 ? this.fuser.takeNorm(gx, T, m, os, b) : undefined; // before settle, which would encode it alone
    this.fuser.settle();
    if (T === 0) return;
    const s1 = widths[0]!;
    const s2 = s1 + (widths[1] ?? 0);
    const split = { at: [s1, s2] as const, ...(os[1] ? { out2: os[1].buffer } : {}), ...(os[2] ? { out3: os[2].buffer } : {}) };
    const [xb, no] = this.fuser.normArgs({ x: gx, norm });
    try {
      matmul(this.rt, xb, T, m, os[0]!.buffer, { ...(os.length > 1 ? { split } : {}), ...(b ? { bias: b.buffer } : {}), ...no });
    } catch (e) {
      if (norm) rmsNorm(this.rt, norm.x.buffer, T, m.cols, norm.weight.buffer, norm.eps, gx.buffer); // the norm it took, alone
      throw e;
    }
  }

  rmsNorm(x: Tensor, T: number, d: number, weight: Tensor, eps: number, out: Tensor): void {
    this.fuser.settle();
    if (T === 0) return;
    if (ten(weight).size !== d) throw badShape(`rmsNorm: weight needs ${d} values, has ${ten(weight).size}.`);
    const gx = ten(x);
    const gw = ten(weight);
    const o = outTen(out);
    if (this.foldNorms && T <= GEMV_MAX_T && gx !== o && gw !== o) {
      rmsNormProgram(gx.buffer, T, d, gw.buffer, eps, o.buffer, rmsNormVariant(d, this.rt.kernels)); // validate now, encode later
      this.fuser.pendingNorm = { x: gx, T, d, weight: gw, eps, out: o }; // folded into the next matmul on o, or encoded alone (see pendingNorm)
      return;
    }
    rmsNorm(this.rt, gx.buffer, T, d, gw.buffer, eps, o.buffer);
  }

  rope(x: Tensor, T: number, nHeads: number, headDim: number, positions: Int32Array, invFreq: Tensor, rowOffset = 0): void {
    if (T === 0) {
      this.fuser.settle();
      return;
    }
    if (positions.length < T) throw badShape(`rope: ${T} rows need ${T} positions, got ${positions.length}.`);
    const inv = ten(invFreq);
    if (inv.size !== headDim / 2) throw badShape(`rope: invFreq needs ${headDim / 2} values, has ${inv.size}.`);
    let maxPos = 0;
    for (let t = 0; t < T; t++) {
      const p = positions[t]!;
      if (!(p >= 0)) throw badShape(`rope: position ${p} is negative.`);
      maxPos = Math.max(maxPos, p);
    }
    const rows = positions.length === T ? positions : positions.subarray(0, T);
    const gx = ten(x);
    const p = this.fuser.pendingRope;
    if (p && !p.second && p.x.buffer !== gx.buffer && p.T === T && p.headDim === headDim && p.invFreq === inv && p.rowOffset === rowOffset && p.positions.every((v, i) => v === rows[i])) {
      // same rows, positions and table as the pending rope: one dispatch for both
      const program = ropeProgram(p.x.buffer, T, p.nHeads, headDim, p.pos, p.table, rowOffset, { x: gx.buffer, nHeads }); // validates
      outTen(x);
      this.fuser.pendingRope = { ...p, program, second: { x: gx, nHeads } }; // encoded by the next op, or joined by its KV write
      return;
    }
    this.fuser.settle();
    const pos = this.index('positions', rows);
    const table = this.ropeTable(inv, maxPos + 1);
    const program = ropeProgram(outTen(x).buffer, T, nHeads, headDim, pos, table, rowOffset); // validate now, encode later
    this.fuser.pendingRope = { x: gx, T, nHeads, headDim, positions: rows.slice(), invFreq: inv, rowOffset, pos, table, program };
  }

  attention(q: Tensor, kCache: Tensor, vCache: Tensor, T: number, startPos: number, nHeads: number, nKvHeads: number, headDim: number, out: Tensor, rowOffset = 0): void {
    this.fuser.settle();
    if (T === 0) return;
    attention(this.rt, ten(q).buffer, ten(kCache).buffer, ten(vCache).buffer, T, startPos, nHeads, nKvHeads, headDim, outTen(out).buffer, rowOffset);
  }

  siluMul(gate: Tensor, up: Tensor, out: Tensor): void {
    const g = ten(gate);
    const u = ten(up);
    const o = outTen(out);
    if (o === g && g !== u && this.fuser.fuse('swiglu', u, g)) return;
    this.fuser.settle();
    if (u.size !== g.size || o.size < g.size) throw badShape(`siluMul: gate, up and out differ in length (${g.size}, ${u.size}, ${o.size}).`);
    if (g.size === 0) return;
    if (g === u) {
      // silu(x)·x: keep a copy of x for the up side
      const tmp = this.rt.pool.acquire(g.size * 4);
      this.rt.copy(g.buffer, 0, tmp, 0, g.size * 4);
      siluMul(this.rt, g.buffer, tmp, o.buffer, g.size);
      this.rt.pool.release(tmp);
      return;
    }
    siluMul(this.rt, g.buffer, u.buffer, o.buffer, g.size);
  }

  add(a: Tensor, b: Tensor, out: Tensor): void {
    const ga = ten(a);
    const gb = ten(b);
    const o = outTen(out);
    if (o === ga && ga !== gb && this.fuser.fuse('residual', gb, ga)) return;
    if (o === gb && ga !== gb && this.fuser.fuse('residual', ga, gb)) return;
    this.fuser.settle();
    if (gb.size !== ga.size || o.size < ga.size) throw badShape(`add: a, b and out differ in length (${ga.size}, ${gb.size}, ${o.size}).`);
    if (ga.size === 0) return;
    if (o === gb && o !== ga) add(this.rt, gb.buffer, ga.buffer, o.buffer, ga.size); // b += a
    else if (o === ga && ga === gb) {
      const tmp = this.rt.pool.acquire(ga.size * 4);
      this.rt.copy(ga.buffer, 0, tmp, 0, ga.size * 4);
      add(this.rt, ga.buffer, tmp, o.buffer, ga.size);
      this.rt.pool.release(tmp);
    } else add(this.rt, ga.buffer, gb.buffer, o.buffer, ga.size);
  }

  embeddingGather(tokens: Int32Array, table: WeightTensor, out: Tensor): void {
    this.fuser.settle();
    const m = wt(table);
    checkTokenIds(tokens, m.rows);
    if (tokens.length === 0) return;
    embeddingGather(this.rt, this.index('tokens', tokens), tokens.length, m, outTen(out).buffer);
  }

  loraApply(x: Tensor, T: number, pool: LoraPool, rowAdapter: Int32Array, out: Tensor): void {
    const p = pl(pool);
    if (rowAdapter.length < T) throw badShape(`loraApply: ${T} rows need ${T} adapter slots, got ${rowAdapter.length}.`);
    const rows = rowAdapter.length === T ? rowAdapter : rowAdapter.subarray(0, T);
    let work = false;
    for (let t = 0; t < T; t++) {
      const s = rows[t]!;
      if (s < 0) continue;
      const r = p.ranks[s];
      if (r === undefined || r === null) throw new TributaryError('engine/lora-slot', `loraApply: row ${t} asks for adapter slot ${s}, which is empty.`);
      if (r > 0) work = true;
    }
    if (!work) return; // no adapter rows: no LoRA work at all (a pending matmul stays pending)
    const gx = ten(x);
    const o = outTen(out);
    const m = this.fuser.pending;
    if (m && !m.lora && m.out === o && m.T === T && m.w.rows === p.outDim && gx !== o) {
      // the module's own matmul: record the LoRA pass with it, so that an add / siluMul after it still fuses
      const lora = { x: gx, pool: p, rows: rows.slice() };
      checkLoraArgs('loraApply', this.fuser.loraArgs(lora, T, o.buffer)); // validate now, encode later
      m.lora = lora;
      return;
    }
    this.fuser.settle();
    this.fuser.encodeLora({ x: gx, pool: p, rows }, T, o.buffer);
  }

  kvWritePaged(k: Tensor, v: Tensor, T: number, rowLen: number, kPool: Tensor, vPool: Tensor, dstRows: Int32Array): void {
    if (T === 0) {
      this.fuser.settle();
      return;
    }
    const [gk, gv] = [ten(k), ten(v)];
    const kp = outTen(kPool);
    const vp = outTen(vPool);
    const poolRows = Math.floor(Math.min(kp.size, vp.size) / rowLen);
    if (dstRows.length < T) throw badShape(`kvWritePaged: ${T} rows need ${T} destinations, got ${dstRows.length}.`);
    const dst = dstRows.length === T ? dstRows : dstRows.subarray(0, T);
    for (let t = 0; t < T; t++) {
      const r = dst[t]!;
      if (!(r >= 0 && r < poolRows)) throw badShape(`kvWritePaged: row ${t} goes to pool row ${r}, outside 0..${poolRows - 1}.`);
    }
    const p = this.fuser.pendingRope;
    const s = p?.second;
    if (p && s && p.T === T && p.rowOffset === 0 && s.x.buffer === gk.buffer && rowLen === s.nHeads * p.headDim && new Set([p.x.buffer, gk.buffer, gv.buffer, kp.buffer, vp.buffer]).size === 5) {
      // the pending pair's k and this write's k: one dispatch rotates q and k and writes k and v to the pools
      const dstBuf = this.index('kv-dst', dst);
      kvWritePagedProgram(gk.buffer, gv.buffer, T, rowLen, kp.buffer, vp.buffer, dstBuf, poolRows); // validates as the lone op would
      const kv = { v: gv.buffer, dstRows: dstBuf, kPool: kp.buffer, vPool: vp.buffer, poolRows };
      const program = ropeProgram(p.x.buffer, T, p.nHeads, p.headDim, p.pos, p.table, 0, { x: gk.buffer, nHeads: s.nHeads }, kv);
      this.fuser.pendingRope = undefined;
      this.rt.run(program);
      return;
    }
    this.fuser.settle();
    kvWritePaged(this.rt, gk.buffer, gv.buffer, T, rowLen, kp.buffer, vp.buffer, this.index('kv-dst', dst), poolRows);
  }

  pagedAttention(q: Tensor, kPool: Tensor, vPool: Tensor, T: number, nHeads: number, nKvHeads: number, headDim: number, out: Tensor, paged: PagedRows): void {
    this.fuser.settle();
    if (T === 0) return;
    const kp = ten(kPool);
    const vp = ten(vPool);
    const poolRows = Math.floor(Math.min(kp.size, vp.size) / (nKvHeads * headDim));
    checkPagedRows('pagedAttention', T, paged, poolRows);
    const rows = new Int32Array(2 * T);
    for (let t = 0; t < T; t++) {
      rows[2 * t] = paged.positions[t]!;
      rows[2 * t + 1] = paged.rowSeq[t]!;
    }
    const buffers = { rows: this.index('paged-rows', rows), pageTable: this.index('page-table', paged.pageTable), pageSize: paged.pageSize, pagesPerSeq: paged.pagesPerSeq, poolRows };
    pagedAttention(this.rt, ten(q).buffer, kp.buffer, vp.buffer, T, nHeads, nKvHeads, headDim, outTen(out).buffer, buffers);
  }

  copyRows(src: Tensor, srcRow: number, dst: Tensor, dstRow: number, nRows: number, rowLen: number): void {
    this.fuser.settle();
    const s = ten(src);
    const d = outTen(dst);
    const a = srcRow * rowLen;
    const b = dstRow * rowLen;
    const n = nRows * rowLen;
    if (!(srcRow >= 0 && dstRow >= 0 && nRows >= 0 && rowLen >= 0) || a + n > s.size || b + n > d.size) {
      throw badShape(`copyRows: ${nRows} rows of ${rowLen} from row ${srcRow} to row ${dstRow} overflow (${s.size} → ${d.size}).`);
    }
    if (n === 0) return;
    if (s !== d) {
      this.rt.copy(s.buffer, a * 4, d.buffer, b * 4, n * 4);
      return;
    }
    if (a === b) return;
    const tmp = this.rt.pool.acquire(n * 4);
    this.rt.copy(s.buffer, a * 4, tmp, 0, n * 4);
    this.rt.copy(tmp, 0, d.buffer, b * 4, n * 4);
    this.rt.pool.release(tmp);
  }

  // ---- extras ----------------------------------------------------------------------------------------------------

  /** Greedy choice per row of `logits [T, V]` on the GPU (first index on ties); reads back T ids. */
  async argmax(logits: Tensor, T: number, V: number): Promise<Int32Array> {
    this.fuser.settle();
    const ids = this.rt.pool.acquire(T * 4);
    try {
      argmax(this.rt, ten(logits).buffer, T, V, ids);
      return await this.rt.readI32(ids, T);
    } finally {
      this.rt.pool.release(ids);
    }
  }

  /**
   * `Backend.topK`, on real GPUs only (the `gpu` kernel family): there a whole logits row read back costs a copy
   * over the bus plus host work per token; on a software adapter the row is already in host memory, so reading it
   * is cheaper than selecting on the emulated GPU, and this stays undefined.
   */
  readonly topK?: (logits: Tensor, T: number, V: number, k: number) => Promise<{ ids: Int32Array; vals: Float32Array }>;

  private async topKOnDevice(logits: Tensor, T: number, V: number, k: number): Promise<{ ids: Int32Array; vals: Float32Array }> {
    this.fuser.settle();
    const l = ten(logits);
    if (!(Number.isInteger(k) && k >= 1 && k <= Math.min(TOPK_MAX_K, V))) throw badShape(`topK: k must be in 1..${Math.min(TOPK_MAX_K, V)} (got ${k}).`);
    if (l.size < T * V) throw badShape(`topK: ${T} rows of ${V} need ${T * V} values, the tensor has ${l.size}.`);
    const ids = this.rt.pool.acquire(T * k * 4);
    const vals = this.rt.pool.acquire(T * k * 4);
    try {
      topK(this.rt, l.buffer, T, V, k, ids, vals);
      const [i, v] = await this.rt.readParts([
        { buffer: ids, byteLength: T * k * 4 },
        { buffer: vals, byteLength: T * k * 4 },
      ]);
      return { ids: new Int32Array(i!), vals: new Float32Array(v!) };
    } finally {
      this.rt.pool.release(ids);
      this.rt.pool.release(vals);
    }
  }

  /** Waits until the GPU has run everything enqueued. */
  sync(): Promise<void> {
    this.fuser.settle();
    return this.rt.sync();
  }

  /** Frees every GPU resource and the device. */
  destroy(): void {
    this.fuser.settle();
    this.rt.destroy();
  }
}

