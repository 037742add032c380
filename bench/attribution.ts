/**
 * `npm run bench -- attribution` → bench/results/attribution.json. Every figure has a same-run peer where one
 * makes sense, and the ratio is reported (the machine is shared: absolute times are noisy, ratios less so).
 *
 * - Verbatim spans: synthetic Datanets of N word tokens (Zipf-distributed ids over a 100k vocabulary, passages of
 *   200 words), suffix array built by SA-IS; queries are 256-word answers (4 stretches of 32 words copied from the
 *   Datanet among 128 random words), run through the real `findSpans` (tokenising, maximal spans, counts,
 *   occurrences), plus verbatim answers (256 words copied from one place: a regurgitated passage, the longest
 *   matches). Each query's wall time and its process CPU time are both recorded: on a shared machine the wall
 *   time's tail is the scheduler's (waiting for a core), the CPU time's tail is the query's own work.
 *   Peer: a naive scan of the whole text for the longest match at every answer position (one query).
 *   Sizes: ATTR_BENCH_SIZES (default "10000000,100000000"); a size whose projected build time (linear in N from the
 *   previous size) exceeds ATTR_BENCH_BUDGET_S (default 600 s) is skipped and said so.
 * - Top-k: 1M vectors of 384 int8 dims, exact top-10; the app's default path (WASM SIMD split over every core where
 *   memory can be shared) vs one thread (alternated in rounds) and the plain JS loop (same ids and score bits); the
 *   load average before and after.
 * ATTR_BENCH_PARTS (default "topk,influence,spans") picks parts; keys of parts not run keep their previous values.
 * - Influence: 10k logged examples, D = 224 (4 layers × 7 LoRA targets × 8), 2 checkpoints; TracIn and the damped
 *   inverse with prepared factors per query; peer: the damped inverse re-factorised per query.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Corpus } from '../src/attribution/corpus.ts';
import { dampedInverseScores, dampedInverseScoresPrepared, prepareDampedInverse, tracInScores } from '../src/attribution/influence.ts';
import { findSpans, firstWordRanges } from '../src/attribution/spanSearch.ts';
import { buildSuffixArray } from '../src/attribution/suffixArray.ts';
import { Int8VectorSearch } from '../src/attribution/vectorTopK.ts';

const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}
const time = <T>(f: () => T): [T, number] => {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
};

const VOCAB = 100_000;
const PASSAGE = 200;

function syntheticCorpus(n: number, seed: number): Corpus {
  const rand = rng(seed);
  const text = new Int32Array(n);
  const starts: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i % PASSAGE === 0) starts.push(i);
    // Zipf-like: a cube of a uniform skews towards small ids (common words)
    text[i] = i % PASSAGE === PASSAGE - 1 ? 1 : 2 + Math.floor(rand() ** 3 * VOCAB);
  }
  starts.push(n);
  const vocab = Array.from({ length: VOCAB + 2 }, (_, i) => (i < 2 ? '' : `w${i}`));
  const wordIds = new Map(vocab.map((w, i) => [w, i] as const).filter(([, i]) => i >= 2));
  const passages = Array.from({ length: starts.length - 1 }, (_, p) => ({ contributionId: `0x${(p % 5000).toString(16).padStart(64, '0')}` as const, passageIndex: Math.floor(p / 5000), text: '' }));
  return { passages, vocab, wordIds, text, passageStarts: Int32Array.from(starts) };
}

/** Answers that copy 256 consecutive words of the Datanet (separators replaced by a random word). */
function verbatimAnswers(c: Corpus, count: number, seed: number): string[] {
  const rand = rng(seed);
  return Array.from({ length: count }, () => {
    const at = Math.floor(rand() * (c.text.length - 300));
    return Array.from(c.text.subarray(at, at + 256), (id) => (id === 1 ? `w${2 + Math.floor(rand() * VOCAB)}` : `w${id}`)).join(' ');
  });
}

/** Wall and process-CPU milliseconds of each query. */
function timeQueries(qs: readonly string[], run: (q: string) => number): { wall: number[]; cpu: number[]; found: number } {
  run(qs[0]!); // warm-up
  const wall: number[] = [];
  const cpu: number[] = [];
  let found = 0;
  for (const q of qs) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    found += run(q);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall, cpu, found };
}

