/**
 * The WASM SIMD module of the CPU backend, assembled at run time from one file per kernel under `./wasm/` (each
 * documents its arguments, layout and summation order) and the shared loop skeletons of `./wasm/loops.ts`:
 * f32 matmuls `gemm`/`gemm16` (row-major), `gemmp16`/`gemvp2` (panels of 16 rows, `pack16`), `gemv1`; quantised
 * `gemvq8`/`gemvq4` (f32 x, dequantisation fused), integer decode `gemvi8`/`gemvi4`/`gemvi4r` on
 * activations quantised per group by `qxNat16`/`qxMod16`/`qxEo8`, `gemvi4p` on packed int4 panels (`qxIlv8`; `unq4p`
 * unpacks them; relaxed build only), `gemvi8p` on packed int8 panels (`qxNat16p`; `unq8p` unpacks them) and `dq8`/`dq4` (prefill: dequantise 16 rows into cache-resident
 * scratch, pack them and run `gemmp16`); `siluMul`, `attn` (with the SIMD `exp` of `expV.ts`) and `attnp` (the same over a paged KV pool, in place), `rmsNorm`, `add`;
 * multi-LoRA `loraShrink` / `loraExpand`.
 */
import { emitModule } from './wasmEmit.ts';
import { addV } from './wasm/add.ts';
import { attn } from './wasm/attn.ts';
import { dq4 } from './wasm/dq4.ts';
import { dq8 } from './wasm/dq8.ts';
import { gemm } from './wasm/gemm.ts';
import { gemmp16 } from './wasm/gemmp16.ts';
import { gemv1 } from './wasm/gemv1.ts';
import { gemvp2 } from './wasm/gemvp2.ts';
import { gemvi } from './wasm/gemvi.ts';
import { gemvi4p } from './wasm/gemvi4p.ts';
import { gemvi8p, unq8p } from './wasm/gemvi8p.ts';
import { unq4p } from './wasm/unq4p.ts';
import { gemvq } from './wasm/gemvq.ts';
import { loraExpand } from './wasm/loraExpand.ts';
import { loraShrink } from './wasm/loraShrink.ts';
import { pack16 } from './wasm/pack16.ts';
import { quantX } from './wasm/quantX.ts';
import { rmsNorm } from './wasm/rmsNorm.ts';
import { siluMul } from './wasm/siluMul.ts';

/**
 * The module's bytes (imports `env.mem`, shared with `sharedMaxPages`; exports `gemm`, `gemm16` (K multiple of 16), `gemmp16`, `gemvp2`, `pack16`, `gemv1`,
 * `gemvq8`, `gemvq4`, `dq8`, `dq4`, `siluMul`, `attn`, `attnp`, `rmsNorm`, `add`, `loraShrink`, `loraExpand`). About 13 KB: above Chrome's 4 KB limit for synchronous compilation on the main thread, so the SIMD path is
 * for workers (where the engine runs); on the main thread `simdRuntime()` returns null and the JS kernels run.
 */
export function simdModuleBytes(opts: { fma?: boolean; sharedMaxPages?: number } = {}): Uint8Array<ArrayBuffer> {
  const fma = opts.fma ?? false;
  return emitModule(
    [gemm('gemm', 1, 2), gemm('gemm16', 2, 6), gemmp16(fma), gemvp2(fma), pack16(), gemv1(), gemvq(8), gemvq(4), dq8(), dq4(), siluMul(), attn(), attn(true), rmsNorm(), addV(), loraShrink(fma), loraExpand(fma),
    quantX('nat16'), quantX('mod16'), quantX('eo8'), quantX('mod16p'), quantX('nat16p'), gemvi('q8', fma), gemvi8p(fma), unq8p(), gemvi('q4', fma), gemvi4p(fma, true), unq4p(), ...(fma ? [gemvi('q4r', fma), gemvi4p(fma), quantX('ilv8')] : [])],
    opts.sharedMaxPages,
  );
}

