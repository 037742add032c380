/**
 * WebAssembly threads for the CPU backend: workers that instantiate the SIMD module on the runtime's *shared* memory
 * (`simdRuntime()` makes it shared where `SharedArrayBuffer` exists: Node, and pages that are cross-origin isolated)
 * and run kernel calls the calling thread hands them through a small control block (a `SharedArrayBuffer` of i32:
 * a generation counter, a done counter, then one slot of calls per worker). The caller runs its own share, then waits
 * for the others: a matmul split by rows gives each row the same arithmetic as on one thread, so the results are the
 * same bits (see `threadPool.test.ts`).
 *
 * Workers spin briefly on the generation counter before sleeping in `Atomics.wait` (decode issues a matmul every
 * ~20–100 µs; waking a sleeping thread costs about as much), and the caller spins on the done counter. The worker
 * body is one plain-JS source (`workerSource`) started with `eval` in Node (`worker_threads`) and from a Blob URL in
 * browsers: no bundler entry, the same code in tests, the CLI and the app.
 *
 * The pool itself is not tied to the engine: `startKernelThreads` starts one over any module that imports a shared
 * memory as `env.mem` (attribution's int8 scan, `src/attribution/int8Simd.ts`, runs its own); `startCpuThreads` is
 * that over the engine's SIMD runtime, kept as the module-level pool the CPU backend's matmuls use.
 *
 * @example
 * const threads = await startCpuThreads();      // all cores where memory can be shared, else null
 * threads?.count;                               // e.g. 4 (the calling thread + 3 workers)
 * const own = await startKernelThreads({ module, memory, kernels: instance.exports, kernelNames: ['scores'] }, 2);
 * own.run([[['scores', 0, 64, 4]], [['scores', 4, 64, 4]]]);   // one call on each thread
 * own.close();
 */
import { TributaryError } from '../../../core/errors.ts';
import type * as NodeWorkers from 'node:worker_threads';
import { simdRuntime, type SimdRuntime } from '../simd/simdRuntime.ts';

/** One kernel call: an export of the pool's module and its i32 arguments (at most 9). */
export type KernelCall = readonly [name: string, ...args: number[]];

export interface CpuThreads {
  /** threads that share the work, the calling one included */
  readonly count: number;
  /**
   * Runs `jobs[0]` on the calling thread and `jobs[i]` on worker i − 1 (at most `count` jobs), returning when all
   * are done. Throws a `TributaryError` ('engine/cpu-thread') when a worker failed or did not answer.
   */
  run(jobs: readonly (readonly KernelCall[])[]): void;
  /**
   * Whether splitting the next job is worth it. False for a while after several runs in a row where the caller waited
   * far longer for the others than its own share took: on a machine with more runnable threads than cores every
   * hand-off waits for the scheduler (milliseconds), and one thread is faster. Results do not depend on it.
   */
  worthIt(): boolean;
  /** runs split so far, and how many times the pool backed off to one thread */
  readonly stats: { runs: number; backoffs: number };
  close(): void;
}

/** consecutive slow hand-offs before backing off, and how many `worthIt` calls the back-off lasts */
const SLOW_RUNS = 4;
const BACKOFF_CALLS = 512;

const HEADER = 64;
const ARGS = 9;
const CALL = 1 + ARGS;
const MAX_CALLS = 512;
const SLOT = 1 + CALL * MAX_CALLS;
/**
 * how long a worker spins on the generation counter before sleeping, and the caller on the done counter (ms): short,
 * because on a busy machine (more runnable threads than cores) a spinning thread only keeps the one it waits for off
 * the core
 */
const SPIN_MS = 0.5;
const TIMEOUT_MS = 20_000;
/** how long the workers may take to start and instantiate the module before the start gives up */
const START_TIMEOUT_MS = 30_000;
/** most threads one pool runs (the calling one included) */
const MAX_POOL_THREADS = 64;

