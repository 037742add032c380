/**
 * Multi-LoRA (BGMV / SGMV) update, accumulated into `out`: for each row `t` with `s = rowAdapter[t] ≥ 0`,
 * `out[t] += scale_s · B_s · (A_s · x[t])` where `A_s` is `[rank, inDim]` and `B_s` is `[outDim, rank]` (PEFT layout).
 * Rows with `−1` (or a rank-0 slot) are untouched: no LoRA work. Consecutive rows on the same slot (a prefill
 * segment) share one pass over `A` and `B` per row — the same math as Punica's SGMV.
 *
 * @example
 * loraApply(x, T, 64, 64, Int32Array.of(0, -1, 1), [slotA, slotB], out);
 */
import { TributaryError } from '../../../core/errors.ts';

/** One adapter's matrices for one target module, as a kernel sees them. `scale = alpha / rank`. */
export interface LoraSlotView {
  rank: number;
  scale: number;
  /** `[rank, inDim]` row-major */
  A: Float32Array;
  /** `[outDim, rank]` row-major */
  B: Float32Array;
}

let hBuf = new Float64Array(0);

export function loraApply(
  x: Float32Array,
  T: number,
  inDim: number,
  outDim: number,
  rowAdapter: Int32Array,
  slots: readonly (LoraSlotView | null | undefined)[],
  out: Float32Array,
): void {
  if (x.length < T * inDim || out.length < T * outDim || rowAdapter.length < T) {
    throw new TributaryError('engine/bad-shape', `loraApply: x needs ${T}×${inDim}, out ${T}×${outDim} and rowAdapter ${T} values.`);
  }
  for (let t = 0; t < T; t++) {
    const si = rowAdapter[t]!;
    if (si < 0) continue;
    const slot = slots[si];
    if (!slot) throw new TributaryError('engine/lora-slot', `loraApply: row ${t} asks for adapter slot ${si}, which is empty.`);
    const r = slot.rank;
    if (r === 0) continue;
    if (slot.A.length < r * inDim || slot.B.length < outDim * r) {
      throw new TributaryError('engine/bad-shape', `loraApply: slot ${si} needs A ${r}×${inDim} and B ${outDim}×${r}.`);
    }
    if (hBuf.length < r) hBuf = new Float64Array(r);
    const h = hBuf;
    const A = slot.A;
    const B = slot.B;
    const xo = t * inDim;
    for (let j = 0; j < r; j++) {
      const ao = j * inDim;
      let s = 0;
      for (let k = 0; k < inDim; k++) s += A[ao + k]! * x[xo + k]!;
      h[j] = s * slot.scale;
    }
    const oo = t * outDim;
    for (let n = 0; n < outDim; n++) {
      const bo = n * r;
      let s = 0;
      for (let j = 0; j < r; j++) s += B[bo + j]! * h[j]!;
      out[oo + n] = out[oo + n]! + s;
    }
  }
}
