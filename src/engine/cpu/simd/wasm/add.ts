/** `add(a, b, out, n)`: `out = a + b` elementwise, n a multiple of 4 (out may alias a or b); the same bits as f64 JS. */
import { Fn, I32 } from '../wasmEmit.ts';
import { doWhileBelow, unlessAtLeast } from './loops.ts';

export function addV(): Fn {
  const f = new Fn('add', [I32, I32, I32, I32]);
  const [a, b, out, n] = [0, 1, 2, 3];
  const end = f.local(I32);
  f.get(a).get(n).i32(4).mul().add().set(end);
  unlessAtLeast(f, a, end, () =>
    doWhileBelow(f, a, 16, end, () => {
      f.get(out).get(a).v128load().get(b).v128load().f32x4add().v128store();
      f.get(b).i32(16).add().set(b);
      f.get(out).i32(16).add().set(out);
    }),
  );
  return f;
}