/** A compiled module, the shared memory it imports as `env.mem`, and its exports on the calling thread. */
export interface KernelModule {
  readonly module: WebAssembly.Module;
  /** must be shared (`shared: true`): every worker instantiates `module` on this same memory */
  readonly memory: WebAssembly.Memory;
  /** the module's exports instantiated on `memory` here (the calling thread runs `jobs[0]` with them) */
  readonly kernels: object;
  /** the exports a `KernelCall` may name (functions taking at most 9 i32 arguments) */
  readonly kernelNames: readonly string[];
}

/** The worker body (plain JS; `__PORT__` is replaced per environment). */
const workerBody = `
const SLOT = ${SLOT}, CALL = ${CALL}, HEADER = ${HEADER}, SPIN_MS = ${SPIN_MS};
const boot = ({ memory, module, ctl, id, names }) => {
  const inst = new WebAssembly.Instance(module, { env: { mem: memory } });
  const fns = names.map((n) => inst.exports[n]);
  const c = new Int32Array(ctl);
  const base = HEADER + id * SLOT;
  let seen = Atomics.load(c, 0);
  __PORT__.postMessage('ready');
  for (;;) {
    let spins = 0;
    let t0 = 0;
    while (Atomics.load(c, 0) === seen) {
      if ((++spins & 1023) === 0) {
        const now = performance.now();
        if (t0 === 0) t0 = now;
        else if (now - t0 > SPIN_MS) Atomics.wait(c, 0, seen);
      }
    }
    seen = Atomics.load(c, 0);
    if (Atomics.load(c, 2) !== 0) break;
    try {
      const n = c[base];
      for (let i = 0; i < n; i++) {
        const o = base + 1 + i * CALL;
        fns[c[o]](c[o + 1], c[o + 2], c[o + 3], c[o + 4], c[o + 5], c[o + 6], c[o + 7], c[o + 8], c[o + 9]);
      }
    } catch (e) {
      Atomics.store(c, 3, id + 1);
      __PORT__.postMessage({ error: String(e) });
    }
    Atomics.add(c, 1, 1);
    Atomics.notify(c, 1);
  }
};
`;

/** The worker's source for Node (`eval`) or a browser (Blob URL). */
export function workerSource(env: 'node' | 'browser'): string {
  return env === 'node'
    ? `const { parentPort } = require('node:worker_threads');\n${workerBody.replaceAll('__PORT__', 'parentPort')}\nparentPort.once('message', boot);\n`
    : `${workerBody.replaceAll('__PORT__', 'self')}\nself.onmessage = (e) => { self.onmessage = null; boot(e.data); };\n`;
}

