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
 * If a batched forward fails, its rows are retried one by one so one bad row fails only its own request.
 *
 * KV cache pages (the model's paged pool, `memory().kvPages`) are planned before each step: a row whose new pages do
 * not fit what the budget has free waits (keeping its pages) while the others run; decode rows go first, then prompts
 * and resumed requests in arrival order (the first of those that does not fit holds back the later ones, so a waiting
 * request is not starved by newer ones). When no row fits at all, the newest running request holding pages is
 * preempted (vLLM's recompute preemption): its sequence is truncated back to where the request started, which frees
 * its pages, and its outstanding call waits; once its whole history (prompt + every token it fed since, kept per
 * request) plus the pending tokens fit again, they are fed as one prefill row and the call gets that row's last
 * logits, as it would have from the original step. Its caller sees nothing but latency (greedy tokens are the same).
 * Preempted requests resume oldest first. Only a request that could not fit even with every other one set aside
 * fails, with `engine/kv-full`. A cancelled preempted request leaves without computing (on a sequence the caller
 * gave, its history is fed back first, so the conversation holds what it would after a cancel at a step).
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
import type { BatchRow, Model, RowLogits, Sequence } from '../model/llama.ts';
import { nextTask } from './nextTask.ts';

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
  /** running requests preempted to free KV cache pages (each resumed by recomputing its history) */
  preemptions: number;
  /** requests preempted now, waiting for pages to resume */
  preempted: number;
  running: number;
  queued: number;
  completed: number;
}

interface Call {
  tokens: number[];
  slot: number;
  /** top candidates the caller can sample from (`forwardCandidates`); 0: it wants the whole row */
  candidates: number;
  resolve: (logits: RowLogits) => void;
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
  /** the sequence's length when the request started (a conversation continued) */
  base: number;
  /** every token this request fed to its sequence since (prompt, then generated tokens): recomputed after preemption */
  fed: number[];
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
  /** calls of running requests for the next step (including those waiting for KV cache pages) */
  private readonly pending = new Map<Req, Call>();
  /** calls of preempted requests: their sequence was truncated to `base`; resumed by feeding `fed` + the call's tokens */
  private readonly preempted = new Map<Req, Call>();
  private readonly maxBatch: number;
  private readonly maxBatchTokens: number;
  private readonly proxy: Model;
  private nextId = 1;
  private running = false;
  private flushQueued = false;
  private admitting = false;
  private admitAgain = false;
  private closed = false;
  private readonly counts = { steps: 0, rows: 0, tokens: 0, maxRows: 0, preemptions: 0, completed: 0 };

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
    const park = (seq: Sequence, tokens: ArrayLike<number>, slot: number | undefined): Promise<Float32Array> =>
      this.park(seq, Array.from(tokens), slot ?? -1, 0) as Promise<Float32Array>; // 0 candidates: whole rows
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
      forwardCandidates: async (rows, candidates) => {
        // generate() asks for one row at a time; the scheduler batches the parked rows
        if (rows.length !== 1) throw new TributaryError('engine/bad-config', 'A served model takes one row per call; the scheduler batches them.');
        const row = rows[0]!;
        return [await this.park(row.seq, Array.from(row.tokens), row.adapterSlot ?? -1, candidates)];
      },
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
      base: 0,
      fed: [],
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
    return { ...this.counts, preempted: this.preempted.size, running: this.live.size, queued: this.queue.length };
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
    // its pages came free (the calls waiting for pages are planned again at the next step)
    this.pending.delete(r);
    this.preempted.delete(r);
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
      r.base = r.seq.length;
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

  private park(seq: Sequence, tokens: number[], slot: number, candidates: number): Promise<RowLogits> {
    const r = this.bySeq.get(seq);
    if (!r) return Promise.reject(new TributaryError('engine/bad-config', 'This sequence is not served by the scheduler.'));
    return new Promise<RowLogits>((resolve, reject) => {
      this.pending.set(r, { tokens, slot, candidates, resolve, reject });
      this.maybeFlush();
    });
  }

  /** Runs a step once every running request has parked its call (and none is running). */
  private maybeFlush(): void {
    const parked = this.pending.size + this.preempted.size;
    if (this.flushQueued || this.running || parked === 0 || parked < this.live.size) return;
    this.flushQueued = true;
    // a macrotask: admissions already under way (adapter hits, in-memory loads: microtasks) join this step
    nextTask(() => {
      this.flushQueued = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const parked = this.pending.size + this.preempted.size;
    if (this.running || parked === 0 || parked < this.live.size) return;
    this.running = true;
    try {
      const batch = this.plan();
      if (batch.length === 0) return;
      // rows of one adapter next to each other (SGMV segments)
      batch.sort((a, b) => a.c.slot - b.c.slot);
      const rows: BatchRow[] = batch.map((e) => ({ seq: e.r.seq!, tokens: e.tokens, adapterSlot: e.c.slot }));
      const tokens = rows.reduce((n, row) => n + row.tokens.length, 0);
      this.counts.steps++;
      this.counts.rows += rows.length;
      this.counts.tokens += tokens;
      this.counts.maxRows = Math.max(this.counts.maxRows, rows.length);
      let out: RowLogits[] | null = null;
      let err: unknown;
      // candidates when any caller can sample from them (a GPU then reads back a few logits per row, not all)
      const candidates = Math.max(...batch.map((e) => e.c.candidates));
      try {
        out = candidates > 0 ? await this.model.forwardCandidates(rows, candidates) : await this.model.forward(rows);
      } catch (e) {
        err = e;
      }
      if (out) {
        const rowsOut = out;
        try {
          // a caller that wants whole rows gets them now, while the pass's logits are still there to read
          for (const [i, e] of batch.entries()) {
            const row = rowsOut[i]!;
            if (e.c.candidates === 0 && !(row instanceof Float32Array)) rowsOut[i] = await row.full();
          }
        } catch (x) {
          // the pass ran (lengths moved on) but its logits are unreadable: the device is gone; nothing to retry
          for (const e of batch) e.c.reject(x);
          return;
        }
        batch.forEach((e, i) => this.commit(e, rowsOut[i]!));
      } else if (batch.length === 1) batch[0]!.c.reject(err);
      else {
        // isolate the failing row(s): a failed pass leaves sequence lengths unchanged; whole rows here, since each
        // pass would make the previous one's candidates unreadable
        for (const [i, e] of batch.entries()) {
          try {
            this.counts.steps++;
            const [one] = await this.model.forward([rows[i]!]);
            this.commit(e, one!);
          } catch (x) {
            e.c.reject(x);
          }
        }
      }
    } finally {
      this.running = false;
      this.maybeFlush();
    }
  }

  /** A row ran: its tokens are now part of the request's history, and its call gets the logits. */
  private commit(e: Planned, logits: RowLogits): void {
    if (e.resumed) e.r.fed = e.tokens;
    else for (const t of e.c.tokens) e.r.fed.push(t);
    e.c.resolve(logits);
  }

  /**
   * Picks this step's rows within the token budget and the KV cache pages free; when none fits, preempts the newest
   * running request holding pages and tries again. Fails (with `engine/kv-full`) requests that could not fit even
   * with every other request set aside, and lets cancelled ones go.
   */
  private plan(): Planned[] {
    const zeros = (): Float32Array => new Float32Array(this.model.config.vocabSize);
    for (;;) {
      // cancelled requests leave without computing: generate() checks the signal before it looks at the logits
      for (const [r, c] of this.pending) {
        if (r.ctrl.signal.aborted) {
          this.pending.delete(r);
          c.resolve(zeros());
        }
      }
      for (const [r, c] of this.preempted) {
        // a caller's sequence gets its history back first (below); a sequence of our own is disposed anyway
        if (r.ctrl.signal.aborted && (r.ownSeq || r.fed.length === 0)) {
          this.preempted.delete(r);
          c.resolve(zeros());
        }
      }
      if (this.pending.size + this.preempted.size === 0) return [];
      const kv = this.model.memory().kvPages;
      const pages = (n: number): number => Math.ceil(n / kv.pageSize);
      const cands: Planned[] = [
        ...[...this.pending].map(([r, c]) => ({ r, c, tokens: c.tokens, resumed: false })),
        ...[...this.preempted].map(([r, c]) => ({ r, c, tokens: r.ctrl.signal.aborted ? r.fed.slice() : [...r.fed, ...c.tokens], resumed: true })),
      ];
      /** pages a row takes now */
      const need = (e: Planned): number => pages(e.r.seq!.length + e.tokens.length) - pages(e.r.seq!.length);
      /** pages a running request could give back if preempted */
      const held = (r: Req): number => pages(r.seq!.length) - pages(r.base);
      let freeable = 0;
      for (const r of this.pending.keys()) freeable += held(r);
      const room = kv.budget - kv.used + freeable;
      // requests that cannot fit even alone (every other one preempted) fail now
      let failed = false;
      for (const e of cands) {
        // (a preempted request's sequence is back at `base`, a running one's at `base` + what it fed)
        const alone = pages(e.r.seq!.length + e.tokens.length) - pages(e.r.base);
        if (alone <= room) continue;
        (e.resumed ? this.preempted : this.pending).delete(e.r);
        failed = true;
        if (e.r.ctrl.signal.aborted) {
          e.c.resolve(zeros()); // cancelled while preempted: its history cannot come back, it leaves as it is
          continue;
        }
        const others = kv.used - freeable;
        e.c.reject(
          new TributaryError(
            'engine/kv-full',
            `The KV cache cannot hold this conversation even alone: it needs ${alone} pages of ${kv.pageSize} tokens, but the budget has ${kv.budget}` +
              (others > 0 ? ` and ${others} of them are held by other conversations` : '') +
              '; shorten the conversation or load the model with a larger KV cache budget.',
          ),
        );
      }
      // a failed request gives its pages back when it finishes: plan again then
      if (failed) return [];
      // decode rows first (oldest first), then prompts and resumed requests in arrival order
      const byId = (a: Planned, b: Planned): number => a.r.id - b.r.id;
      const decode = cands.filter((e) => !e.resumed && e.tokens.length === 1).sort(byId);
      const rest = cands.filter((e) => e.resumed || e.tokens.length > 1).sort(byId);
      const batch: Planned[] = [];
      let free = kv.budget - kv.used;
      let tokens = 0;
      let blocked = false;
      for (const e of [...decode, ...rest]) {
        // within the token budget (one oversized row runs alone)
        if (batch.length > 0 && tokens + e.tokens.length > this.maxBatchTokens) continue;
        const n = need(e);
        if (n > free) {
          // a prompt or resume that does not fit holds back the later ones (they would take the pages it waits for)
          if (e.tokens.length > 1 || e.resumed) blocked = true;
          continue;
        }
        if (blocked && (e.tokens.length > 1 || e.resumed)) continue;
        batch.push(e);
        tokens += e.tokens.length;
        free -= n;
      }
      if (batch.length > 0) {
        for (const e of batch) (e.resumed ? this.preempted : this.pending).delete(e.r);
        return batch;
      }
      // no row fits: preempt the newest running request that holds pages (one exists, or the oldest row would fit)
      let victim: Req | null = null;
      for (const r of this.pending.keys()) if (held(r) > 0 && (!victim || r.id > victim.id)) victim = r;
      if (!victim) return []; // cannot happen (see above); wait for a request to finish rather than spin
      const c = this.pending.get(victim)!;
      this.pending.delete(victim);
      victim.seq!.truncate(victim.base);
      this.preempted.set(victim, c);
      this.counts.preemptions++;
    }
  }
}

/** A row planned for a step: a running request's call, or a preempted one's history + call (`resumed`). */
interface Planned {
  r: Req;
  c: Call;
  tokens: number[];
  resumed: boolean;
}
