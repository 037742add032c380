/**
 * A supervisor for comlink workers. `api` forwards method calls to the current worker; when the worker
 * dies (an uncaught error, or a message that cannot be read) every call in flight is rejected with
 * `worker/crashed`, the worker is terminated and a fresh one spawned, and `onEvent` hears about it.
 *
 * - Function arguments (progress callbacks) are passed with `Comlink.proxy` automatically.
 * - Errors thrown in the worker arrive as TributaryError instances with their `code` and `subject`
 *   (the worker registers `services/errorTransfer`; see there for the wire form).
 * - A crash loop (more than `MAX_RESTARTS` crashes within `RESTART_WINDOW_MS`, e.g. a worker script
 *   that fails to load) stops the respawning; calls then reject asking the user to reload the page.
 * - A watchdog bounds every job: a call that neither settles nor reports progress (calls one of its
 *   callback arguments) for `jobTimeoutMs` has the worker terminated and restarted, and rejects with
 *   `worker/timeout` (as does every other call in flight on that worker). So no file — a regex that
 *   backtracks, a parser that loops — can hang a worker for good; `jobTimeoutMs` may vary by method
 *   (long model work reports progress, and a method may opt out with `null`).
 */
import * as Comlink from 'comlink';
import { isTributaryError, TributaryError, type ErrorCode } from '../core/errors.ts';

export type WorkerEvent = { type: 'crashed'; name: string; message: string } | { type: 'restarted'; name: string };

export interface SupervisedWorker<T> {
  /** Calls the current worker; every method returns a promise. */
  api: T;
  /** Replace the worker now (calls in flight are rejected with `worker/crashed`). */
  restart(): void;
  /** Terminate the worker for good; later calls are rejected. */
  dispose(): void;
}

export const MAX_RESTARTS = 5;
/** Default watchdog: a job silent (no result, no progress) for this long is stopped. */
export const DEFAULT_JOB_TIMEOUT_MS = 120_000;
export const RESTART_WINDOW_MS = 60_000;

type AnyMethod = (...args: unknown[]) => Promise<unknown>;

interface Generation {
  worker: Worker;
  remote: Record<string, AnyMethod>;
  inFlight: Set<(e: unknown) => void>;
  detach(): void;
}

/** A TributaryError instance (with its `details` and revived `cause` chain) from one that crossed the boundary as a plain object. */
export function reviveError(e: unknown, depth = 0): unknown {
  if (e instanceof TributaryError || !isTributaryError(e)) return e;
  const plain = e as unknown as { code: ErrorCode; message?: unknown; subject?: unknown; details?: unknown; cause?: unknown; stack?: unknown };
  const subject = typeof plain.subject === 'string' ? plain.subject : undefined;
  const message = String(plain.message ?? '');
  const raw = subject !== undefined && message.startsWith(`${subject}: `) ? message.slice(subject.length + 2) : message;
  const options: { cause?: unknown; details?: string } = {};
  if (typeof plain.details === 'string') options.details = plain.details;
  if (plain.cause !== undefined && depth < 16) options.cause = reviveCause(plain.cause, depth + 1);
  const revived = new TributaryError(plain.code, raw, subject, options);
  if (typeof plain.stack === 'string') revived.stack = plain.stack;
  return revived;
}

/** A cause that crossed the boundary: a TributaryError again, or an Error with the original name, message and stack. */
function reviveCause(c: unknown, depth: number): unknown {
  if (isTributaryError(c)) return reviveError(c, depth);
  if (typeof c !== 'object' || c === null || typeof (c as { message?: unknown }).message !== 'string') return c;
  const plain = c as { name?: unknown; message: string; stack?: unknown; cause?: unknown };
  const inner = plain.cause !== undefined && depth < 16 ? reviveCause(plain.cause, depth + 1) : undefined;
  const err = new Error(plain.message, inner === undefined ? undefined : { cause: inner });
  if (typeof plain.name === 'string') err.name = plain.name;
  if (typeof plain.stack === 'string') err.stack = plain.stack;
  return err;
}

function eventMessage(ev: Event): string {
  if (ev.type === 'messageerror') return 'a message from the worker could not be read';
  const m = (ev as Partial<ErrorEvent>).message;
  const err = (ev as Partial<ErrorEvent>).error as unknown;
  if (typeof m === 'string' && m) return m;
  if (err instanceof Error && err.message) return err.message;
  return 'unknown error';
}

