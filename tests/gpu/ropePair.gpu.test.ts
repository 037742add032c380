/**
 * RoPE of two tensors in one dispatch (rope.wgsl's `pair` entry; the WebGpuBackend pairs a layer's k rope with
 * its q rope): bit for bit the same as two single dispatches, and within the rope tolerance of the CPU twin
 * (abs 1e-6, rel 1e-6, as elementwise.gpu.test.ts). Through the backend: a matching second rope joins the
 * pending one (1 dispatch), anything else (other positions, T, rowOffset, invFreq, the same tensor, a read in
 * between) encodes each alone (2), with the right values either way.
 * The pair with the layer's paged KV write (rope.wgsl's `pair_kv`: rope(q), rope(k), kvWritePaged(k, v)): q, k and both
 * pools bit for bit those of the three ops run apart, and the CPU twins' (rope, then kvWritePaged); through the backend
 * 1 dispatch when the write is of the pair's k with its row length, else the pair and the write apart (2, 3 with an op
 * in between); bad destination rows refused as by the lone write.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Backend, Tensor } from '../../src/engine/backend.ts';
import { createCpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { ropeInPlace, ropeInvFreq } from '../../src/engine/cpu/kernels/rope.ts';
import { kvWritePaged as cpuKvWritePaged } from '../../src/engine/cpu/kernels/kvWritePaged.ts';
import { kvWritePaged } from '../../src/engine/webgpu/ops/pagedAttention.ts';
import type { GpuRuntime } from '../../src/engine/webgpu/runtime.ts';
import { rope, ropePair, ropePairKv, ropeTable } from '../../src/engine/webgpu/ops/rope.ts';
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

  it('ropePairKv = ropePair then kvWritePaged bit for bit (q, k, both pools), = the CPU twins (rope, then kvWritePaged); positions past the table leave k as it was and still write it', async () => {
    let n = 100;
    for (const T of [1, 4, 19]) {
      for (const [nH, nKv] of [
        [4, 1],
        [9, 3],
      ] as const) {
        for (const hd of [16, 64]) {
          const rand = rng(++n);
          const rowLen = nKv * hd;
          const poolRows = 2 * T + 5;
          const q = randn(rand, (T + 1) * nH * hd); // a row past T: it must stay as it was
          const k = randn(rand, (T + 1) * rowLen);
          const v = randn(rand, (T + 1) * rowLen);
          const kPool = randn(rand, poolRows * rowLen);
          const vPool = randn(rand, poolRows * rowLen);
          const maxPos = 4000;
          // the last row (when T > 1) at a position outside the table: not rotated, still written
          const positions = Int32Array.from({ length: T }, (_, t) => (T > 1 && t === T - 1 ? maxPos + 3 : Math.floor(rand() * maxPos)));
          const dst = Int32Array.from({ length: T }, (_, t) => (t * 7 + 3) % poolRows); // distinct, shuffled
          const inv = ropeInvFreq(hd, 10000);
          const table = ropeTable(rt, inv, maxPos);
          const [pos, dstBuf, vBuf] = [rt.upload(positions), rt.upload(dst), rt.upload(v)];
          const [q1, k1, kp1, vp1] = [rt.upload(q), rt.upload(k), rt.upload(kPool), rt.upload(vPool)];
          const [q2, k2, kp2, vp2] = [rt.upload(q), rt.upload(k), rt.upload(kPool), rt.upload(vPool)];
          ropePair(rt, q1, nH, k1, nKv, T, hd, pos, table);
          kvWritePaged(rt, k1, vBuf, T, rowLen, kp1, vp1, dstBuf, poolRows);
          const before = rt.dispatches;
          ropePairKv(rt, q2, nH, k2, nKv, T, hd, pos, table, { v: vBuf, dstRows: dstBuf, kPool: kp2, vPool: vp2, poolRows });
          expect(rt.dispatches - before).toBe(1);
          const what = `T=${T} heads ${nH}/${nKv} hd=${hd}`;
          const read = (b: GPUBuffer, len: number) => rt.readF32(b, len);
          const [gq1, gk1, gkp1, gvp1, gq2, gk2, gkp2, gvp2] = await Promise.all([
            read(q1, q.length), read(k1, k.length), read(kp1, kPool.length), read(vp1, vPool.length),
            read(q2, q.length), read(k2, k.length), read(kp2, kPool.length), read(vp2, vPool.length),
          ]);
          expectSame(gq2, gq1, `fused q vs apart, ${what}`);
          expectSame(gk2, gk1, `fused k vs apart, ${what}`);
          expectSame(gkp2, gkp1, `fused kPool vs apart, ${what}`);
          expectSame(gvp2, gvp1, `fused vPool vs apart, ${what}`);
          const wantQ = cpuRope(q, T, nH, hd, positions.map((p) => Math.min(p, maxPos - 1)), inv, 0);
          const wantK = cpuRope(k, T, nKv, hd, positions.map((p) => Math.min(p, maxPos - 1)), inv, 0);
          if (T > 1) {
            // the row past the table: the kernel leaves it as it was
            for (const [want, src, h] of [[wantQ, q, nH], [wantK, k, nKv]] as const) want.set(src.subarray((T - 1) * h * hd, T * h * hd), (T - 1) * h * hd);
          }
          const [wantKp, wantVp] = [kPool.slice(), vPool.slice()];
          cpuKvWritePaged(wantK, v, T, rowLen, wantKp, wantVp, dst);
          expectClose(gq2, wantQ, TOL, `fused q vs CPU, ${what}`);
          expectClose(gk2, wantK, TOL, `fused k vs CPU, ${what}`);
          expectClose(gkp2, wantKp, TOL, `fused kPool vs CPU, ${what}`);
          expectSame(gvp2, wantVp, `fused vPool vs CPU, ${what}`);
          for (const b of [q1, k1, kp1, vp1, q2, k2, kp2, vp2, pos, dstBuf, vBuf, table.buffer]) b.destroy();
        }
      }
    }
    const [q, k, v, kp, vp] = [64, 32, 32, 128, 128].map((m) => rt.createBuffer(m * 4));
    const table = ropeTable(rt, ropeInvFreq(16, 10000), 4);
    const [pos, dst] = [rt.upload(Int32Array.of(0)), rt.upload(Int32Array.of(1))];
    const kv = { v: v!, dstRows: dst, kPool: kp!, vPool: vp!, poolRows: 4 };
    expect(() => ropePairKv(rt, q!, 2, k!, 2, 1, 16, pos, table, { ...kv, vPool: kp! })).toThrow(/different buffers/);
    expect(() => ropePairKv(rt, q!, 2, k!, 2, 1, 16, pos, table, { ...kv, poolRows: 5 })).toThrow(/kPool/);
    expect(() => ropePairKv(rt, q!, 2, k!, 2, 1, 16, pos, table, { ...kv, v: rt.createBuffer(16 * 4) })).toThrow(/\bv\b/);
  });

  for (const family of ['coarse', 'gpu'] as const) {
    it(`the backend joins the layer's paged KV write to the rope pair (1 dispatch) when it writes the pair's k, else runs it apart; values bit for bit the same (${family} kernels)`, async () => {
      const g = family === 'gpu' ? gpuFamily : gpu;
      const r = rng(77);
      const [nH, nKv, hd, T] = [4, 2, 16, 3];
      const rowLen = nKv * hd;
      const poolRows = 12;
      const q = randn(r, T * nH * hd);
      const k = randn(r, T * rowLen);
      const v = randn(r, T * rowLen);
      const kPool = randn(r, poolRows * rowLen);
      const vPool = randn(r, poolRows * rowLen);
      const inv = ropeInvFreq(hd, 10000);
      const pos = Int32Array.of(7, 300, 12);
      const dst = Int32Array.of(9, 0, 4);
      type Case = (b: Backend, up: (a: Float32Array) => Tensor) => Promise<Record<string, Tensor>>;
      type Layer = { q: Tensor; k: Tensor; v: Tensor; kPool: Tensor; vPool: Tensor };
      const layer = (mid?: (b: Backend, t: Layer) => Promise<void> | void, write?: (b: Backend, t: Layer) => void): Case => async (b, up) => {
        const t = { q: up(q), k: up(k), v: up(v), kPool: up(kPool), vPool: up(vPool), f: up(inv) };
        b.rope(t.q, T, nH, hd, pos, t.f);
        b.rope(t.k, T, nKv, hd, pos, t.f);
        await mid?.(b, t);
        (write ?? ((bb, tt) => bb.kvWritePaged(tt.k, tt.v, T, rowLen, tt.kPool, tt.vPool, Int32Array.from(dst))))(b, t);
        const { f: _f, ...out } = t;
        return out;
      };
      const cases: [string, number, Case][] = [
        ['rope(q), rope(k), kvWritePaged(k, v)', 1, layer()],
        ['longer destination array', 1, layer(undefined, (b, t) => b.kvWritePaged(t.k, t.v, T, rowLen, t.kPool, t.vPool, Int32Array.of(...dst, 11)))],
        ['a read in between', 2, layer(async (b, t) => void (await b.read(t.k)))],
        ['an op in between', 3, layer((b, t) => b.add(t.v, t.v, t.v))],
        ['another k', 2, layer(undefined, (b, t) => b.kvWritePaged(t.q, t.v, T, rowLen, t.kPool, t.vPool, dst))],
        ['v = the pair\'s q', 2, layer(undefined, (b, t) => b.kvWritePaged(t.k, t.q, T, rowLen, t.kPool, t.vPool, dst))],
        ['another row length', 2, layer(undefined, (b, t) => b.kvWritePaged(t.k, t.v, T, rowLen / 2, t.kPool, t.vPool, dst))],
        ['another T', 2, layer(undefined, (b, t) => b.kvWritePaged(t.k, t.v, T - 1, rowLen, t.kPool, t.vPool, dst))],
        ['a lone rope of k, then its write', 2, async (b, up) => {
          const t = { k: up(k), v: up(v), kPool: up(kPool), vPool: up(vPool) };
          b.rope(t.k, T, nKv, hd, pos, up(inv));
          b.kvWritePaged(t.k, t.v, T, rowLen, t.kPool, t.vPool, dst);
          return t;
        }],
      ];
      for (const [what, want, fn] of cases) expect(await both(g, fn, `${family} ${what}`), `${family} ${what}: dispatches`).toBe(want);

      // bit for bit: fused vs the same three ops apart (a read of k splits them)
      const run = async (apart: boolean): Promise<Float32Array[]> => {
        const t = await layer(apart ? async (b, tt) => void (await b.read(tt.k)) : undefined)(g, (a) => g.upload(a));
        const got = await Promise.all(['q', 'k', 'kPool', 'vPool'].map((name) => g.read(t[name]!)));
        for (const x of Object.values(t)) g.dispose(x);
        return got;
      };
      const [fused, apart] = [await run(false), await run(true)];
      ['q', 'k', 'kPool', 'vPool'].forEach((name, i) => expectSame(fused[i]!, apart[i]!, `${family}: ${name} fused vs apart`));

      // bad destination rows: refused with the lone write's error, whether the write would join the pair or not; the pair still runs
      for (const [bad, msg] of [
        [Int32Array.of(9, 12, 4), /^kvWritePaged: row 1 goes to pool row 12, outside 0\.\.11\.$/],
        [Int32Array.of(9, -1, 4), /^kvWritePaged: row 1 goes to pool row -1, outside 0\.\.11\.$/],
        [Int32Array.of(9, 0), /^kvWritePaged: 3 rows need 3 destinations, got 2\.$/],
      ] as const) {
        for (const split of [false, true]) {
          const t = { q: g.upload(q), k: g.upload(k), v: g.upload(v), kPool: g.upload(kPool), vPool: g.upload(vPool), f: g.upload(inv) };
          g.rope(t.q, T, nH, hd, pos, t.f);
          g.rope(t.k, T, nKv, hd, pos, t.f);
          if (split) await g.read(t.k);
          expect(() => g.kvWritePaged(t.k, t.v, T, rowLen, t.kPool, t.vPool, bad), `${bad.join(',')}${split ? ' apart' : ''}`).toThrow(msg);
          expectSame(await g.read(t.q), fused[0]!, `${family}: q after a refused write`);
          expectSame(await g.read(t.k), fused[1]!, `${family}: k after a refused write`);
          expectSame(await g.read(t.kPool), kPool, `${family}: kPool untouched by a refused write`);
          for (const x of Object.values(t)) g.dispose(x);
        }
      }
    });
  }
});
