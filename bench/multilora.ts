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
 * The batched outputs are checked against the one-at-a-time outputs (greedy: same tokens; the count that differ is
 * reported, and more than a quarter differing fails the run).
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

/** CPU time of this process in ms (user + system): the CPU backend is single-threaded, so on a shared machine this is
 * what the work costs, unlike wall time, which also counts other processes' turns. */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface RunResult {
  ms: number;
  cpu: number;
  tokens: number;
  outputs: number[][];
}

async function runBatched(model: Model, pool: AdapterPool, reqs: GenerationRequest[]): Promise<RunResult & { maxRows: number }> {
  const s = new Scheduler(model, { pool, maxBatch: N_REQ, maxBatchTokens: N_REQ * PROMPT });
  const t0 = performance.now();
  const c0 = cpuMs();
  const res = await Promise.all(reqs.map((r) => s.submit(r).result));
  const ms = performance.now() - t0;
  return { ms, cpu: cpuMs() - c0, tokens: res.reduce((n, r) => n + r.tokens.length, 0), outputs: res.map((r) => r.tokens), maxRows: s.stats().maxRows };
}

async function runSwapping(model: Model, pool: AdapterPool, reqs: GenerationRequest[]): Promise<RunResult> {
  const s = new Scheduler(model, { pool, maxBatch: 1 });
  const t0 = performance.now();
  const c0 = cpuMs();
  const outputs: number[][] = [];
  for (const r of reqs) outputs.push((await s.submit(r).result).tokens);
  const ms = performance.now() - t0;
  return { ms, cpu: cpuMs() - c0, tokens: outputs.reduce((n, o) => n + o.length, 0), outputs };
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
  // the three modes interleaved in every repetition; ratios per repetition, then the median
  const per = { distinct: [] as number[], single: [] as number[], swapping: [] as number[] };
  const wall = { distinct: [] as number[], single: [] as number[], swapping: [] as number[] };
  const r32v1: number[] = [];
  const rSwap: number[] = [];
  let maxRows = 0;
  let mismatches = 0;
  for (let rep = 0; rep < REPS; rep++) {
    const a = await runBatched(model, pool, distinct);
    const b = await runBatched(model, pool, single);
    const before = swapPool.stats().misses;
    const sw = await runSwapping(swapModel, swapPool, distinct);
    if (swapPool.stats().misses - before !== N_REQ) throw new Error('the swapping baseline did not reload an adapter per request');
    // greedy: the same tokens, except where a near-tie flips under the batch's other summation order (≤ 1e-4)
    const differ = sw.outputs.filter((o, i) => o.join(',') !== a.outputs[i]!.join(',')).length;
    mismatches = Math.max(mismatches, differ);
    if (differ > N_REQ / 4) throw new Error(`${differ} of ${N_REQ} batched outputs differ from the one-at-a-time outputs`);
    maxRows = Math.max(maxRows, a.maxRows);
    const tps = (r: RunResult, useCpu: boolean): number => r.tokens / ((useCpu ? r.cpu : r.ms) / 1000);
    per.distinct.push(tps(a, true));
    per.single.push(tps(b, true));
    per.swapping.push(tps(sw, true));
    wall.distinct.push(tps(a, false));
    wall.single.push(tps(b, false));
    wall.swapping.push(tps(sw, false));
    r32v1.push(tps(a, true) / tps(b, true));
    rSwap.push(tps(a, true) / tps(sw, true));
  }
  const tpsDistinct = median(per.distinct);
  const tpsSingle = median(per.single);
  const tpsSwap = median(per.swapping);

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
    ratio_32_adapters_vs_1: median(r32v1),
    ratio_batched_vs_swapping: median(rSwap),
    switch_ms_p50_1000_adapters: pct(hit, 0.5),
    bytes_per_resident_adapter: ps.slotBytes,
    details: {
      backend: 'cpu',
      device: `Node ${process.version}, ${availableParallelism()} cores available, single-threaded CPU backend`,
      model: { ...SHAPE, headDim: config.headDim, weights: 'f32', tied: config.tieWordEmbeddings, seed: 1 },
      adapters: { rank: RANK, targets: LORA_TARGETS, count: N_REQ, registered: N_REGISTERED, ownBytes: adapterWeightBytes(adapters[0]!.weights) },
      workload: { requests: N_REQ, promptTokens: PROMPT, newTokens: NEW, sampling: 'greedy', repetitions: REPS },
      timing: 'tokens/s = generated tokens / CPU time of the process (user+system; single-threaded backend, shared machine); wall-clock figures alongside; ratios are per repetition (modes interleaved), then the median',
      tokens_per_s_cpu_time: { batched_32_adapters: tpsDistinct, batched_1_adapter: tpsSingle, one_at_a_time_with_swaps: tpsSwap, all: per, ratios: { r32v1, rSwap } },
      tokens_per_s_wall: { batched_32_adapters: median(wall.distinct), batched_1_adapter: median(wall.single), one_at_a_time_with_swaps: median(wall.swapping), all: wall },
      max_rows_per_pass: maxRows,
      outputs_differing_from_one_at_a_time: mismatches,
      switch_ms: { resident_p50: pct(hit, 0.5), resident_p99: pct(hit, 0.99), non_resident_p50: pct(miss, 0.5), non_resident_p99: pct(miss, 0.99) },
      register_1000_ms: registerMs,
      pool: ps,
      goals: { ratio_32_adapters_vs_1: '>= 0.8', ratio_batched_vs_swapping: '>= 10', switch_ms_p50_1000_adapters: '< 5' },
      note: 'CPU backend, one thread: the f32 matmuls are compute-bound, so a 32-row decode pass costs only somewhat less per row than 32 one-row passes (row-streaming gemv), prefill costs the same either way, and the plain-JS multi-LoRA kernel adds per-row work that batching does not share; batching therefore buys about 1.0-1.4x over one-at-a-time serving here (it varies run to run on this shared 2-core machine). The >= 10x goal presumes a memory-bound GPU decode, where a 32-row pass costs about what one row does; no GPU was lent to this task. Resident switches are a Map lookup (O(1)); a non-resident switch is one in-memory store read plus one slot upload.',
      date: new Date().toISOString(),
    },
  };
  for (const k of ['ratio_32_adapters_vs_1', 'ratio_batched_vs_swapping', 'switch_ms_p50_1000_adapters', 'bytes_per_resident_adapter'] as const) {
    if (!Number.isFinite(result[k]) || result[k] <= 0) throw new Error(`could not measure ${k} (${result[k]})`);
  }
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'multilora.json'), JSON.stringify(result, null, 2) + '\n');
  const f = (x: number, d = 2): string => x.toFixed(d);
  console.log(`tokens/s (per CPU second): 32 adapters ${f(tpsDistinct, 1)}, 1 adapter ${f(tpsSingle, 1)}, one at a time with swaps ${f(tpsSwap, 1)}`);
  console.log(`ratio_32_adapters_vs_1 ${f(result.ratio_32_adapters_vs_1)} (goal >= 0.8), ratio_batched_vs_swapping ${f(result.ratio_batched_vs_swapping)} (goal >= 10)`);
  console.log(`switch with ${N_REGISTERED} registered: resident p50 ${f(pct(hit, 0.5), 4)} ms (goal < 5), non-resident p50 ${f(pct(miss, 0.5), 3)} ms; bytes per resident adapter ${ps.slotBytes}`);
  console.log('wrote bench/results/multilora.json');
}