interface Port {
  postMessage(m: unknown): void;
  terminate(): unknown;
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** Threads this machine offers (logical cores), at least 1. */
export async function hardwareThreads(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  if (isNode) {
    const osName = 'node:os';
    const os = (await import(/* @vite-ignore */ osName)) as { availableParallelism?: () => number; cpus: () => unknown[] };
    return os.availableParallelism?.() ?? os.cpus().length;
  }
  return 1;
}

/** Why threads are off here, or null when they can run. */
export function threadsUnavailableReason(rt: SimdRuntime | null = simdRuntime()): string | null {
  if (!rt) return 'WebAssembly SIMD is not available';
  if (!rt.shared) {
    return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false
      ? 'the page is not cross-origin isolated (no SharedArrayBuffer)'
      : 'shared WebAssembly memory is not available';
  }
  return null;
}

let current: CpuThreads | null = null;
let starting: Promise<CpuThreads | null> | null = null;

/** The running pool (null before `startCpuThreads` or where threads cannot run). */
export function cpuThreads(): CpuThreads | null {
  return current;
}

/**
 * Starts `count` threads in all (default: every hardware thread, at most 16) over the SIMD runtime's shared memory.
 * Resolves to null, and the backend stays on one thread, where memory cannot be shared or only 1 thread is asked for.
 * A second call with another count replaces the pool.
 */
export async function startCpuThreads(count?: number): Promise<CpuThreads | null> {
  const rt = simdRuntime();
  if (threadsUnavailableReason(rt) !== null) return null;
  const n = Math.max(1, Math.min(16, Math.floor(count ?? (await hardwareThreads()))));
  if (current && current.count === n) return current;
  while (starting) await starting;
  // another call may have started the same pool meanwhile: keep it (closing it could cut a caller's matmul short)
  if (current && current.count === n) return current;
  current?.close();
  current = null;
  if (n <= 1) return null;
  starting = startKernelThreads(rt!, n);
  try {
    current = await starting;
  } finally {
    starting = null;
  }
  return current;
}

/** Stops the pool (the backend goes back to one thread). */
export function stopCpuThreads(): void {
  current?.close();
  current = null;
}

interface Spawned {
  port: Port;
  onMessage: (f: (m: unknown) => void) => void;
  /** a worker that failed (its script, or instantiating the module, threw before it answered) */
  onError: (f: (e: string) => void) => void;
}

async function spawn(): Promise<Spawned> {
  if (isNode) {
    const wtName = 'node:worker_threads';
    const { Worker } = (await import(/* @vite-ignore */ wtName)) as typeof NodeWorkers;
    const w = new Worker(workerSource('node'), { eval: true });
    w.unref(); // a pool never keeps a CLI or test process alive
    return { port: w, onMessage: (f) => w.on('message', f), onError: (f) => w.on('error', (e) => f(String(e))) };
  }
  const url = URL.createObjectURL(new Blob([workerSource('browser')], { type: 'text/javascript' }));
  const w = new Worker(url);
  URL.revokeObjectURL(url);
  return {
    port: w,
    onMessage: (f) => w.addEventListener('message', (e) => f(e.data)),
    onError: (f) => w.addEventListener('error', (e) => f(e.message || 'worker error')),
  };
}

/**
 * Starts a pool of `count` threads in all (the calling thread + `count − 1` workers) over `km`: each worker
 * instantiates `km.module` on `km.memory`. The pool is the caller's own (not the engine's `cpuThreads()`); close it
 * when done. Rejects with a `TributaryError` where the memory is not shared ('engine/cpu-thread'), the count is not
 * 1..64 ('engine/bad-shape'), or a worker cannot start.
 */
export async function startKernelThreads(km: KernelModule, count: number): Promise<CpuThreads> {
  if (!Number.isInteger(count) || count < 1 || count > MAX_POOL_THREADS) {
    throw new TributaryError('engine/bad-shape', `A thread pool runs 1 to ${MAX_POOL_THREADS} threads (asked for ${count}).`);
  }
  if (typeof SharedArrayBuffer !== 'function' || !(km.memory.buffer instanceof SharedArrayBuffer)) {
    throw new TributaryError('engine/cpu-thread', 'Threads need a shared WebAssembly memory (Node, or a cross-origin isolated page).');
  }
  const names = km.kernelNames;
  const exports = km.kernels as Record<string, (...a: number[]) => void>;
  for (const n of names) {
    if (typeof exports[n] !== 'function') throw new TributaryError('engine/bad-shape', `The module has no function ${n} to run on threads.`);
  }
  const index = new Map(names.map((n, i) => [n, i]));
  const ctl = new Int32Array(new SharedArrayBuffer((HEADER + SLOT * (count - 1)) * 4));
  const workers: Awaited<ReturnType<typeof spawn>>[] = [];
  let failure: string | null = null;
  try {
    for (let i = 0; i < count - 1; i++) workers.push(await spawn());
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TributaryError('engine/cpu-thread', `CPU threads did not start in ${START_TIMEOUT_MS / 1000} s.`)), START_TIMEOUT_MS);
    });
    try {
      await Promise.race([
        timeout,
        Promise.all(
          workers.map(
            (w, id) =>
              new Promise<void>((resolve, reject) => {
                w.onMessage((m) => {
                  if (m === 'ready') resolve();
                  else if (m && typeof m === 'object' && 'error' in m) failure = String((m as { error: unknown }).error);
                });
                w.onError((e) => reject(new TributaryError('engine/cpu-thread', `A CPU thread failed to start: ${e}`)));
                w.port.postMessage({ memory: km.memory, module: km.module, ctl: ctl.buffer, id, names });
              }),
          ),
        ),
      ]);
    } finally {
      clearTimeout(timer);
    }
  } catch (e) {
    for (const w of workers) void w.port.terminate();
    throw e instanceof TributaryError ? e : new TributaryError('engine/cpu-thread', `CPU threads could not start: ${String(e)}`);
  }
  let closed = false;
  let slowRuns = 0;
  let backoff = 0;
  const stats = { runs: 0, backoffs: 0 };
  const pool: CpuThreads = {
    count,
    stats,
    worthIt() {
      if (backoff <= 0) return true;
      backoff--;
      return false;
    },
    run(jobs) {
      if (closed) throw new TributaryError('engine/cpu-thread', 'The CPU thread pool was closed; start it again.');
      if (jobs.length > count) throw new TributaryError('engine/bad-shape', `${jobs.length} jobs for ${count} threads.`);
      // the calling thread's calls are checked before the workers are woken (a throw after would leave them running)
      for (const [name, ...args] of jobs[0] ?? []) {
        if (!index.has(name) || args.length > ARGS) throw new TributaryError('engine/bad-shape', `No kernel ${name} with ${args.length} arguments.`);
      }
      for (let w = 0; w < count - 1; w++) {
        const job = jobs[w + 1] ?? [];
        if (job.length > MAX_CALLS) throw new TributaryError('engine/bad-shape', `A thread job holds at most ${MAX_CALLS} calls (got ${job.length}).`);
        const base = HEADER + w * SLOT;
        ctl[base] = job.length;
        job.forEach(([name, ...args], i) => {
          const o = base + 1 + i * CALL;
          const k = index.get(name);
          if (k === undefined || args.length > ARGS) throw new TributaryError('engine/bad-shape', `No kernel ${name} with ${args.length} arguments.`);
          ctl[o] = k;
          for (let a = 0; a < ARGS; a++) ctl[o + 1 + a] = args[a] ?? 0;
        });
      }
      Atomics.store(ctl, 1, 0);
      Atomics.add(ctl, 0, 1);
      Atomics.notify(ctl, 0);
      const tStart = performance.now();
      for (const [name, ...args] of jobs[0] ?? []) exports[name]!(...args);
      const want = count - 1;
      const t0 = performance.now();
      let spins = 0;
      for (;;) {
        const done = Atomics.load(ctl, 1);
        if (done >= want) break;
        if ((++spins & 1023) === 0) {
          const dt = performance.now() - t0;
          if (dt > TIMEOUT_MS) throw new TributaryError('engine/cpu-thread', `CPU threads did not answer in ${TIMEOUT_MS / 1000} s; reload to run on one thread.`);
          if (dt > SPIN_MS) Atomics.wait(ctl, 1, done, 1);
        }
      }
      const t1 = performance.now();
      stats.runs++;
      // waited for the others much longer than the own share took (and over a scheduler-ish delay): a busy machine
      if (t1 - t0 > Math.max(0.5, 2 * (t0 - tStart))) slowRuns++;
      else slowRuns = 0;
      if (slowRuns >= SLOW_RUNS) {
        slowRuns = 0;
        backoff = BACKOFF_CALLS;
        stats.backoffs++;
      }
      const bad = Atomics.load(ctl, 3);
      if (bad !== 0 || failure !== null) {
        throw new TributaryError('engine/cpu-thread', `CPU thread ${bad} failed${failure ? `: ${failure}` : ''}.`);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      Atomics.store(ctl, 2, 1);
      Atomics.add(ctl, 0, 1);
      Atomics.notify(ctl, 0);
      for (const w of workers) void w.port.terminate();
    },
  };
  return pool;
}
