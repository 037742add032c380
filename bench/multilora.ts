/**
 * Multi-LoRA serving benchmark (`npm run bench -- multilora`, or `npx tsx bench/run.ts multilora`), on the CPU backend
 * with a seeded random Llama-shaped model (shape in the JSON; no GPU is used):
 * - throughput (generated tokens/s) of 32 concurrent requests on 32 distinct adapters vs the same 32 requests all on
 *   one adapter (goal ≥ 0.8×), both through the scheduler (one forward per step, a LoRA slot per row);
 * - the same 32 requests served one adapter at a time with swaps (a 1-slot pool: each request evicts the previous
 *   adapter and uploads its own, then runs alone) (goal: batched ≥ 10× this);
 * - adapter switch latency with 1,000 registered adapters: `pool.acquire` of a resident adapter (p50, goal < 5 ms)
 *   and of a non-resident one (one store read + one slot upload);
 * - bytes per resident adapter (the slot it occupies at maxRank, and its own f32 matrices).
 * The batched outputs are checked against the one-at-a-time outputs (greedy: same tokens) before anything is reported.
 * Writes bench/results/multilora.json; throws (non-zero exit) if something could not be measured.
 * Env: MULTILORA_QUICK=1 for a smaller run (fewer tokens and repetitions).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCpuBackend } from '../src/engine/cpu/cpuBackend.ts';
import { createPeftAdapter, adapterWeightBytes, type AdapterMeta, type PeftAdapter } from '../src/engine/lora/peft.ts';
import { AdapterPool, modelSlotTarget } from '../src/engine/lora/pool.ts';
import { AdapterRegistry, MemoryAdapterStore, type AdapterStore } from '../src/engine/lora/registry.ts';
import { createModel, type Model } from '../src/engine/model/llama.ts';
import { randomAdapter, randomModel } from '../src/engine/model/randomModel.ts';
import { LORA_TARGETS } from '../src/engine/model/types.ts';
import { createRng } from '../src/engine/sampling/rng.ts';
import { Scheduler, type GenerationRequest } from '../src/engine/serving/scheduler.ts';

const here = dirname(fileURLToPath(import.meta.url));
const QUICK = process.env['MULTILORA_QUICK'] === '1';
const N_REQ = 32;
const PROMPT = 16;
const NEW = QUICK ? 8 : 32;
const REPS = QUICK ? 1 : 3;
const RANK = 8;
const N_REGISTERED = 1000;
const SHAPE = { vocabSize: 2048, hiddenSize: 256, intermediateSize: 768, numLayers: 4, numHeads: 8, numKvHeads: 4, maxPositionEmbeddings: 256 };

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
};
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))]!;

interface RunResult {
  ms: number;
  tokens: number;
  outputs: number[][];
}

async function runBatched(model: Model, pool: AdapterPool, reqs: GenerationRequest[]): Promise<RunResult & { maxRows: number }> {
  const s = new Scheduler(model, { pool, maxBatch: N_REQ, maxBatchTokens: N_REQ * PROMPT });
  const t0 = performance.now();
  const res = await Promise.all(reqs.map((r) => s.submit(r).result));
  const ms = performance.now() - t0;
  return { ms, tokens: res.reduce((n, r) => n + r.tokens.length, 0), outputs: res.map((r) => r.tokens), maxRows: s.stats().maxRows };
}

async function runSwapping(model: Model, pool: AdapterPool, reqs: GenerationRequest[]): Promise<RunResult> {
  const s = new Scheduler(model, { pool, maxBatch: 1 });
  const t0 = performance.now();
  const outputs: number[][] = [];
  for (const r of reqs) outputs.push((await s.submit(r).result).tokens);
  const ms = performance.now() - t0;
  return { ms, tokens: outputs.reduce((n, o) => n + o.length, 0), outputs };
}

/** A store of 1,000 adapters sharing a few weight sets (distinct provenance, so distinct bytes and ids). */
function registeredStore(base: PeftAdapter[], n: number, config: Parameters<typeof createPeftAdapter>[1]): AdapterStore & { metas: AdapterMeta[] } {
  const byId = new Map<string, PeftAdapter>();
  const metas: AdapterMeta[] = [];
  for (let i = 0; i < n; i++) {
    const w = base[i % base.length]!.weights;
    const a = createPeftAdapter(w, config, { name: `adapter-${i}`, datanets: [`dn-${i % 17}`] });
    byId.set(a.meta.id, { meta: a.meta, weights: w });
    metas.push(a.meta);
  }
  return {
    metas,
    get: (id) => Promise.resolve(byId.get(id)!),
    list: () => Promise.resolve(metas),
  };
}

