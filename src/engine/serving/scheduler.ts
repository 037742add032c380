/**
 * The generation scheduler (OpenLoRA serving): many concurrent requests — several chats, each on its own adapter or
 * on the base model — share one model, and each step runs ONE forward pass over all of them (continuous batching):
 * the new requests' prompts (prefill segments) and one decode row per running request, every row with its own LoRA
 * slot (`BatchRow.adapterSlot`: BGMV for the decode rows, SGMV-style segments for prefills; rows are ordered by slot so
 * rows of one adapter are contiguous). Requests join at the next step and leave the batch as soon as they finish or are
 * cancelled.
 *
 * Each request runs the very same `generate()` loop as a single chat (sampling, stop tokens, stop sequences and stop
 * strings held back until they cannot match, max tokens, context limit, abort), against a proxy of the model whose
 * `prefill`/`decodeStep` park the call until every running request has parked its own; then the scheduler runs one
 * `model.forward` over all parked calls and hands each its logits. So a request's tokens are the ones it would get
 * alone (up to float rounding of a batched matmul; greedy decoding gives the same tokens), and its sequence ends in
 * the same state.
 *
 * Adapters come from an `AdapterPool`: a request's adapter is acquired (pinned; loaded just in time) when it is admitted
 * and released when it finishes. When every slot is pinned by running requests, new requests on other adapters wait
 * in the queue (FIFO) until a slot frees. At most `maxBatch` requests run at once; a step takes at most
 * `maxBatchTokens` tokens (decode rows first, then prompts in arrival order; a longer prompt runs alone).
 * If a batched forward fails, its rows are retried one by one so one bad row fails only its own request. A row refused
 * because the model's paged KV cache is full (`engine/kv-full`) is not failed but parked, like a request waiting for an
 * adapter slot, until a running request finishes and gives its pages back; only when every running request is parked
 * so (no one could free pages) is the newest of them failed with that error.
 *
 * @example
 * const scheduler = new Scheduler(model, { pool });
 * const a = scheduler.submit({ prompt: ids, adapterId: legal.meta.id, maxNewTokens: 64, stopTokens: [eos] });
 * const b = scheduler.submit({ prompt: ids2, maxNewTokens: 64, signal: ctrl.signal, onToken: (id) => show(id) });
 * for await (const id of a) print(id);
 * const { finishReason, tokens } = await b.result;
 */
import { TributaryError, isTributaryError } from '../../core/errors.ts';
import type { AdapterPool } from '../lora/pool.ts';
import { generate, type GenerateOptions, type GenerateResult } from '../model/generate.ts';
import type { BatchRow, Model, Sequence } from '../model/llama.ts';

export type { GenerateResult, FinishReason } from '../model/generate.ts';

export interface GenerationRequest extends Omit<GenerateOptions, 'adapterSlot' | 'seq'> {
  prompt: readonly number[];
  /** registry id of the adapter to use (needs the scheduler's `pool`); absent/null: the base model */
  adapterId?: string | null;
  /** continue this conversation (not disposed afterwards); default: a fresh sequence, disposed when done */
  seq?: Sequence;
  /** context length of the fresh sequence (default: the scheduler's `maxSeq`, else the model's default) */
  maxSeq?: number;
  /** called with every emitted token, in order (besides the async iterator) */
  onToken?: (id: number) => void;
}

/** A submitted request: iterate it for its tokens; `result` resolves when it finishes (or rejects with its error). */
export interface RequestHandle extends AsyncIterable<number> {
  readonly id: number;
  readonly result: Promise<GenerateResult>;
  /** stops it at the next step (finish reason `abort`); leaving a `for await` early does the same */
  cancel(): void;
}

export interface SchedulerOptions {
  /** resolves `adapterId`s to slots (required for requests with an adapter) */
  pool?: AdapterPool;
  /** requests running at once (default 64) */
  maxBatch?: number;
  /** tokens in one forward pass (default 2048) */
  maxBatchTokens?: number;
  /** context length of fresh sequences (default: the model's) */
  maxSeq?: number;
}

export interface SchedulerStats {
  /** forward passes run */
  steps: number;
  /** rows over all passes */
  rows: number;
  /** tokens fed over all passes */
  tokens: number;
  /** the largest batch (rows in one pass) */
  maxRows: number;
  running: number;
  queued: number;
  completed: number;
}

/** Runs `f` in a later task (setImmediate in Node, a MessageChannel message in browsers and workers). */
function nextTask(f: () => void): void {
  if (typeof setImmediate === 'function') setImmediate(f);
  else if (typeof MessageChannel === 'function') {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      f();
    };
    ch.port2.postMessage(null);
  } else setTimeout(f, 0);
}

