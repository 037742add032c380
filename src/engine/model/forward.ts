/**
 * The model on the device: the paged KV cache (per layer one K and one V pool, pages handed to sequences as they grow),
 * LoRA slots, and `forward` over a batch of rows (see llama.ts for the architecture).
 */
import { TributaryError } from '../../core/errors.ts';
import type { Backend, LoraPool, PagedRows, Tensor, WeightTensor } from '../backend.ts';
import { ropeInvFreq } from '../cpu/kernels/rope.ts';
import { loraTargetDims } from './loraTargetDims.ts';
import { LORA_TARGETS, type LlamaConfig, type LoraAdapterWeights, type LoraTarget } from './types.ts';
import type { BatchRow, ForwardOptions, Model, ModelOptions, RowLogits, Sequence } from './llama.ts';
import type { DeviceLayer, DeviceWeights } from './modelBuilder.ts';
import { KvPages } from './kvPages.ts';

interface SeqState extends Sequence {
  length: number;
  /** physical pages of the KV pool, in order: token j sits in page pages[floor(j / pageSize)] */
  pages: number[];
  disposed: boolean;
}

export function assembleModel(backend: Backend, config: LlamaConfig, dw: DeviceWeights, opts: ModelOptions): Model {
  const c = config;
  const quant = opts.quant ?? 'f32';
  const b = backend;
  const d = c.hiddenSize;
  const hd = c.headDim;
  const nH = c.numHeads;
  const nKv = c.numKvHeads;
  const qDim = nH * hd;
  const kvDim = nKv * hd;
  const defaultMaxSeq = opts.maxSeq ?? Math.min(c.maxPositionEmbeddings, 2048);

  const weightBytes = dw.bytes;
  const weightsF32 = dw.bytesF32;
  const owned: (Tensor | WeightTensor | LoraPool)[] = [...dw.owned];
  const { embed, lmHead, finalNorm } = dw;
  const invFreq = b.upload(ropeInvFreq(hd, c.ropeTheta, c.ropeScaling));
  owned.push(invFreq);

  const loraSlots = opts.lora?.slots ?? 0;
  const loraTargets = opts.lora ? (opts.lora.targets ?? LORA_TARGETS) : [];
  let loraBytes = 0;
  const layers: DeviceLayer[] = dw.layers.map((l) => {
    const dl: DeviceLayer = { ...l, lora: {} };
    for (const t of loraTargets) {
      const { inDim, outDim } = loraTargetDims(c, t);
      const pool = b.createLoraPool(loraSlots, opts.lora!.maxRank, inDim, outDim);
      loraBytes += pool.bytes;
      owned.push(pool);
      dl.lora[t] = pool;
    }
    return dl;
  });

  // ---- the paged KV cache (kvPages.ts)
  const kv = new KvPages(b, { numLayers: c.numLayers, numKvHeads: nKv, headDim: hd, maxSeq: defaultMaxSeq, ...(opts.kvCache?.pageSize !== undefined ? { pageSize: opts.kvCache.pageSize } : {}), ...(opts.kvCache?.bytes !== undefined ? { bytes: opts.kvCache.bytes } : {}) });
  const { pageSize } = kv;
  const releasePages = (s: SeqState, keep: number): void => kv.release(s.pages, keep);

  let nextSeqId = 1;
  const live = new Set<SeqState>();
  let disposed = false;
  const slotFilled = new Array<boolean>(loraSlots).fill(false);

  const alive = (): void => {
    if (disposed) throw new TributaryError('engine/disposed', 'This model was disposed; load it again.');
  };

  function createSequence(maxSeq = defaultMaxSeq): Sequence {
    alive();
    if (!Number.isInteger(maxSeq) || maxSeq <= 0) throw new TributaryError('engine/bad-config', `A sequence needs a positive context length (got ${maxSeq}).`);
    const s: SeqState = {
      id: nextSeqId++,
      maxSeq,
      length: 0,
      disposed: false,
      pages: [],
      truncate(n: number) {
        if (!Number.isInteger(n) || n < 0 || n > s.length) throw new TributaryError('engine/bad-config', `Cannot truncate a sequence of ${s.length} tokens to ${n}.`);
        s.length = n;
        releasePages(s, Math.ceil(n / pageSize));
      },
      dispose() {
        if (s.disposed) return;
        s.disposed = true;
        releasePages(s, 0);
        live.delete(s);
      },
    };
    live.add(s);
    return s;
  }

  function setLoraSlot(slot: number, adapter: LoraAdapterWeights | null): void {
    alive();
    if (!Number.isInteger(slot) || slot < 0 || slot >= loraSlots) {
      throw new TributaryError('engine/lora-slot', `LoRA slot ${slot} does not exist: the model was loaded with ${loraSlots} slots.`);
    }
    if (adapter) {
      if (adapter.layers.length !== c.numLayers) {
        throw new TributaryError('engine/bad-weights', `The adapter has ${adapter.layers.length} layers, the model ${c.numLayers}.`);
      }
      if (adapter.rank > (opts.lora?.maxRank ?? 0)) {
        throw new TributaryError('engine/lora-slot', `The adapter's rank ${adapter.rank} is above the slots' maximum ${opts.lora?.maxRank ?? 0}.`);
      }
      for (const [i, l] of adapter.layers.entries()) {
        for (const t of Object.keys(l) as LoraTarget[]) {
          if (l[t] && !layers[i]!.lora[t]) {
            throw new TributaryError('engine/lora-slot', `The adapter targets ${t}_proj, but the model reserved LoRA slots only for ${loraTargets.join(', ') || 'no module'}.`);
          }
        }
      }
    }
    const scale = adapter ? (adapter.scale ?? (adapter.rank === 0 ? 0 : adapter.alpha / adapter.rank)) : 0;
    layers.forEach((dl, i) => {
      for (const t of loraTargets) {
        const pool = dl.lora[t]!;
        if (!adapter) {
          b.writeLoraSlot(pool, slot, null);
          continue;
        }
        const m = adapter.layers[i]![t];
        const rank = m ? adapter.rank : 0;
        b.writeLoraSlot(pool, slot, m ? { rank, scale, A: m.A, B: m.B } : { rank: 0, scale: 0, A: new Float32Array(0), B: new Float32Array(0) });
      }
    });
    slotFilled[slot] = adapter !== null;
  }

  /** the logits tensor of the last pass that returned candidates, kept for their `full()` until the next pass */
  let lastLogits: Tensor | undefined;

  /** `candidates`: 1..256 per row, honoured on a backend with `topK` (WebGPU on a real GPU), else rows come back whole */
  async function forward(rows: readonly BatchRow[], fo: ForwardOptions & { candidates?: number } = {}): Promise<RowLogits[]> {
    try {
      return await forwardPass(rows, fo);
    } catch (e) {
      // a failed pass leaves lengths unchanged: give back the pages it took
      for (const r of rows) {
        const s = r.seq as SeqState;
        if (live.has(s)) releasePages(s, Math.ceil(s.length / pageSize));
      }
      throw e;
    }
  }

  async function forwardPass(rows: readonly BatchRow[], fo: ForwardOptions & { candidates?: number }): Promise<RowLogits[]> {
    alive();
    if (lastLogits) {
      b.dispose(lastLogits);
      lastLogits = undefined;
    }
    if (rows.length === 0) return [];
    const K = fo.candidates;
    if (K !== undefined && !(Number.isInteger(K) && K >= 1 && K <= Math.min(256, c.vocabSize))) {
      throw new TributaryError('engine/bad-config', `A pass can return 1..${Math.min(256, c.vocabSize)} candidates per row (asked for ${K}).`);
    }
    // ---- validate and lay out the batch
    const segStart: number[] = [];
    let total = 0;
    const seen = new Set<Sequence>();
    let anyLora = false;
    for (const r of rows) {
      const s = r.seq as SeqState;
      if (!live.has(s)) throw new TributaryError('engine/disposed', 'This sequence was disposed or belongs to another model.');
      if (seen.has(s)) throw new TributaryError('engine/bad-config', 'A batch may hold each sequence only once.');
      seen.add(s);
      const n = r.tokens.length;
      if (n === 0) throw new TributaryError('engine/bad-config', 'Every row of a batch needs at least one token.');
      if (s.length + n > s.maxSeq) {
        throw new TributaryError('engine/context-full', `The conversation is ${s.length} tokens long and ${n} more do not fit its context of ${s.maxSeq}; start a new one or shorten it.`);
      }
      const slot = r.adapterSlot ?? -1;
      if (slot >= 0) {
        if (slot >= loraSlots || !slotFilled[slot]) throw new TributaryError('engine/lora-slot', `LoRA slot ${slot} holds no adapter; load one first.`);
        anyLora = true;
      }
      segStart.push(total);
      total += n;
    }
    // ---- pages: all or nothing, before any work
    kv.reserve(rows.map((r) => ({ pages: (r.seq as SeqState).pages, length: (r.seq as SeqState).length + r.tokens.length })));
    const tokens = new Int32Array(total);
    const positions = new Int32Array(total);
    const rowAdapter = new Int32Array(total);
    const rowSeq = new Int32Array(total);
    const dstRows = new Int32Array(total);
    let pagesPerSeq = 1;
    for (const r of rows) pagesPerSeq = Math.max(pagesPerSeq, (r.seq as SeqState).pages.length);
    const pageTable = new Int32Array(rows.length * pagesPerSeq);
    rows.forEach((r, i) => {
      const s = r.seq as SeqState;
      const o = segStart[i]!;
      for (let j = 0; j < r.tokens.length; j++) {
        const id = r.tokens[j]!;
        if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize) {
          throw new TributaryError('engine/bad-config', `Token id ${id} is outside the vocabulary (0..${c.vocabSize - 1}).`);
        }
        const p = s.length + j;
        tokens[o + j] = id;
        positions[o + j] = p;
        rowAdapter[o + j] = r.adapterSlot ?? -1;
        rowSeq[o + j] = i;
        dstRows[o + j] = s.pages[Math.floor(p / pageSize)]! * pageSize + (p % pageSize);
      }
      pageTable.set(s.pages, i * pagesPerSeq);
    });
    const paged: PagedRows = { pageSize, positions, rowSeq, pageTable, pagesPerSeq };

    // ---- the pass
    const temps: Tensor[] = [];
    const tmp = (shape: number[]): Tensor => {
      const t = b.alloc(shape);
      temps.push(t);
      return t;
    };
    const T = total;
    const x = tmp([T, d]);
    const h = tmp([T, d]);
    const q = tmp([T, qDim]);
    const k = tmp([T, kvDim]);
    const v = tmp([T, kvDim]);
    const att = tmp([T, qDim]);
    const o = tmp([T, d]);
    const g = tmp([T, c.intermediateSize]);
    const u = tmp([T, c.intermediateSize]);
    const lin = (inp: Tensor, w: WeightTensor, out: Tensor, bias: Tensor | undefined, pool: LoraPool | undefined): void => {
      b.matmul(inp, T, w, out, bias);
      if (anyLora && pool) b.loraApply(inp, T, pool, rowAdapter, out);
    };
    try {
      b.embeddingGather(tokens, embed, x);
      for (let li = 0; li < layers.length; li++) {
        const L = layers[li]!;
        b.rmsNorm(x, T, d, L.inputNorm, c.rmsNormEps, h);
        if (L.qkv) {
          // one matmul over [Wq; Wk; Wv], its columns split into q, k, v; LoRA still per module
          b.matmulSplit!(h, T, L.qkv, [q, k, v], L.qkvBias);
          if (anyLora) {
            if (L.lora.q) b.loraApply(h, T, L.lora.q, rowAdapter, q);
            if (L.lora.k) b.loraApply(h, T, L.lora.k, rowAdapter, k);
            if (L.lora.v) b.loraApply(h, T, L.lora.v, rowAdapter, v);
          }
        } else {
          lin(h, L.q!, q, L.qBias, L.lora.q);
          lin(h, L.k!, k, L.kBias, L.lora.k);
          lin(h, L.v!, v, L.vBias, L.lora.v);
        }
        b.rope(q, T, nH, hd, positions, invFreq);
        b.rope(k, T, nKv, hd, positions, invFreq);
        // the whole batch at once, whatever sequences its rows belong to: one write, one attention per layer
        b.kvWritePaged(k, v, T, kvDim, kv.kPool[li]!, kv.vPool[li]!, dstRows);
        b.pagedAttention(q, kv.kPool[li]!, kv.vPool[li]!, T, nH, nKv, hd, att, paged);
        lin(att, L.o, o, undefined, L.lora.o);
        b.add(x, o, x);
        b.rmsNorm(x, T, d, L.postAttentionNorm, c.rmsNormEps, h);
        lin(h, L.gate, g, undefined, L.lora.gate);
        lin(h, L.up, u, undefined, L.lora.up);
        b.siluMul(g, u, g);
        lin(g, L.down, o, undefined, L.lora.down);
        b.add(x, o, x);
      }
      if (fo.hidden) {
        b.rmsNorm(x, T, d, finalNorm, c.rmsNormEps, h);
        const states = await b.read(h);
        for (const r of rows) (r.seq as SeqState).length += r.tokens.length;
        return rows.map((r, i) => states.slice(segStart[i]! * d, (segStart[i]! + r.tokens.length) * d));
      }
      let logits: Tensor;
      let nOut: number;
      if (fo.allLogits) {
        nOut = T;
        logits = tmp([T, c.vocabSize]); // allocated first: the norm then folds into the LM head's matmul (decode)
        b.rmsNorm(x, T, d, finalNorm, c.rmsNormEps, h);
        b.matmul(h, T, lmHead, logits);
      } else if (T === rows.length) {
        // one token per row (a decode step): every row is its own last row, no gather
        nOut = T;
        logits = tmp([T, c.vocabSize]); // allocated first: the norm then folds into the LM head's matmul (decode)
        b.rmsNorm(x, T, d, finalNorm, c.rmsNormEps, h);
        b.matmul(h, T, lmHead, logits);
      } else {
        nOut = rows.length;
        const last = tmp([nOut, d]);
        rows.forEach((r, i) => b.copyRows(x, segStart[i]! + r.tokens.length - 1, last, i, 1, d));
        b.rmsNorm(last, nOut, d, finalNorm, c.rmsNormEps, last);
        logits = tmp([nOut, c.vocabSize]);
        b.matmul(last, nOut, lmHead, logits);
      }
      const V = c.vocabSize;
      if (K !== undefined && b.topK && !fo.allLogits) {
        const top = await b.topK(logits, nOut, V, K);
        for (const r of rows) (r.seq as SeqState).length += r.tokens.length;
        temps.splice(temps.indexOf(logits), 1); // kept for full() until the next pass
        const kept = logits;
        lastLogits = kept;
        return rows.map((_, i) => ({
          ids: top.ids.subarray(i * K, (i + 1) * K),
          vals: top.vals.subarray(i * K, (i + 1) * K),
          vocab: V,
          full: async () => {
            if (lastLogits !== kept) throw new TributaryError('engine/stale-logits', 'These logits belong to an earlier step of the model; a later pass has replaced them.');
            return b.read(kept, i * V, V);
          },
        }));
      }
      const all = await b.read(logits);
      for (const r of rows) (r.seq as SeqState).length += r.tokens.length;
      return rows.map((r, i) =>
        fo.allLogits ? all.slice(segStart[i]! * V, (segStart[i]! + r.tokens.length) * V) : all.slice(i * V, (i + 1) * V),
      );
    } finally {
      for (const t of temps) b.dispose(t);
    }
  }

  return {
    config: c,
    backend: b,
    quant,
    loraSlots,
    loraMaxRank: opts.lora?.maxRank ?? 0,
    memory: () => {
      const { used, nPages, budgetPages, pageBytes } = kv;
      return {
        weights: weightBytes,
        weightsF32,
        byFormat: { ...dw.byFormat },
        keptF32: dw.keptF32.map((k) => ({ ...k })),
        kvCache: used * pageBytes,
        kvCacheReserved: nPages * pageBytes,
        kvCacheBudget: budgetPages * pageBytes,
        kvPages: { used, total: nPages, budget: budgetPages, pageSize },
        lora: loraBytes,
      };
    },
    createSequence,
    // without candidates every row comes back whole (a Float32Array)
    forward: (rows, fo) => forward(rows, fo) as Promise<Float32Array[]>,
    forwardCandidates: (rows, candidates) => forward(rows, { candidates }),
    async prefill(tokens, seq, po = {}) {
      const [out] = await forward([{ seq, tokens, adapterSlot: po.adapterSlot ?? -1 }], { allLogits: po.allLogits ?? false });
      return out as Float32Array;
    },
    async decodeStep(token, seq, po = {}) {
      const [out] = await forward([{ seq, tokens: [token], adapterSlot: po.adapterSlot ?? -1 }]);
      return out as Float32Array;
    },
    setLoraSlot,
    dispose() {
      if (disposed) return;
      if (lastLogits) b.dispose(lastLogits);
      lastLogits = undefined;
      for (const s of [...live]) s.dispose();
      for (const t of [...owned, ...kv.tensors()]) b.dispose(t);
      disposed = true;
    },
  };
}

