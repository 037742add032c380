/**
 * RoPE of two tensors in one dispatch (rope.wgsl's `pair` entry; the WebGpuBackend pairs a layer's k rope with
 * its q rope): bit for bit the same as two single dispatches, and within the rope tolerance of the CPU twin
 * (abs 1e-6, rel 1e-6, as elementwise.gpu.test.ts). Through the backend: a matching second rope joins the
 * pending one (1 dispatch), anything else (other positions, T, rowOffset, invFreq, the same tensor, a read in
 * between) encodes each alone (2), with the right values either way.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Backend, Tensor } from '../../src/engine/backend.ts';
import { createCpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { ropeInPlace, ropeInvFreq } from '../../src/engine/cpu/kernels/rope.ts';
import type { GpuRuntime } from '../../src/engine/webgpu/runtime.ts';
import { rope, ropePair, ropeTable } from '../../src/engine/webgpu/ops/rope.ts';
import { WebGpuBackend } from '../../src/engine/webgpu/webgpuBackend.ts';
import { createTestRuntime, describeGpu } from './gpu.ts';
import { expectClose, expectSame, randn, rng } from './check.ts';

const TOL = { abs: 1e-6, rel: 1e-6 };

/** CPU twin of a rope of rows off..off+T of x [rows, nH, hd]. */
function cpuRope(x: Float32Array, T: number, nH: number, hd: number, positions: Int32Array, inv: Float32Array, off: number): Float32Array {
  const out = x.slice();
  ropeInPlace(out.subarray(off * nH * hd, (off + T) * nH * hd), T, nH, hd, positions, inv);
  return out;
}

