import * as Comlink from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { isTributaryError, TributaryError } from '../core/errors.ts';
import { registerErrorTransfer } from '../workerApi/errorTransfer.ts';
import { createSupervisedWorker, MAX_RESTARTS, type WorkerEvent } from './supervisedWorker.ts';

/**
 * A stand-in for a Web Worker, for this unit test only: the "worker side" is a comlink `expose` on the
 * other end of a MessageChannel in the same process. `crash()` fires the 'error' event a real Worker
 * fires on an uncaught exception. (The real worker is covered by the e2e tests.)
 */
class FakeWorker extends EventTarget {
  readonly #port: MessagePort;
  readonly #inner: MessagePort;
  terminated = false;

  constructor(service: object) {
    super();
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#inner = port2;
    Comlink.expose(service, port2);
  }
  postMessage(message: unknown, transfer?: Transferable[]): void {
    if (this.terminated) return;
    this.#port.postMessage(message, transfer ?? []);
  }
  override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void {
    if (type === 'message') this.#port.addEventListener('message', listener as (e: MessageEvent) => void, options);
    else super.addEventListener(type, listener, options);
  }
  override removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void {
    if (type === 'message') this.#port.removeEventListener('message', listener as (e: MessageEvent) => void, options);
    else super.removeEventListener(type, listener, options);
  }
  start(): void {
    this.#port.start();
  }
  terminate(): void {
    this.terminated = true;
    this.#port.close();
    this.#inner.close();
  }
  crash(message: string): void {
    this.dispatchEvent(Object.assign(new Event('error'), { message }));
  }
}

interface TestApi {
  ping(): Promise<'pong'>;
  whoAmI(): Promise<number>;
  hang(): Promise<never>;
  fail(): Promise<never>;
  failPlain(): Promise<never>;
  failWrapped(): Promise<never>;
  work(steps: number, onProgress: (done: number) => void): Promise<number>;
}

function makeService(generation: number): TestApi {
  return {
    ping: async () => 'pong',
    whoAmI: async () => generation,
    hang: () => new Promise<never>(() => {}),
    fail: async () => {
      throw new TributaryError('file/too-large', 'It is larger than 10 MB: split it.', 'big.txt');
    },
    failPlain: async () => {
      throw new RangeError('plain failure');
    },
    failWrapped: async () => {
      const gpu = new Error('GPUValidationError: buffer too small', { cause: new TypeError('size 0') });
      const inner = new TributaryError('webgpu/error', 'The GPU rejected a kernel.', undefined, { cause: gpu });
      throw new TributaryError('engine/bad-weights', 'The model could not be loaded; pick another model.', 'tiny.gguf', { cause: inner, details: 'upload failed' });
    },
    work: async (steps, onProgress) => {
      for (let i = 1; i <= steps; i++) await onProgress(i);
      return steps;
    },
  };
}

registerErrorTransfer();

const cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.splice(0).forEach((f) => f());
});

function setup() {
  const workers: FakeWorker[] = [];
  const events: WorkerEvent[] = [];
  const sup = createSupervisedWorker<TestApi>(
    () => {
      const w = new FakeWorker(makeService(workers.length + 1));
      workers.push(w);
      return w as unknown as Worker;
    },
    { name: 'data', onEvent: (e) => events.push(e) },
  );
  cleanups.push(() => sup.dispose());
  return { sup, workers, events };
}

