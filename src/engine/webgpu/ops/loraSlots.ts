/**
 * The slot table the multi-LoRA kernels read (shaders/bgmv.wgsl, shaders/sgmv.wgsl): for one target
 * module of one layer, slot s says where adapter s's A `[rank, inDim]` and B `[outDim, rank]` sit in the
 * f32 pool buffer (offsets in values), its rank and its scale (alpha / rank). 16 bytes per slot:
 * `{ aOffset: u32, bOffset: u32, rank: u32, scale: f32 }`; an empty slot is rank 0 (no work).
 * Also the prefill segments for SGMV: runs of consecutive rows on one adapter.
 *
 * @example
 * const table = rt.upload(packLoraSlots([{ aOffset: 0, bOffset: 8 * 64, rank: 8, scale: 2 }], poolFloats, 64, 64));
 * const seg = loraSegments(Int32Array.of(0, 0, 0, -1, 1, 1)); // [start 0 len 3 slot 0], [4, 2, 1]
 */
import { TributaryError } from '../../../core/errors.ts';

export interface LoraGpuSlot {
  aOffset: number;
  bOffset: number;
  rank: number;
  scale: number;
}

export const LORA_SLOT_BYTES = 16;

/** Packs the slot table, checking that every A and B lies inside a pool of `poolFloats` values. */
export function packLoraSlots(slots: readonly (LoraGpuSlot | null | undefined)[], poolFloats: number, inDim: number, outDim: number): Uint8Array {
  const bytes = new Uint8Array(Math.max(1, slots.length) * LORA_SLOT_BYTES);
  const view = new DataView(bytes.buffer);
  slots.forEach((s, i) => {
    if (!s || s.rank === 0) return; // zeros: rank 0
    const ok =
      Number.isInteger(s.rank) &&
      s.rank > 0 &&
      Number.isInteger(s.aOffset) &&
      Number.isInteger(s.bOffset) &&
      s.aOffset >= 0 &&
      s.bOffset >= 0 &&
      s.aOffset + s.rank * inDim <= poolFloats &&
      s.bOffset + outDim * s.rank <= poolFloats &&
      Number.isFinite(s.scale);
    if (!ok) {
      throw new TributaryError(
        'engine/lora-slot',
        `LoRA slot ${i}: A (${s.rank}×${inDim} at ${s.aOffset}) or B (${outDim}×${s.rank} at ${s.bOffset}) does not fit the pool of ${poolFloats} values, or its scale is not finite.`,
      );
    }
    view.setUint32(i * 16, s.aOffset, true);
    view.setUint32(i * 16 + 4, s.bOffset, true);
    view.setUint32(i * 16 + 8, s.rank, true);
    view.setFloat32(i * 16 + 12, s.scale, true);
  });
  return bytes;
}

export interface LoraSegments {
  /** `[start, len, slot, 0]` per segment, as u32 (slot as i32 bits) */
  data: Uint32Array;
  count: number;
  /** the longest segment, in rows */
  maxLen: number;
}

/**
 * Cuts `rowAdapter` into runs of consecutive rows on the same adapter; rows with -1 are left out, unless
 * `withIdle` (an expand that owes every row an epilogue: then they are runs with slot -1 too).
 */
export function loraSegments(rowAdapter: Int32Array, T = rowAdapter.length, withIdle = false): LoraSegments {
  const segs: number[] = [];
  let maxLen = 0;
  let t = 0;
  while (t < T) {
    const s = rowAdapter[t]!;
    let e = t + 1;
    while (e < T && rowAdapter[e] === s) e++;
    if (s >= 0 || withIdle) {
      segs.push(t, e - t, s, 0);
      maxLen = Math.max(maxLen, e - t);
    }
    t = e;
  }
  return { data: Uint32Array.from(segs), count: segs.length / 4, maxLen };
}

/**
 * The coarse kernel's row blocks (shaders/lora_coarse.wgsl): runs of consecutive rows on one adapter, each cut
 * into pieces of at most `maxRows` rows (so that a long run still spreads over many invocations), in the same
 * `[start, len, slot, 0]` layout as `loraSegments`; rows with -1 are left out unless `withIdle` (as there).
 */
export function loraBlocks(rowAdapter: Int32Array, T = rowAdapter.length, maxRows = 8, withIdle = false): LoraSegments {
  const seg = loraSegments(rowAdapter, T, withIdle);
  const out: number[] = [];
  let maxLen = 0;
  for (let i = 0; i < seg.count; i++) {
    const start = seg.data[i * 4]!;
    const len = seg.data[i * 4 + 1]!;
    for (let o = 0; o < len; o += maxRows) {
      const n = Math.min(maxRows, len - o);
      out.push(start + o, n, seg.data[i * 4 + 2]!, 0);
      maxLen = Math.max(maxLen, n);
    }
  }
  return { data: Uint32Array.from(out), count: out.length / 4, maxLen };
}