export function createSupervisedWorker<T extends object>(
  spawn: () => Worker,
  opts: {
    name: string;
    onEvent?: (e: WorkerEvent) => void;
    /** Silence allowed per job, in ms (default `DEFAULT_JOB_TIMEOUT_MS`); per method, `null` = no watchdog. */
    jobTimeoutMs?: number | ((method: string) => number | null);
  },
): SupervisedWorker<T> {
  const { name } = opts;
  const timeoutOf = (method: string): number | null =>
    typeof opts.jobTimeoutMs === 'function' ? opts.jobTimeoutMs(method) : (opts.jobTimeoutMs ?? DEFAULT_JOB_TIMEOUT_MS);
  let current: Generation | undefined;
  let disposed = false;
  /** Set when respawning was given up (crash loop): every call rejects with it. */
  let fatal: TributaryError | undefined;
  const crashTimes: number[] = [];

  const emit = (e: WorkerEvent): void => {
    try {
      opts.onEvent?.(e);
    } catch (err) {
      console.error(`[${name} worker] event listener failed`, err);
    }
  };

  function start(): Generation {
    const worker = spawn();
    const onFailure = (ev: Event): void => {
      if (current?.worker === worker) crashed(eventMessage(ev));
    };
    worker.addEventListener('error', onFailure);
    worker.addEventListener('messageerror', onFailure);
    const gen: Generation = {
      worker,
      remote: Comlink.wrap<T>(worker) as unknown as Record<string, AnyMethod>,
      inFlight: new Set(),
      detach() {
        worker.removeEventListener('error', onFailure);
        worker.removeEventListener('messageerror', onFailure);
      },
    };
    current = gen;
    return gen;
  }

  function stop(gen: Generation | undefined, reason: TributaryError): void {
    if (!gen) return;
    if (current === gen) current = undefined;
    gen.detach();
    try {
      gen.worker.terminate();
    } catch {
      // already gone
    }
    const rejects = [...gen.inFlight];
    gen.inFlight.clear();
    for (const reject of rejects) reject(reason);
  }

  function crashed(message: string): void {
    if (disposed) return;
    const now = Date.now();
    crashTimes.push(now);
    while (crashTimes.length > 0 && now - crashTimes[0]! > RESTART_WINDOW_MS) crashTimes.shift();
    emit({ type: 'crashed', name, message });
    if (crashTimes.length > MAX_RESTARTS) {
      fatal = new TributaryError('worker/crashed', `${name} worker keeps crashing (${message}); reload the page.`);
      stop(current, fatal);
      return;
    }
    stop(current, new TributaryError('worker/crashed', `${name} worker crashed (${message}) and was restarted; please retry.`));
    start();
    emit({ type: 'restarted', name });
  }

  /** The watchdog fired for a job of `gen`: stop that worker (rejecting its calls) and start a fresh one. */
  function timedOut(gen: Generation, method: string, ms: number): void {
    if (disposed || current !== gen) return;
    const seconds = Math.round(ms / 100) / 10;
    emit({ type: 'crashed', name, message: `${method} did not finish within ${seconds} s` });
    stop(
      gen,
      new TributaryError(
        'worker/timeout',
        `${name} worker took longer than ${seconds} s on "${method}" without progress (a file that is too large or built to be slow?), so it was stopped and restarted. Nothing of that job was kept; try a smaller or simpler file.`,
      ),
    );
    start();
    emit({ type: 'restarted', name });
  }

  function call(method: string, args: unknown[]): Promise<unknown> {
    if (disposed) return Promise.reject(new TributaryError('worker/crashed', `${name} worker was stopped; reload the page.`));
    if (fatal) return Promise.reject(fatal);
    let gen: Generation;
    try {
      gen = current ?? start();
    } catch (e) {
      return Promise.reject(e);
    }
    const limit = timeoutOf(method);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let arm = (): void => undefined;
    // progress (a callback argument being called) re-arms the watchdog
    const wired = args.map((a) =>
      typeof a === 'function'
        ? Comlink.proxy((...x: unknown[]) => {
            arm();
            return (a as (...y: unknown[]) => unknown)(...x);
          })
        : a,
    );
    return new Promise((resolve, reject) => {
      gen.inFlight.add(reject);
      arm = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        if (limit === null || !gen.inFlight.has(reject)) return;
        timer = setTimeout(() => {
          if (gen.inFlight.has(reject)) timedOut(gen, method, limit);
        }, limit);
      };
      arm();
      const settle = (fn: (v: unknown) => void) => (v: unknown) => {
        if (timer !== undefined) clearTimeout(timer);
        if (!gen.inFlight.delete(reject)) return; // already rejected by a crash
        fn(v);
      };
      let pending: Promise<unknown>;
      try {
        pending = Promise.resolve(gen.remote[method]!(...wired));
      } catch (e) {
        pending = Promise.reject(e);
      }
      pending.then(settle(resolve), settle((e) => reject(reviveError(e))));
    });
  }

  const methods = new Map<string, AnyMethod>();
  const api = new Proxy({} as T, {
    get(_target, prop) {
      // Not a thenable, and no symbol-keyed members: only string-named methods.
      if (typeof prop !== 'string' || prop === 'then') return undefined;
      let fn = methods.get(prop);
      if (!fn) {
        fn = (...args: unknown[]) => call(prop, args);
        methods.set(prop, fn);
      }
      return fn;
    },
  });

  start();

  return {
    api,
    restart() {
      if (disposed) return;
      fatal = undefined;
      crashTimes.length = 0;
      stop(current, new TributaryError('worker/crashed', `${name} worker was restarted; please retry.`));
      start();
      emit({ type: 'restarted', name });
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      stop(current, new TributaryError('worker/crashed', `${name} worker was stopped; reload the page.`));
    },
  };
}