interface Call {
  tokens: number[];
  slot: number;
  resolve: (logits: Float32Array) => void;
  reject: (e: unknown) => void;
}

interface Req {
  id: number;
  prompt: readonly number[];
  opts: GenerationRequest;
  ctrl: AbortController;
  slot: number;
  seq: Sequence | null;
  ownSeq: boolean;
  pinned: boolean;
  buffer: number[];
  done: boolean;
  error: unknown;
  outcome: GenerateResult | null;
  wake: (() => void) | null;
  resolve: (r: GenerateResult) => void;
  reject: (e: unknown) => void;
  unlisten: () => void;
}

export class Scheduler {
  private readonly queue: Req[] = [];
  private readonly live = new Set<Req>();
  private readonly bySeq = new Map<Sequence, Req>();
  private readonly pending = new Map<Req, Call>();
  /** calls refused for want of KV cache pages (`engine/kv-full`): parked until a running request finishes */
  private readonly kvWait = new Map<Req, Call>();
  private readonly maxBatch: number;
  private readonly maxBatchTokens: number;
  private readonly proxy: Model;
  private nextId = 1;
  private running = false;
  private flushQueued = false;
  private admitting = false;
  private admitAgain = false;
  private closed = false;
  private readonly counts = { steps: 0, rows: 0, tokens: 0, maxRows: 0, completed: 0 };

  constructor(
    readonly model: Model,
    private readonly opts: SchedulerOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 64;
    this.maxBatchTokens = opts.maxBatchTokens ?? 2048;
    if (!(Number.isInteger(this.maxBatch) && this.maxBatch > 0) || !(Number.isInteger(this.maxBatchTokens) && this.maxBatchTokens > 0)) {
      throw new TributaryError('engine/bad-config', 'maxBatch and maxBatchTokens must be whole numbers > 0.');
    }
    const m = model;
    const park = (seq: Sequence, tokens: ArrayLike<number>, slot: number | undefined): Promise<Float32Array> => this.park(seq, Array.from(tokens), slot ?? -1);
    this.proxy = {
      get config() {
        return m.config;
      },
      get backend() {
        return m.backend;
      },
      get quant() {
        return m.quant;
      },
      get loraSlots() {
        return m.loraSlots;
      },
      get loraMaxRank() {
        return m.loraMaxRank;
      },
      memory: () => m.memory(),
      createSequence: (n) => m.createSequence(n),
      forward: (rows, fo) => m.forward(rows, fo),
      prefill: (tokens, seq, o) => park(seq, tokens, o?.adapterSlot),
      decodeStep: (token, seq, o) => park(seq, [token], o?.adapterSlot),
      setLoraSlot: () => {
        throw new TributaryError('engine/bad-config', 'LoRA slots of a served model belong to its AdapterPool.');
      },
      dispose: () => {},
    };
  }

  /** Queues a request; it joins the batch at the next step its adapter can be made resident. */
  submit(req: GenerationRequest): RequestHandle {
    if (this.closed) throw new TributaryError('serving/closed', 'The scheduler was closed; start a new one.');
    const V = this.model.config.vocabSize;
    for (const id of req.prompt) {
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new TributaryError('engine/bad-config', `Token id ${id} is outside the vocabulary (0..${V - 1}).`);
    }
    if (req.adapterId && !this.opts.pool) throw new TributaryError('engine/bad-config', 'This scheduler has no adapter pool; create it with { pool } to serve adapters.');
    if (req.seq && (this.bySeq.has(req.seq) || this.queue.some((q) => q.opts.seq === req.seq))) {
      throw new TributaryError('engine/bad-config', 'This conversation already has a request running; wait for it or cancel it.');
    }
    const ctrl = new AbortController();
    let resolve!: (r: GenerateResult) => void;
    let reject!: (e: unknown) => void;
    const result = new Promise<GenerateResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    result.catch(() => {}); // observed through the handle; never an unhandled rejection
    const onAbort = (): void => ctrl.abort();
    req.signal?.addEventListener('abort', onAbort);
    if (req.signal?.aborted) ctrl.abort();
    const r: Req = {
      id: this.nextId++,
      prompt: req.prompt.slice(),
      opts: req,
      ctrl,
      slot: -1,
      seq: null,
      ownSeq: false,
      pinned: false,
      buffer: [],
      done: false,
      error: undefined,
      outcome: null,
      wake: null,
      resolve,
      reject,
      unlisten: () => req.signal?.removeEventListener('abort', onAbort),
    };
    ctrl.signal.addEventListener('abort', () => {
      // a queued request leaves at once; a running one at its next step
      const i = this.queue.indexOf(r);
      if (i >= 0) {
        this.queue.splice(i, 1);
        this.finish(r, { finishReason: 'abort', tokens: [] });
      }
      this.maybeFlush();
    });
    if (!ctrl.signal.aborted) {
      this.queue.push(r);
      void this.admit();
    } else this.finish(r, { finishReason: 'abort', tokens: [] });
    return this.handle(r, result);
  }

