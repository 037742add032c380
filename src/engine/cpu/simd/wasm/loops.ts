/**
 * The loop skeletons and small emit helpers every SIMD kernel shares (`wasmEmit.ts`'s `Fn` emits raw instructions;
 * these emit the structured shapes once instead of in each kernel).
 *
 * - `loopWhile(f, exitIf, body)`: `while (!exitIf) body` — `block loop (br_if 1 exitIf) body br 0 end end`.
 * - `countUp(f, i, end, step, body)`: `while (i < end) { body; i += step }` (i not initialised here).
 * - `doWhileBelow(f, p, step, end, body)`: `do { body; p += step } while (p < end)` (runs at least once).
 * - `unlessAtLeast(f, a, b, body)`: `if (a < b) body` (an early-out block).
 */
import { type Fn, V128 } from '../wasmEmit.ts';

/** `while (!exitIf()) body()`: exitIf pushes an i32 (non-zero leaves the loop); the body does its own stepping. */
export function loopWhile(f: Fn, exitIf: () => void, body: () => void): void {
  f.block().loop();
  exitIf();
  f.brIf(1);
  body();
  f.br(0);
  f.end().end();
}

/** `while (i < end) { body(); i += step }` over i32 locals (unsigned compare). */
export function countUp(f: Fn, i: number, end: number, step: number, body: () => void): void {
  loopWhile(
    f,
    () => f.get(i).get(end).geU(),
    () => {
      body();
      f.get(i).i32(step).add().set(i);
    },
  );
}

/** `do { body(); p += step } while (p < end)` over i32 locals (unsigned compare). */
export function doWhileBelow(f: Fn, p: number, step: number, end: number, body: () => void): void {
  f.loop();
  body();
  f.get(p).i32(step).add().tee(p).get(end).ltU().brIf(0);
  f.end();
}

/** `if (a < b) body()`, as a block left early when `a ≥ b` (unsigned). */
export function unlessAtLeast(f: Fn, a: number, b: number, body: () => void): void {
  f.block();
  f.get(a).get(b).geU().brIf(0);
  body();
  f.end();
}

/** Sets each V128 local to f32x4(0). */
export function zeroF32x4(f: Fn, locals: readonly number[]): void {
  for (const l of locals) f.f32(0).f32x4splat().set(l);
}

/** Pushes the lane sum `((l0 + l1) + l2) + l3` of the f32x4 in local `v`. */
export function hsumLeft(f: Fn, v: number): void {
  f.get(v).f32x4extract(0).get(v).f32x4extract(1).f32add().get(v).f32x4extract(2).f32add().get(v).f32x4extract(3).f32add();
}

/** Pushes the lane sum `(l0 + l2) + (l1 + l3)` of the f32x4 in local `v`. */
export function hsumPairs(f: Fn, v: number): void {
  f.get(v).f32x4extract(0).get(v).f32x4extract(2).f32add();
  f.get(v).f32x4extract(1).get(v).f32x4extract(3).f32add().f32add();
}

/** `acc += a · b`: `f32x4.relaxed_madd` with `fma`, else `f32x4.mul` then `f32x4.add` */
export function mulAdd(f: Fn, fma: boolean, acc: number, a: () => void, b: () => void): void {
  if (fma) {
    a();
    b();
    f.get(acc).f32x4relaxedMadd().set(acc);
  } else {
    f.get(acc);
    a();
    b();
    f.f32x4mul().f32x4add().set(acc);
  }
}

/** i8x16.shuffle lanes picking f32 lanes `l` (0–3: first operand, 4–7: second) */
export const f32Lanes = (l: number[]): number[] => l.flatMap((i) => [4 * i, 4 * i + 1, 4 * i + 2, 4 * i + 3]);

/** `n` fresh V128 locals */
export const v128s = (f: Fn, n: number): number[] => Array.from({ length: n }, () => f.local(V128));