function answers(c: Corpus, count: number, seed: number): string[] {
  const rand = rng(seed);
  const out: string[] = [];
  for (let q = 0; q < count; q++) {
    const words: string[] = [];
    for (let part = 0; part < 4; part++) {
      for (let k = 0; k < 32; k++) words.push(`w${2 + Math.floor(rand() ** 3 * VOCAB)}`);
      let at = Math.floor(rand() * (c.text.length - 40));
      for (let k = 0; k < 32; k++, at++) {
        const id = c.text[at]!;
        words.push(id === 1 ? `w${2 + Math.floor(rand() * VOCAB)}` : `w${id}`);
      }
    }
    out.push(words.join(' '));
  }
  return out;
}

/** Peer: longest match at each answer position by scanning the whole text. */
function naiveLongest(text: Int32Array, q: Int32Array): number {
  let total = 0;
  for (let i = 0; i < q.length; i++) {
    let best = 0;
    for (let p = 0; p < text.length; p++) {
      let l = 0;
      while (i + l < q.length && p + l < text.length && text[p + l] === q[i + l] && q[i + l]! > 1) l++;
      if (l > best) best = l;
    }
    total += best;
  }
  return total;
}

async function spanBench(): Promise<Record<string, unknown>> {
  const sizes = (process.env.ATTR_BENCH_SIZES ?? '10000000,100000000').split(',').map(Number);
  const budget = Number(process.env.ATTR_BENCH_BUDGET_S ?? 600) * 1000;
  const out: Record<string, unknown> = {};
  let msPerToken: number | null = null;
  for (const n of sizes) {
    const tag = n >= 1e6 ? `${n / 1e6}m` : `${n}`;
    if (msPerToken !== null && msPerToken * n > budget) {
      out[`span_query_p50_ms_${tag}`] = null;
      out[`span_${tag}_note`] = `not measured: the projected suffix-array build (${round((msPerToken * n) / 1000, 0)} s, linear from the previous size on this shared machine, load average ${round(os.loadavg()[0] ?? 0, 1)}) exceeds the ${budget / 1000} s budget; raise ATTR_BENCH_BUDGET_S to run it`;
      console.log(`spans ${tag}: skipped (${out[`span_${tag}_note`]})`);
      continue;
    }
    out[`span_${tag}_note`] = undefined; // a skip note of an earlier run no longer applies (undefined: left out of the JSON)
    const corpus = syntheticCorpus(n, 7);
    const [sa, buildMs] = time(() => buildSuffixArray(corpus.text, corpus.vocab.length));
    msPerToken = buildMs / n;
    const index = { corpus, sa, firstWord: firstWordRanges(corpus) };
    const qs = answers(corpus, 40, 11);
    const mixed = timeQueries(qs, (q) => findSpans(index, q).length);
    const verbatim = timeQueries(verbatimAnswers(corpus, 40, 13), (q) => findSpans(index, q).length);
    const times = mixed.wall;
    const found = mixed.found;
    out[`span_build_ms_${tag}`] = round(buildMs, 0);
    out[`span_build_ns_per_token_${tag}`] = round((buildMs * 1e6) / n, 1);
    out[`span_query_p50_ms_${tag}`] = round(pct(times, 50));
    out[`span_query_p95_ms_${tag}`] = round(pct(times, 95));
    out[`span_query_cpu_ms_p50_${tag}`] = round(pct(mixed.cpu, 50));
    out[`span_query_cpu_ms_p95_${tag}`] = round(pct(mixed.cpu, 95));
    out[`span_query_verbatim256_p50_ms_${tag}`] = round(pct(verbatim.wall, 50));
    out[`span_query_verbatim256_p95_ms_${tag}`] = round(pct(verbatim.wall, 95));
    out[`span_query_verbatim256_cpu_ms_p95_${tag}`] = round(pct(verbatim.cpu, 95));
    out[`span_spans_per_query_${tag}`] = round(found / qs.length, 2);
    out[`span_load_average_1min_after_${tag}`] = round(os.loadavg()[0] ?? 0, 2);
    // stored: the suffix array only (4 bytes per token); the word-id text is rebuilt from the pack's passages
    out[`span_index_bytes_per_token_stored_${tag}`] = sa.byteLength / n;
    out[`span_index_bytes_per_token_in_memory_${tag}`] = round((sa.byteLength + corpus.text.byteLength + corpus.passageStarts.byteLength) / n, 3);
    console.log(
      `spans ${tag}: build ${round(buildMs / 1000, 1)} s, query p50 ${out[`span_query_p50_ms_${tag}`]} ms p95 ${out[`span_query_p95_ms_${tag}`]} ms (CPU p95 ${out[`span_query_cpu_ms_p95_${tag}`]} ms), verbatim p50 ${out[`span_query_verbatim256_p50_ms_${tag}`]} ms p95 ${out[`span_query_verbatim256_p95_ms_${tag}`]} ms`,
    );
    if (n <= 10_000_000) {
      const q = Int32Array.from(qs[0]!.split(' '), (w) => corpus.wordIds.get(w) ?? -1);
      const [, naiveMs] = time(() => naiveLongest(corpus.text, q));
      out[`span_naive_scan_ms_${tag}`] = round(naiveMs, 0);
      out[`span_speedup_vs_naive_${tag}`] = round(naiveMs / (out[`span_query_p50_ms_${tag}`] as number), 0);
      console.log(`spans ${tag}: naive scan of one query ${round(naiveMs, 0)} ms`);
    }
  }
  return out;
}