describe('createSupervisedWorker', () => {
  it('forwards calls and proxies callback arguments', async () => {
    const { sup } = setup();
    expect(await sup.api.ping()).toBe('pong');
    const seen: number[] = [];
    expect(await sup.api.work(3, (d) => seen.push(d))).toBe(3);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('keeps code and subject of a TributaryError thrown in the worker', async () => {
    const { sup } = setup();
    const err = await sup.api.fail().catch((e: unknown) => e);
    expect(isTributaryError(err)).toBe(true);
    expect(err).toBeInstanceOf(TributaryError);
    const t = err as TributaryError;
    expect(t.code).toBe('file/too-large');
    expect(t.subject).toBe('big.txt');
    expect(t.message).toBe('big.txt: It is larger than 10 MB: split it.');
  });

  it('keeps details and the cause chain of a wrapped error thrown in the worker', async () => {
    const { sup } = setup();
    const err = (await sup.api.failWrapped().catch((e: unknown) => e)) as TributaryError;
    expect(err).toBeInstanceOf(TributaryError);
    expect(err.details).toBe('upload failed');
    const [, inner, gpu, root] = err.chain() as [unknown, TributaryError, Error, Error];
    expect(inner).toBeInstanceOf(TributaryError);
    expect(inner.code).toBe('webgpu/error');
    expect(inner.details).toBe('GPUValidationError: buffer too small');
    expect(gpu.message).toBe('GPUValidationError: buffer too small');
    expect(root.name).toBe('TypeError');
    expect(root.message).toBe('size 0');
  });

  it('passes other errors through as errors', async () => {
    const { sup } = setup();
    const err = await sup.api.failPlain().catch((e: unknown) => e);
    expect(isTributaryError(err)).toBe(false);
    expect((err as Error).message).toBe('plain failure');
  });

  it('rejects calls in flight on a crash, restarts, and serves later calls', async () => {
    const { sup, workers, events } = setup();
    expect(await sup.api.whoAmI()).toBe(1);
    const inFlight = sup.api.hang();
    const second = sup.api.hang();
    workers[0]!.crash('boom');
    for (const p of [inFlight, second]) {
      const err = await p.catch((e: unknown) => e);
      expect(isTributaryError(err)).toBe(true);
      expect((err as TributaryError).code).toBe('worker/crashed');
      expect((err as TributaryError).message).toBe('data worker crashed (boom) and was restarted; please retry.');
    }
    expect(workers[0]!.terminated).toBe(true);
    expect(events).toEqual([
      { type: 'crashed', name: 'data', message: 'boom' },
      { type: 'restarted', name: 'data' },
    ]);
    expect(await sup.api.whoAmI()).toBe(2);
  });

  it('treats messageerror as a crash', async () => {
    const { sup, workers, events } = setup();
    const p = sup.api.hang();
    workers[0]!.dispatchEvent(new Event('messageerror'));
    expect(await p.catch((e: TributaryError) => e.code)).toBe('worker/crashed');
    expect(events[0]).toMatchObject({ type: 'crashed' });
    expect(await sup.api.whoAmI()).toBe(2);
  });

  it('ignores events of a worker it already replaced', async () => {
    const { sup, workers, events } = setup();
    workers[0]!.crash('first');
    workers[0]!.crash('late echo');
    expect(events.filter((e) => e.type === 'crashed')).toHaveLength(1);
    expect(await sup.api.whoAmI()).toBe(2);
  });

  it('restart() replaces the worker and rejects calls in flight', async () => {
    const { sup, workers, events } = setup();
    const p = sup.api.hang();
    sup.restart();
    expect(await p.catch((e: TributaryError) => e.code)).toBe('worker/crashed');
    expect(workers).toHaveLength(2);
    expect(events).toEqual([{ type: 'restarted', name: 'data' }]);
    expect(await sup.api.whoAmI()).toBe(2);
  });

  it('gives up after a crash loop, and dispose() stops everything', async () => {
    const { sup, workers } = setup();
    for (let i = 0; i <= MAX_RESTARTS; i++) workers.at(-1)!.crash(`crash ${i}`);
    expect(workers).toHaveLength(MAX_RESTARTS + 1);
    const err = (await sup.api.ping().catch((e: unknown) => e)) as TributaryError;
    expect(err.code).toBe('worker/crashed');
    expect(err.message).toMatch(/keeps crashing.*reload the page/);
    sup.restart();
    expect(await sup.api.ping()).toBe('pong');
    sup.dispose();
    expect(await sup.api.ping().catch((e: TributaryError) => e.code)).toBe('worker/crashed');
  });

  it('is not a thenable', async () => {
    const { sup } = setup();
    expect((sup.api as unknown as { then?: unknown }).then).toBeUndefined();
    expect(await Promise.resolve(sup.api)).toBe(sup.api);
  });
});

describe('the job watchdog', () => {
  function setupWithTimeout(jobTimeoutMs: number | ((m: string) => number | null)) {
    const workers: FakeWorker[] = [];
    const events: WorkerEvent[] = [];
    const sup = createSupervisedWorker<TestApi & { slowSteps(steps: number, ms: number, onProgress: (i: number) => void): Promise<number> }>(
      () => {
        const service = {
          ...makeService(workers.length + 1),
          slowSteps: async (steps: number, ms: number, onProgress: (i: number) => void) => {
            for (let i = 1; i <= steps; i++) {
              await new Promise((r) => setTimeout(r, ms));
              await onProgress(i);
            }
            return steps;
          },
        };
        const w = new FakeWorker(service);
        workers.push(w);
        return w as unknown as Worker;
      },
      { name: 'data', onEvent: (e) => events.push(e), jobTimeoutMs },
    );
    cleanups.push(() => sup.dispose());
    return { sup, workers, events };
  }

  it('a job that hangs is stopped with worker/timeout, the worker terminated and replaced', async () => {
    const { sup, workers, events } = setupWithTimeout(80);
    const t0 = performance.now();
    const err = await sup.api.hang().catch((e: unknown) => e);
    expect(isTributaryError(err) && err.code).toBe('worker/timeout');
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(workers[0]!.terminated).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['crashed', 'restarted']);
    expect(await sup.api.whoAmI()).toBe(2);
  });

  it('other calls in flight on the stopped worker are rejected too, typed', async () => {
    const { sup } = setupWithTimeout((m) => (m === 'hang' ? 80 : null));
    const other = sup.api.slowSteps(100, 50, () => undefined).catch((e: unknown) => e);
    await sup.api.hang().catch(() => undefined);
    const err = await other;
    expect(isTributaryError(err) && err.code).toBe('worker/timeout');
  });

  it('progress keeps a long job alive: only silence counts', async () => {
    const { sup } = setupWithTimeout(150);
    const seen: number[] = [];
    expect(await sup.api.slowSteps(6, 60, (i) => void seen.push(i))).toBe(6); // 360 ms in all, 60 ms between signs of life
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a method can opt out of the watchdog', async () => {
    const { sup } = setupWithTimeout((m) => (m === 'slowSteps' ? null : 50));
    expect(await sup.api.slowSteps(2, 100, () => undefined)).toBe(2);
  });
});