export async function main(): Promise<void> {
  const { config, weights } = randomModel({ seed: 1, ...SHAPE });
  const adapters = Array.from({ length: N_REQ }, (_, i) => createPeftAdapter(randomAdapter(config, { seed: 1000 + i, rank: RANK }), config, { name: `a${i}` }));
  const registry = new AdapterRegistry(new MemoryAdapterStore(), config);
  for (const a of adapters) await registry.add(a);

  const rng = createRng(5);
  const prompts = Array.from({ length: N_REQ }, () => Array.from({ length: PROMPT }, () => Math.floor(rng.next() * config.vocabSize)));
  const req = (i: number, adapter: number): GenerationRequest => ({ prompt: prompts[i]!, adapterId: adapters[adapter]!.meta.id, maxNewTokens: NEW, sampling: { greedy: true } });
  const distinct = prompts.map((_, i) => req(i, i));
  const single = prompts.map((_, i) => req(i, 0));

  // 32 slots: every adapter resident (warmed), batched serving
  const model = createModel(createCpuBackend(), config, weights, { lora: { slots: N_REQ, maxRank: RANK }, maxSeq: PROMPT + NEW + 8 });
  const pool = new AdapterPool(registry, modelSlotTarget(model, { maxRank: RANK }));
  pool.release((await pool.acquire(adapters.map((a) => a.meta.id))).keys());
  // 1 slot: one adapter at a time, swapped per request
  const swapModel = createModel(createCpuBackend(), config, weights, { lora: { slots: 1, maxRank: RANK }, maxSeq: PROMPT + NEW + 8 });
  const swapPool = new AdapterPool(registry, modelSlotTarget(swapModel, { maxRank: RANK }));

  console.log(`model ${JSON.stringify(SHAPE)}, f32, CPU backend; ${N_REQ} requests × ${PROMPT} prompt + ${NEW} new tokens; adapters rank ${RANK} on all 7 modules`);
  await runBatched(model, pool, distinct.slice(0, 4)); // warm-up (JIT)
  const tDistinct: number[] = [];
  const tSingle: number[] = [];
  let checked = false;
  let maxRows = 0;
  for (let rep = 0; rep < REPS; rep++) {
    const a = await runBatched(model, pool, distinct);
    const b = await runBatched(model, pool, single);
    tDistinct.push(a.tokens / (a.ms / 1000));
    tSingle.push(b.tokens / (b.ms / 1000));
    maxRows = Math.max(maxRows, a.maxRows);
    if (!checked) {
      const sw = await runSwapping(swapModel, swapPool, distinct);
      for (let i = 0; i < N_REQ; i++) {
        if (sw.outputs[i]!.join(',') !== a.outputs[i]!.join(',')) throw new Error(`request ${i}: batched output differs from the one-at-a-time output`);
      }
      checked = true;
    }
  }
  const tSwap: number[] = [];
  for (let rep = 0; rep < Math.max(1, REPS - 1); rep++) {
    const before = swapPool.stats().misses;
    const sw = await runSwapping(swapModel, swapPool, distinct);
    if (swapPool.stats().misses - before !== N_REQ) throw new Error('the swapping baseline did not reload an adapter per request');
    tSwap.push(sw.tokens / (sw.ms / 1000));
  }
  const tpsDistinct = median(tDistinct);
  const tpsSingle = median(tSingle);
  const tpsSwap = median(tSwap);

  // switch latency with 1,000 registered adapters
  const t0 = performance.now();
  const store = registeredStore(adapters, N_REGISTERED, config);
  const big = await AdapterRegistry.open(store);
  const registerMs = performance.now() - t0;
  const bigPool = new AdapterPool(big, modelSlotTarget(model, { maxRank: RANK }));
  const ids = store.metas.map((m) => m.id);
  const hot = ids.slice(0, N_REQ);
  pool.close();
  for (const id of hot) bigPool.release((await bigPool.acquire([id])).keys());
  const hit: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const id = hot[(i * 13) % hot.length]!;
    const s = performance.now();
    const m = await bigPool.acquire([id]);
    hit.push(performance.now() - s);
    bigPool.release(m.keys());
  }
  const miss: number[] = [];
  for (let i = 0; i < 300; i++) {
    const id = ids[N_REQ + ((i * 101) % (N_REGISTERED - N_REQ))]!;
    const s = performance.now();
    const m = await bigPool.acquire([id]);
    miss.push(performance.now() - s);
    bigPool.release(m.keys());
  }
  const ps = bigPool.stats();

  const result = {
    ratio_32_adapters_vs_1: tpsDistinct / tpsSingle,
    ratio_batched_vs_swapping: tpsDistinct / tpsSwap,
    switch_ms_p50_1000_adapters: pct(hit, 0.5),
    bytes_per_resident_adapter: ps.slotBytes,
    details: {
      backend: 'cpu',
      device: `Node ${process.version}, ${availableParallelism()} cores available, single-threaded CPU backend`,
      model: { ...SHAPE, headDim: config.headDim, weights: 'f32', tied: config.tieWordEmbeddings, seed: 1 },
      adapters: { rank: RANK, targets: LORA_TARGETS, count: N_REQ, registered: N_REGISTERED, ownBytes: adapterWeightBytes(adapters[0]!.weights) },
      workload: { requests: N_REQ, promptTokens: PROMPT, newTokens: NEW, sampling: 'greedy', repetitions: REPS },
      tokens_per_s: { batched_32_adapters: tpsDistinct, batched_1_adapter: tpsSingle, one_at_a_time_with_swaps: tpsSwap, all: { distinct: tDistinct, single: tSingle, swapping: tSwap } },
      max_rows_per_pass: maxRows,
      switch_ms: { resident_p50: pct(hit, 0.5), resident_p99: pct(hit, 0.99), non_resident_p50: pct(miss, 0.5), non_resident_p99: pct(miss, 0.99) },
      register_1000_ms: registerMs,
      pool: ps,
      goals: { ratio_32_adapters_vs_1: '>= 0.8', ratio_batched_vs_swapping: '>= 10', switch_ms_p50_1000_adapters: '< 5' },
      note: 'CPU backend: a batched pass costs about as much per row as single-row passes (compute-bound f32 matmuls on one thread), so batching buys little over swapping here; the >= 10x goal is about a memory-bound GPU decode. Outputs of the batched run were checked equal to the one-at-a-time run.',
      date: new Date().toISOString(),
    },
  };
  for (const k of ['ratio_32_adapters_vs_1', 'ratio_batched_vs_swapping', 'switch_ms_p50_1000_adapters', 'bytes_per_resident_adapter'] as const) {
    if (!Number.isFinite(result[k]) || result[k] <= 0) throw new Error(`could not measure ${k} (${result[k]})`);
  }
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'multilora.json'), JSON.stringify(result, null, 2) + '\n');
  const f = (x: number, d = 2): string => x.toFixed(d);
  console.log(`tokens/s: 32 adapters ${f(tpsDistinct, 1)}, 1 adapter ${f(tpsSingle, 1)}, one at a time with swaps ${f(tpsSwap, 1)}`);
  console.log(`ratio_32_adapters_vs_1 ${f(result.ratio_32_adapters_vs_1)} (goal >= 0.8), ratio_batched_vs_swapping ${f(result.ratio_batched_vs_swapping)} (goal >= 10)`);
  console.log(`switch with ${N_REGISTERED} registered: resident p50 ${f(pct(hit, 0.5), 4)} ms (goal < 5), non-resident p50 ${f(pct(miss, 0.5), 3)} ms; bytes per resident adapter ${ps.slotBytes}`);
  console.log('wrote bench/results/multilora.json');
}