describeGpu('rope of two tensors in one dispatch', () => {
  let rt: GpuRuntime;
  let gpu: WebGpuBackend;
  let gpuFamily: WebGpuBackend;
  beforeAll(async () => {
    rt = await createTestRuntime();
    gpu = new WebGpuBackend(await createTestRuntime());
    gpuFamily = new WebGpuBackend(await createTestRuntime('gpu'));
  });
  afterAll(() => {
    rt?.destroy();
    gpu?.destroy();
    gpuFamily?.destroy();
  });

  it('ropePair = two single ropes bit for bit, = the CPU twin (T 1..17, heads 4/1 and 9/3, head size 16/64, rowOffset 0 and > 0)', async () => {
    let n = 0;
    for (const T of [1, 3, 17]) {
      for (const [nH, nKv] of [
        [4, 1],
        [9, 3],
      ] as const) {
        for (const hd of [16, 64]) {
          for (const off of [0, 2]) {
            const rand = rng(++n);
            const rows = off + T + 1; // a row past the segment too: it must stay as it was
            const q = randn(rand, rows * nH * hd);
            const k = randn(rand, rows * nKv * hd);
            const positions = Int32Array.from({ length: T }, () => Math.floor(rand() * 5000));
            const inv = ropeInvFreq(hd, 10000);
            const table = ropeTable(rt, inv, 5000);
            const pos = rt.upload(positions);
            const [q1, k1, q2, k2] = [rt.upload(q), rt.upload(k), rt.upload(q), rt.upload(k)];
            rope(rt, q1, T, nH, hd, pos, table, off);
            rope(rt, k1, T, nKv, hd, pos, table, off);
            const before = rt.dispatches;
            ropePair(rt, q2, nH, k2, nKv, T, hd, pos, table, off);
            expect(rt.dispatches - before).toBe(1);
            const what = `T=${T} heads ${nH}/${nKv} hd=${hd} rowOffset=${off}`;
            const [gq1, gk1, gq2, gk2] = await Promise.all([rt.readF32(q1, q.length), rt.readF32(k1, k.length), rt.readF32(q2, q.length), rt.readF32(k2, k.length)]);
            expectSame(gq2, gq1, `paired q vs single, ${what}`);
            expectSame(gk2, gk1, `paired k vs single, ${what}`);
            expectClose(gq2, cpuRope(q, T, nH, hd, positions, inv, off), TOL, `paired q vs CPU, ${what}`);
            expectClose(gk2, cpuRope(k, T, nKv, hd, positions, inv, off), TOL, `paired k vs CPU, ${what}`);
            for (const b of [q1, k1, q2, k2, pos, table.buffer]) b.destroy();
          }
        }
      }
    }
    const b = rt.createBuffer(64 * 4);
    const table = ropeTable(rt, ropeInvFreq(16, 10000), 4);
    expect(() => ropePair(rt, b, 2, b, 2, 1, 16, rt.upload(Int32Array.of(0)), table)).toThrow(/different buffers/);
    expect(() => ropePair(rt, b, 2, rt.createBuffer(16 * 4), 2, 1, 16, rt.upload(Int32Array.of(0)), table)).toThrow(/second x/);
  });

  /** Runs `fn` on the CPU backend and on `g`, compares every output within the rope tolerance; returns g's dispatches. */
  async function both(g: WebGpuBackend, fn: (b: Backend, up: (a: Float32Array) => Tensor) => Promise<Record<string, Tensor>>, what: string): Promise<number> {
    const cpu = createCpuBackend();
    const want = await fn(cpu, (a) => cpu.upload(a));
    const before = g.rt.dispatches;
    const got = await fn(g, (a) => g.upload(a));
    const read: [string, Float32Array][] = [];
    for (const [name, t] of Object.entries(got)) read.push([name, await g.read(t)]); // the first read encodes what is pending
    const n = g.rt.dispatches - before;
    for (const [name, a] of read) expectClose(a, await cpu.read(want[name]!), TOL, `${what}: ${name}`);
    return n;
  }

  for (const family of ['coarse', 'gpu'] as const) {
    it(`the backend pairs a matching second rope (1 dispatch) and runs anything else alone (2), right either way (${family} kernels)`, async () => {
      const g = family === 'gpu' ? gpuFamily : gpu;
      const r = rng(42);
      const [nH, nKv, hd, T, off] = [4, 2, 16, 3, 1];
      const rows = off + T + 1;
      const q = randn(r, rows * nH * hd);
      const k = randn(r, rows * nKv * hd);
      const inv = ropeInvFreq(hd, 10000);
      const inv2 = ropeInvFreq(hd, 500000);
      const pos = Int32Array.of(7, 300, 12);
      const cases: [string, number, (b: Backend, up: (a: Float32Array) => Tensor) => Promise<Record<string, Tensor>>][] = [
        ['paired', 1, async (b, up) => {
          const [qt, kt, f] = [up(q), up(k), up(inv)];
          b.rope(qt, T, nH, hd, pos, f, off);
          b.rope(kt, T, nKv, hd, Int32Array.from(pos), f, off); // another array, the same contents: still paired
          return { q: qt, k: kt };
        }],
        ['paired, longer positions array', 1, async (b, up) => {
          const [qt, kt, f] = [up(q), up(k), up(inv)];
          b.rope(qt, T, nH, hd, Int32Array.of(...pos, 99), f, off);
          b.rope(kt, T, nKv, hd, pos, f, off);
          return { q: qt, k: kt };
        }],
        ['other positions', 2, async (b, up) => {
          const [qt, kt, f] = [up(q), up(k), up(inv)];
          b.rope(qt, T, nH, hd, pos, f, off);
          b.rope(kt, T, nKv, hd, Int32Array.of(7, 301, 12), f, off);
          return { q: qt, k: kt };
        }],
        ['other T', 2, async (b, up) => {
          const [qt, kt, f] = [up(q), up(k), up(inv)];
          b.rope(qt, T, nH, hd, pos, f, off);
          b.rope(kt, T - 1, nKv, hd, pos, f, off);
          return { q: qt, k: kt };
        }],
        ['other rowOffset', 2, async (b, up) => {
          const [qt, kt, f] = [up(q), up(k), up(inv)];
          b.rope(qt, T, nH, hd, pos, f, off);
          b.rope(kt, T, nKv, hd, pos, f, 0);
          return { q: qt, k: kt };
        }],
        ['other invFreq', 2, async (b, up) => {
          const [qt, kt] = [up(q), up(k)];
          b.rope(qt, T, nH, hd, pos, up(inv), off);
          b.rope(kt, T, nKv, hd, pos, up(inv2), off);
          return { q: qt, k: kt };
        }],
        ['the same tensor twice', 2, async (b, up) => {
          const [qt, f] = [up(q), up(inv)];
          b.rope(qt, T, nH, hd, pos, f, off);
          b.rope(qt, T, nH, hd, pos, f, off);
          return { q: qt };
        }],
        ['a read in between', 2, async (b, up) => {
          const [qt, kt, f] = [up(q), up(k), up(inv)];
          b.rope(qt, T, nH, hd, pos, f, off);
          const mid = await b.read(qt);
          b.rope(kt, T, nKv, hd, pos, f, off);
          return { q: qt, k: kt, mid: up(mid) };
        }],
        ['an op in between', 3, async (b, up) => {
          const [qt, kt, f] = [up(q), up(k), up(inv)];
          const s = up(q);
          b.rope(qt, T, nH, hd, pos, f, off);
          b.add(qt, s, s); // reads the rotated q
          b.rope(kt, T, nKv, hd, pos, f, off);
          return { q: qt, k: kt, sum: s };
        }],
        ['three in a row: a pair, then one alone', 2, async (b, up) => {
          const [qt, kt, k2, f] = [up(q), up(k), up(k), up(inv)];
          b.rope(qt, T, nH, hd, pos, f, off);
          b.rope(kt, T, nKv, hd, pos, f, off);
          b.rope(k2, T, nKv, hd, pos, f, off);
          return { q: qt, k: kt, k2 };
        }],
      ];
      for (const [what, want, fn] of cases) expect(await both(g, fn, `${family} ${what}`), `${family} ${what}: dispatches`).toBe(want);
    });
  }

  it('the backend: a paired rope = two lone ropes bit for bit', async () => {
    const r = rng(9);
    const [nH, nKv, hd, T] = [9, 3, 64, 5];
    const q = randn(r, T * nH * hd);
    const k = randn(r, T * nKv * hd);
    const f = gpu.upload(ropeInvFreq(hd, 10000));
    const pos = Int32Array.of(3, 1000, 2, 2, 17);
    const [q1, k1, q2, k2] = [gpu.upload(q), gpu.upload(k), gpu.upload(q), gpu.upload(k)];
    gpu.rope(q1, T, nH, hd, pos, f);
    gpu.rope(k1, T, nKv, hd, pos, f);
    gpu.rope(q2, T, nH, hd, pos, f);
    await gpu.read(q2); // encodes q2's rope alone
    gpu.rope(k2, T, nKv, hd, pos, f);
    expectSame(await gpu.read(q1), await gpu.read(q2), 'q: paired vs alone');
    expectSame(await gpu.read(k1), await gpu.read(k2), 'k: paired vs alone');
  });
});
