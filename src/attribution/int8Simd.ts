/**
 * WASM SIMD integer dot products for int8 vectors (assembled at run time with src/engine/cpu/simd/wasmEmit,
 * no binary in the repository): `dots(q, x, out, count, dims)` writes `out[i] = Σ_j q[j]·x[i·dims + j]` as
 * i32. The query is widened to i16 once; each 16 bytes of a vector are widened (i16x8.extend) and multiplied
 * with `i32x4.dot_i16x8_s`. dims % 16 == 0. Same integers as the JS loop in int8Vectors.ts; the scale is
 * applied in JS afterwards with the same `Math.fround`, so the scores are bit-identical.
 */
import { emitModule, Fn, I32, V128, uleb } from '../engine/cpu/simd/wasmEmit.ts';
import type { Int8Vectors } from './int8Vectors.ts';

const PAGE = 65536;

function dotsFn(): Fn {
  // params: q16 (i16 query, 2·dims bytes), x (int8 rows), out (i32), count, dims
  const f = new Fn('dots', [I32, I32, I32, I32, I32]);
  const [q16, x, out, count, dims] = [0, 1, 2, 3, 4];
  const i = f.local(I32);
  const j = f.local(I32);
  const acc = f.local(V128);
  const xv = f.local(V128);
  const raw = (...b: number[]) => f.code.push(...b);
  const simd = (op: number, ...imm: number[]) => raw(0xfd, ...uleb(op), ...imm);
  f.i32(0).set(i);
  f.block().loop();
  f.get(i).get(count).geU().brIf(1);
  // acc = 0
  f.i32(0).i32x4splat().set(acc);
  f.i32(0).set(j);
  f.block().loop();
  f.get(j).get(dims).geU().brIf(1);
  // xv = 16 int8 of row i at j
  f.get(x).get(j).add().v128load().set(xv);
  // acc += dot(low8(xv) as i16, q16[j..j+8])
  f.get(acc);
  f.get(xv).i16x8extendLowI8s();
  f.get(q16).get(j).i32(1);
  raw(0x74); // i32.shl
  f.add().v128load();
  simd(0xba); // i32x4.dot_i16x8_s
  f.i32x4add();
  // acc += dot(high8(xv) as i16, q16[j+8..j+16])
  f.get(xv).i16x8extendHighI8s();
  f.get(q16).get(j).i32(1);
  raw(0x74);
  f.add().v128load(16);
  simd(0xba);
  f.i32x4add().set(acc);
  f.get(j).i32(16).add().set(j);
  f.br(0).end().end();
  // out[i] = sum of acc's four lanes
  f.get(out).get(i).i32(2);
  raw(0x74);
  f.add();
  f.get(acc);
  simd(0x1b, 0); // i32x4.extract_lane 0
  f.get(acc);
  simd(0x1b, 1);
  f.add();
  f.get(acc);
  simd(0x1b, 2);
  f.add();
  f.get(acc);
  simd(0x1b, 3);
  f.add();
  raw(0x36, 2, 0); // i32.store align=4 offset=0
  f.get(x).get(dims).add().set(x);
  f.get(i).i32(1).add().set(i);
  f.br(0).end().end();
  return f;
}

/** Vectors resident in their own WebAssembly memory (copied once), queried many times. */
export interface SimdInt8Store {
  /** i32 dot products of q (dims values) with every stored vector */
  dots(q: Int8Array): Int32Array;
}

let moduleCache: WebAssembly.Module | null | undefined;

function dotsModule(): WebAssembly.Module | null {
  if (moduleCache !== undefined) return moduleCache;
  try {
    const bytes = emitModule([dotsFn()]);
    moduleCache = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    moduleCache = null;
  }
  return moduleCache;
}

/**
 * Copies the vectors into a WebAssembly memory for SIMD dot products; null where WebAssembly SIMD is missing,
 * dims is not a multiple of 16, or the memory cannot hold them (then the JS loop runs).
 */
export function simdInt8Store(v: Int8Vectors): SimdInt8Store | null {
  const mod = dotsModule();
  const { dims, count } = v;
  if (!mod || dims % 16 !== 0) return null;
  const xOff = 2 * dims;
  const outOff = xOff + Math.ceil((count * dims) / 16) * 16;
  const need = outOff + 4 * count;
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: Math.ceil(need / PAGE) });
  } catch {
    return null;
  }
  const inst = new WebAssembly.Instance(mod, { env: { mem: memory } });
  const run = inst.exports.dots as (q: number, x: number, out: number, count: number, dims: number) => void;
  new Int8Array(memory.buffer, xOff, count * dims).set(v.data);
  return {
    dots(q) {
      if (q.length !== dims) throw new RangeError(`a ${q.length}-d query against ${dims}-d vectors`);
      const q16 = new Int16Array(memory.buffer, 0, dims);
      for (let k = 0; k < dims; k++) q16[k] = q[k]!;
      run(0, xOff, outOff, count, dims);
      return new Int32Array(memory.buffer, outOff, count).slice();
    },
  };
}