  stats(): SchedulerStats {
    return { ...this.counts, running: this.live.size, queued: this.queue.length };
  }

  /** Cancels everything and refuses new requests. */
  close(): void {
    this.closed = true;
    for (const r of [...this.queue, ...this.live]) r.ctrl.abort();
  }

  // ---- the handle ---------------------------------------------------------------------------------------------

  private handle(r: Req, result: Promise<GenerateResult>): RequestHandle {
    return {
      id: r.id,
      result,
      cancel: () => r.ctrl.abort(),
      [Symbol.asyncIterator]: (): AsyncIterator<number> => ({
        next: async (): Promise<IteratorResult<number>> => {
          for (;;) {
            if (r.buffer.length > 0) return { value: r.buffer.shift()!, done: false };
            if (r.done) {
              if (r.outcome) return { value: undefined, done: true };
              throw r.error;
            }
            await new Promise<void>((res) => (r.wake = res));
          }
        },
        return: (): Promise<IteratorResult<number>> => {
          r.ctrl.abort();
          return Promise.resolve({ value: undefined, done: true });
        },
      }),
    };
  }

  private emit(r: Req, id: number): void {
    r.buffer.push(id);
    this.wake(r);
    r.opts.onToken?.(id);
  }

  private wake(r: Req): void {
    const w = r.wake;
    r.wake = null;
    w?.();
  }

  private finish(r: Req, outcome: GenerateResult | null, error?: unknown): void {
    if (r.done) return;
    r.done = true;
    r.outcome = outcome;
    r.error = error;
    r.unlisten();
    if (this.live.delete(r)) this.counts.completed++;
    if (r.seq) this.bySeq.delete(r.seq);
    if (r.seq && r.ownSeq) r.seq.dispose();
    this.kvWait.delete(r);
    // pages may have come free: the calls waiting for them try again at the next step
    for (const [q, c] of this.kvWait) this.pending.set(q, c);
    this.kvWait.clear();
    if (r.pinned && r.opts.adapterId) {
      r.pinned = false;
      this.opts.pool!.release([r.opts.adapterId]);
      void this.admit(); // a slot may have freed up
    }
    if (outcome) r.resolve(outcome);
    else r.reject(error);
    this.wake(r);
    if (this.live.size < this.maxBatch && this.queue.length > 0) void this.admit();
    this.maybeFlush();
  }

  // ---- admission ----------------------------------------------------------------------------------------------

  private async admit(): Promise<void> {
    if (this.admitting) {
      this.admitAgain = true;
      return;
    }
    this.admitting = true;
    try {
      do {
        this.admitAgain = false;
        while (this.queue.length > 0 && this.live.size < this.maxBatch) {
          const r = this.queue[0]!;
          let slot = -1;
          const adapterId = r.opts.adapterId;
          if (adapterId) {
            try {
              slot = (await this.opts.pool!.acquire([adapterId])).get(adapterId)!;
            } catch (e) {
              // every slot pinned by our running requests: wait for one to finish (it calls admit again)
              if (isTributaryError(e) && e.code === 'lora/pool-full' && this.live.size > 0) break;
              if (this.queue[0] === r) this.queue.shift();
              this.finish(r, null, e);
              continue;
            }
            r.pinned = true;
          }
          if (this.queue[0] === r) this.queue.shift();
          if (r.done) {
            // cancelled while its adapter loaded
            if (r.pinned && adapterId) this.opts.pool!.release([adapterId]);
            r.pinned = false;
            continue;
          }
          this.start(r, slot);
        }
      } while (this.admitAgain);
    } finally {
      this.admitting = false;
    }
  }

  private start(r: Req, slot: number): void {
    try {
      r.slot = slot;
      r.ownSeq = !r.opts.seq;
      r.seq = r.opts.seq ?? this.model.createSequence(r.opts.maxSeq ?? this.opts.maxSeq);
    } catch (e) {
      this.finish(r, null, e);
      return;
    }
    this.live.add(r);
    this.bySeq.set(r.seq, r);
    const { prompt: _p, adapterId: _a, seq: _s, maxSeq: _m, onToken: _o, ...gen } = r.opts;
    const it = generate(this.proxy, r.prompt, { ...gen, adapterSlot: slot, seq: r.seq, signal: r.ctrl.signal });
    void this.pump(r, it);
  }

