/**
 * How many threads the CPU engine runs here, and why — computed from what the page (or worker) sees, so the UI and
 * the engine worker (same origin, same isolation) agree without asking each other: all hardware threads (at most
 * `MAX_CPU_THREADS`) where the context is cross-origin isolated and has SharedArrayBuffer, else one.
 *
 * @example
 * cpuThreadingStatus();   // { threads: 4, isolated: true, text: 'CPU engine: 4 threads (cross-origin isolated)' }
 */

export const MAX_CPU_THREADS = 16;

export interface CpuThreadingStatus {
  /** threads the CPU backend uses (1 = no WebAssembly threads) */
  threads: number;
  /** the context is cross-origin isolated (SharedArrayBuffer available) */
  isolated: boolean;
  /** one line for people */
  text: string;
}

interface Env {
  crossOriginIsolated?: boolean;
  SharedArrayBuffer?: unknown;
  navigator?: { hardwareConcurrency?: number };
}

export function cpuThreadingStatus(env: Env = globalThis as Env): CpuThreadingStatus {
  const isolated = env.crossOriginIsolated === true && typeof env.SharedArrayBuffer === 'function';
  const cores = Math.max(1, Math.min(MAX_CPU_THREADS, env.navigator?.hardwareConcurrency ?? 1));
  if (!isolated) {
    return { threads: 1, isolated, text: 'CPU engine: 1 thread (this page is not cross-origin isolated, so WebAssembly threads are off)' };
  }
  return { threads: cores, isolated, text: `CPU engine: ${cores} thread${cores === 1 ? '' : 's'} (cross-origin isolated)` };
}