async function topkBench(): Promise<Record<string, unknown>> {
  const n = 1_000_000;
  const d = 384;
  const rand = rng(3);
  const data = new Int8Array(n * d);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rand() * 255) - 127;
  const scales = Float32Array.from({ length: n }, () => 0.004 + rand() * 0.004);
  const v = { dims: d, count: n, data, scales };
  const q = Int8Array.from({ length: d }, () => Math.floor(rand() * 255) - 127);
  const loadStart = os.loadavg()[0] ?? 0;
  // the app's path (threads 'auto': every core where memory can be shared) and its one-thread peer, same vectors
  const auto = new Int8VectorSearch(v);
  const threads = await auto.ready;
  const one = new Int8VectorSearch(v, { threads: 1 });
  const js = new Int8VectorSearch(v, { simd: false });
  const threadsOff = auto.threadsOff;
  // process CPU time per query (the pool's workers included) over its wall time: the cores the query got. On a machine
  // whose cores are taken by others this stays near 1 with any number of threads (the scheduler's share, not the scan)
  const coresUsed: Record<'threaded' | 'one', number[]> = { threaded: [], one: [] };
  const once = (s: Int8VectorSearch, into?: number[]): number => {
    const c0 = process.cpuUsage();
    const ms = time(() => s.topK(q, 10))[1];
    const c = process.cpuUsage(c0);
    into?.push((c.user + c.system) / 1000 / ms);
    return ms;
  };
  auto.topK(q, 10);
  one.topK(q, 10);
  const splitBefore = auto.splitQueries;
  // alternated, so both paths see the same moments of the shared machine's load
  const a: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < 5; round++) {
    for (let k = 0; k < 3; k++) a.push(once(auto, coresUsed.threaded));
    for (let k = 0; k < 3; k++) b.push(once(one, coresUsed.one));
  }
  const split = auto.splitQueries - splitBefore;
  js.topK(q, 10);
  const c = Array.from({ length: 3 }, () => once(js));
  const loadEnd = os.loadavg()[0] ?? 0;
  const ids = (s: Int8VectorSearch): string => JSON.stringify(Array.from(s.topK(q, 10).ids));
  const bits = (s: Int8VectorSearch): string => JSON.stringify(Array.from(new Uint32Array(s.topK(q, 10).scores.buffer)));
  const same = ids(auto) === ids(js) && ids(one) === ids(js) && bits(auto) === bits(one) && bits(one) === bits(js);
  auto.close();
  console.log(
    `top-k 1M×384 int8: ${threads} threads p50 ${round(pct(a, 50), 1)} ms, 1 thread p50 ${round(pct(b, 50), 1)} ms (×${round(pct(b, 50) / pct(a, 50), 2)}), JS p50 ${round(pct(c, 50), 1)} ms, same ids and score bits: ${same}; cores used ${round(pct(coresUsed.threaded, 50), 2)} vs ${round(pct(coresUsed.one, 50), 2)}; load ${round(loadStart, 1)} → ${round(loadEnd, 1)}${threadsOff ? ` (one thread: ${threadsOff})` : ''}, ${split} of ${a.length} threaded queries split`,
  );
  return {
    topk_1m_int8_cpu_ms_p50: round(pct(a, 50), 2),
    topk_1m_int8_cpu_ms_p95: round(pct(a, 95), 2),
    topk_threads: threads,
    topk_threads_off_reason: threadsOff ?? undefined,
    // queries that ran split (the pool backs off to one thread for a while when hand-offs keep stalling)
    topk_threaded_queries_split: `${split} of ${a.length}`,
    topk_1m_int8_cpu_1thread_ms_p50: round(pct(b, 50), 2),
    topk_1m_int8_cpu_1thread_ms_p95: round(pct(b, 95), 2),
    topk_speedup_threads_vs_1thread: round(pct(b, 50) / pct(a, 50), 2),
    topk_cores_used_threaded_p50: round(pct(coresUsed.threaded, 50), 2),
    topk_cores_used_1thread_p50: round(pct(coresUsed.one, 50), 2),
    topk_1m_int8_cpu_simd: auto.usesSimd,
    topk_1m_int8_js_ms_p50: round(pct(c, 50), 2),
    topk_speedup_simd_vs_js: round(pct(c, 50) / pct(a, 50), 2),
    topk_same_ids_simd_and_js: same,
    topk_load_average_1min_start: round(loadStart, 2),
    topk_load_average_1min_end: round(loadEnd, 2),
    embedding_index_bytes_per_vector_384: d + 4,
  };
}