  private async pump(r: Req, it: AsyncGenerator<number, GenerateResult>): Promise<void> {
    try {
      for (;;) {
        const step = await it.next();
        if (step.done) {
          this.finish(r, step.value);
          return;
        }
        this.emit(r, step.value);
      }
    } catch (e) {
      this.finish(r, null, e);
    }
  }

  // ---- batching -----------------------------------------------------------------------------------------------

  private park(seq: Sequence, tokens: number[], slot: number): Promise<Float32Array> {
    const r = this.bySeq.get(seq);
    if (!r) return Promise.reject(new TributaryError('engine/bad-config', 'This sequence is not served by the scheduler.'));
    return new Promise<Float32Array>((resolve, reject) => {
      this.pending.set(r, { tokens, slot, resolve, reject });
      this.maybeFlush();
    });
  }

  /** Runs a step once every running request has parked its call (and none is running). */
  private maybeFlush(): void {
    if (this.flushQueued || this.running || this.pending.size === 0 || this.pending.size + this.kvWait.size < this.live.size) return;
    this.flushQueued = true;
    // a macrotask: admissions already under way (adapter hits, in-memory loads: microtasks) join this step
    nextTask(() => {
      this.flushQueued = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.running || this.pending.size === 0 || this.pending.size + this.kvWait.size < this.live.size) return;
    // cancelled requests leave without computing: generate() checks the signal before it looks at the logits
    for (const [r, c] of this.kvWait) {
      if (r.ctrl.signal.aborted) {
        this.kvWait.delete(r);
        this.pending.set(r, c);
      }
    }
    for (const [r, c] of this.pending) {
      if (r.ctrl.signal.aborted) {
        this.pending.delete(r);
        c.resolve(new Float32Array(this.model.config.vocabSize));
      }
    }
    if (this.pending.size === 0) return;
    // decode rows first, then prompts in arrival order, within the token budget (one oversized prompt runs alone)
    const calls = [...this.pending.entries()];
    const ordered = [...calls.filter(([, c]) => c.tokens.length === 1), ...calls.filter(([, c]) => c.tokens.length > 1)];
    const batch: [Req, Call][] = [];
    let tokens = 0;
    for (const e of ordered) {
      if (batch.length > 0 && tokens + e[1].tokens.length > this.maxBatchTokens) continue;
      batch.push(e);
      tokens += e[1].tokens.length;
    }
    for (const [r] of batch) this.pending.delete(r);
    // rows of one adapter next to each other (SGMV segments)
    batch.sort((a, b) => a[1].slot - b[1].slot);
    const rows: BatchRow[] = batch.map(([r, c]) => ({ seq: r.seq!, tokens: c.tokens, adapterSlot: c.slot }));
    this.running = true;
    try {
      this.counts.steps++;
      this.counts.rows += rows.length;
      this.counts.tokens += tokens;
      this.counts.maxRows = Math.max(this.counts.maxRows, rows.length);
      let out: Float32Array[] | null = null;
      let err: unknown;
      try {
        out = await this.model.forward(rows);
      } catch (e) {
        err = e;
      }
      const refuse = (r: Req, c: Call, e: unknown): void => {
        if (isTributaryError(e) && e.code === 'engine/kv-full') this.kvWait.set(r, c);
        else c.reject(e);
      };
      if (out) batch.forEach(([, c], i) => c.resolve(out[i]!));
      else if (batch.length === 1) refuse(batch[0]![0], batch[0]![1], err);
      else {
        // isolate the failing row(s): a failed pass leaves sequence lengths unchanged
        for (const [i, [r, c]] of batch.entries()) {
          try {
            this.counts.steps++;
            const [one] = await this.model.forward([rows[i]!]);
            c.resolve(one!);
          } catch (e) {
            refuse(r, c, e);
          }
        }
      }
      if (this.kvWait.size > 0 && this.kvWait.size >= this.live.size) {
        // every running request waits for pages: none will free any, so the newest one fails
        const [r, c] = [...this.kvWait].reduce((a, b) => (b[0].id > a[0].id ? b : a));
        this.kvWait.delete(r);
        c.reject(
          new TributaryError('engine/kv-full', 'The KV cache is full and no other running conversation can give pages back; shorten the conversation or load the model with a larger KV cache budget.'),
        );
      }
    } finally {
      this.running = false;
      this.maybeFlush();
    }
  }
}