function influenceBench(): Record<string, unknown> {
  const n = 10_000;
  const D = 4 * 7 * 8;
  const rand = rng(5);
  const ck = [0.002, 0.001].map((lr) => ({ lr, gradients: Float32Array.from({ length: n * D }, () => rand() - 0.5) }));
  const input = { dim: D, examples: n, checkpoints: ck };
  const g = Float32Array.from({ length: D }, () => rand() - 0.5);
  const trac = Array.from({ length: 9 }, () => time(() => tracInScores(input, g))[1]);
  const [prepared, prepMs] = time(() => prepareDampedInverse(input, 0.1));
  const damped = Array.from({ length: 9 }, () => time(() => dampedInverseScoresPrepared(prepared, g))[1]);
  const full = Array.from({ length: 2 }, () => time(() => dampedInverseScores(input, g, 0.1))[1]);
  console.log(`influence 10k×${D}: TracIn p50 ${round(pct(trac, 50), 1)} ms, damped (prepared) p50 ${round(pct(damped, 50), 1)} ms, prepare ${round(prepMs, 0)} ms, unprepared ${round(pct(full, 50), 0)} ms`);
  return {
    influence_10k_ms_p50: round(pct(trac, 50), 2),
    influence_10k_ms_p95: round(pct(trac, 95), 2),
    influence_10k_damped_inverse_ms_p50: round(pct(damped, 50), 2),
    influence_10k_damped_inverse_prepare_ms: round(prepMs, 1),
    influence_10k_damped_inverse_unprepared_ms_p50: round(pct(full, 50), 1),
    influence_projection_dim: D,
    influence_checkpoints: ck.length,
  };
}

export async function main(): Promise<void> {
  const result: Record<string, unknown> = {
    measuredAt: new Date().toISOString(),
    machine: `${os.cpus()[0]?.model ?? 'cpu'} (${os.cpus().length} cores), Node ${process.version}`,
    load_average_1min_start: round(os.loadavg()[0] ?? 0, 2),
  };
  const parts = new Set((process.env.ATTR_BENCH_PARTS ?? 'topk,influence,spans').split(',').map((p) => p.trim()));
  // the run-wide keys describe this run; a part not run keeps its keys (and its own load figures) from before
  result.last_run_parts = [...parts].join(',');
  if (parts.has('topk')) Object.assign(result, await topkBench());
  if (parts.has('influence')) Object.assign(result, influenceBench());
  if (parts.has('spans')) Object.assign(result, await spanBench());
  result.load_average_1min_end = round(os.loadavg()[0] ?? 0, 2);
  const file = join(dirname(fileURLToPath(import.meta.url)), 'results', 'attribution.json');
  mkdirSync(dirname(file), { recursive: true });
  const prev = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  writeFileSync(file, JSON.stringify({ ...prev, ...result }, null, 2) + '\n');
  console.log(`→ ${file}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
