/**
 * `npm run bench -- lds`: the linear datamodeling score (LDS, Park et al. 2023 "TRAK") of each attribution method
 * on the project's own LoRA benchmark, written to `bench/results/lds.json`.
 *
 * Setup: the planted-fact Datanet (bench/data/planted, 120 one-passage contributions) over the demo base.
 * 1. A LoRA adapter is fine-tuned on ALL contributions (the evaluation's settings, scripts/cli/_finetune.ts); it
 *    answers each planted question greedily; each method attributes each (prompt, answer) → a score per
 *    contribution (span, BM25, embedding, gradient influence from that adapter's training log, combined).
 * 2. M adapters are fine-tuned on random halves S_m of the contributions (exactly n/2 each, seeded; same settings). For each query q
 *    and each m: actual_m(q) = −(loss of adapter m on q's answer tokens after its prompt); predicted_m(q) =
 *    Σ_{i ∈ S_m} score_i(q).
 * 3. LDS of a method = mean over queries of Spearman(predicted_m(q), actual_m(q)) over m. `combined` is the dense
 *    combined ranking score (combine.ts); `combined_credits` the record's paid credits (sparse: most contributions 0).
 * Peers in the same run: a seeded random score per contribution (expected LDS ≈ 0) and BM25 of the PROMPT alone
 * (retrieval, not attribution). Bergson's published GPT-2 / WikiText figures are printed beside ours for context;
 * the setups differ (see docs/ATTRIBUTION.md).
 *
 * Knobs (env): LDS_SUBSETS (default 20), LDS_QUERIES (default all 40), LDS_EPOCHS (default 2; the evaluation uses 6).
 * ~16 minutes on 2 quiet cores.
 *
 * Cache: the expensive, model-side part (the answers, their influence scores, and every half's loss on every answer)
 * is kept in `.tmp/lds-cache/<key>.json`, keyed by the data, the questions, the base's hash, the training settings
 * and the seed, and written after each half: an interrupted run resumes where it stopped, and more subsets extend it
 * (half m is seeded by m alone). A re-run with the same key recomputes only the attribution (span, BM25, embeddings,
 * the combination) and the LDS, in seconds, so the combination rule can be iterated on. LDS_FRESH=1 ignores the cache
 * (the trainer's code is not part of the key: use it after changing the trainer).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { attributeAnswer } from '../src/attribution/attribute.ts';
import { bm25Scores } from '../src/attribution/bm25.ts';
import { buildDatanetIndex, type DatanetSource } from '../src/attribution/datanetIndex.ts';
import { parseDataJsonl, sourceFromDataLines } from '../src/attribution/jsonlSource.ts';
import { STOP_WORDS, wordsOf } from '../src/attribution/words.ts';
import { ATTRIBUTION_METHODS } from '../src/core/attribution/types.ts';
import { sha256Text } from '../src/core/hash.ts';
import type { Hex } from '../src/core/types.ts';
import { createRng } from '../src/engine/sampling/rng.ts';
import { fineTuneIfAvailable, EVAL_TRAIN } from '../scripts/cli/_finetune.ts';
import { DEMO_MODEL_DIR, loadModelDir } from '../scripts/cli/_model.ts';
import { spearman } from './_spearman.ts';

/** LDS_DATA=<dir> measures on another planted set (e.g. bench/data/planted-dev), written to lds-<dir name>.json */
const DIR = process.env.LDS_DATA ?? join('bench', 'data', 'planted');
const RESULT = process.env.LDS_DATA ? `lds-${basename(process.env.LDS_DATA)}.json` : 'lds.json';
const SEED = 4242;
/** Bergson (EleutherAI) GPT-2 small on WikiText-103, published LDS (context only; a different setup) */
const BERGSON = { ekfac: 0.454, bm25: 0.22, gradient_cosine: 0.156, embeddings: 0.132 };

type Method = (typeof ATTRIBUTION_METHODS)[number] | 'combined' | 'combined_credits' | 'influence_damped_inverse' | 'random' | 'prompt_bm25';

/** what the model side of a run produced (see *Cache* above) */
interface ModelSide {
  adapter: { id: string; hash: Hex } | null;
  queries: { prompt: string; answer: string; tracin: { params: Record<string, number | string>; byContribution: [Hex, number][] } | null; damped: [Hex, number][] | null }[];
  subsets: Hex[][];
  /** actual[k][m]: −(loss of half m's adapter on query k's answer) */
  actual: number[][];
  finalLosses: number[];
  fullSeconds: number;
}
const CACHE_VERSION = 2;

export async function main(): Promise<void> {
  const M = Number(process.env.LDS_SUBSETS ?? 20);
  const dataText = readFileSync(join(DIR, 'data.jsonl'), 'utf8');
  const lines = parseDataJsonl(dataText);
  const questions = readFileSync(join(DIR, 'questions.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { prompt: string; source?: string })
    .slice(0, Number(process.env.LDS_QUERIES ?? Infinity));
  const datanetId = `dn-${sha256Text(dataText).slice(2, 18)}`;
  const { source } = sourceFromDataLines(lines, datanetId);
  const ids = source.passages.map((p) => p.contributionId.toLowerCase() as Hex);
  const log = (s: string): void => console.log(`[lds ${new Date().toISOString().slice(11, 19)}] ${s}`);
  const train = { ...EVAL_TRAIN, epochs: Number(process.env.LDS_EPOCHS ?? 2) };

  const base = await loadModelDir(DEMO_MODEL_DIR);
  const t0 = performance.now();
  const key = sha256Text(JSON.stringify({ v: CACHE_VERSION, data: sha256Text(dataText), questions: questions.map((q) => q.prompt), base: base.hash, train, SEED })).slice(2, 18);
  const cacheFile = join('.tmp', 'lds-cache', `${key}.json`);
  const cached = process.env.LDS_FRESH !== '1' && existsSync(cacheFile) ? (JSON.parse(readFileSync(cacheFile, 'utf8')) as ModelSide) : null;
  if (cached) log(`model side from the cache ${cacheFile}: ${cached.subsets.length} halves (LDS_FRESH=1 recomputes it)`);
  mkdirSync(join('.tmp', 'lds-cache'), { recursive: true });
  const computed = await modelSide(base, source, ids, questions, train, M, log, cached, (s) => writeFileSync(cacheFile, JSON.stringify(s)));
  // the first M halves (a cache may hold more)
  const side: ModelSide = { ...computed, subsets: computed.subsets.slice(0, M), actual: computed.actual.map((a) => a.slice(0, M)), finalLosses: computed.finalLosses.slice(0, M) };
  const index = await buildDatanetIndex(source, { encoder: base.encoder });

  // 1. each query's answer and each method's score per contribution
  const queries: { prompt: string; answer: string; scores: Record<Method, Map<Hex, number>> }[] = [];
  const rng = createRng(SEED);
  for (const q of side.queries) {
    const influence = q.tracin ? { kind: 'tracin' as const, params: q.tracin.params, byContribution: new Map(q.tracin.byContribution) } : null;
    const r = await attributeAnswer({ prompt: q.prompt, answer: q.answer, model: { id: base.id, hash: base.hash }, adapter: side.adapter, indexes: [index], encoder: base.encoder, influence });
    const scores = {} as Record<Method, Map<Hex, number>>;
    for (const m of [...ATTRIBUTION_METHODS, 'combined'] as const) scores[m] = new Map(r.rankings[m].map((x) => [x.contributionId, x.score]));
    // beside the combined RANKING score: the paid credits themselves (sparse by design, see combine.ts)
    scores.combined_credits = new Map(r.record.credits.map((c) => [c.contributionId.toLowerCase() as Hex, c.weightPpm]));
    // the record's influence is TracIn; the damped inverse is scored beside it ("keep what measures best")
    scores.influence_damped_inverse = new Map(q.damped ?? []);
    scores.random = new Map(ids.map((c) => [c, rng.next()]));
    const promptScores = bm25Scores(index.bm25, wordsOf(q.prompt).words.filter((w) => !STOP_WORDS.has(w)));
    scores.prompt_bm25 = new Map();
    promptScores.forEach((v, i) => {
      const c = index.corpus.passages[i]!.contributionId.toLowerCase() as Hex;
      scores.prompt_bm25.set(c, Math.max(scores.prompt_bm25.get(c) ?? 0, v));
    });
    queries.push({ prompt: q.prompt, answer: q.answer, scores });
  }
  const subsets = side.subsets.map((s) => new Set(s));
  const actual = side.actual;
  log(`${queries.length} queries attributed`);

  // 3. Spearman per query, averaged
  const methods: Method[] = [...ATTRIBUTION_METHODS, 'combined', 'combined_credits', 'influence_damped_inverse', 'random', 'prompt_bm25'];
  const lds: Record<string, number> = {};
  for (const method of methods) {
    const rhos: number[] = [];
    queries.forEach((q, k) => {
      const predicted = subsets.map((s) => {
        let sum = 0;
        for (const c of s) sum += q.scores[method].get(c) ?? 0;
        return sum;
      });
      const rho = spearman(predicted, actual[k]!);
      // a method that scores nothing for a query predicts no difference between subsets: correlation 0
      rhos.push(Number.isFinite(rho) ? rho : 0);
    });
    lds[`lds_${method}`] = Math.round((rhos.reduce((a, b) => a + b, 0) / rhos.length) * 1000) / 1000;
  }
  const result = {
    bench: 'lds',
    date: new Date().toISOString(),
    setup: { datanet: join(DIR, 'data.jsonl'), contributions: ids.length, queries: queries.length, subsets: M, subsetFraction: 0.5, train, base: base.id, baseHash: base.hash },
    ...lds,
    ratio_combined_vs_random: lds.lds_random !== 0 ? Math.round((lds.lds_combined! / Math.abs(lds.lds_random!)) * 100) / 100 : null,
    bergson_gpt2_wikitext_published: BERGSON,
    /** the model side's wall time when it was computed (fine-tuning 1 + M adapters, answers, losses) */
    seconds: side.fullSeconds,
    seconds_this_run: Math.round((performance.now() - t0) / 1000),
    cache: cacheFile,
  };
  mkdirSync(join('bench', 'results'), { recursive: true });
  writeFileSync(join('bench', 'results', RESULT), JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
}

/** fine-tunes on all contributions and on M seeded halves; answers, influence and the halves' losses (cached) */
async function modelSide(
  base: Awaited<ReturnType<typeof loadModelDir>>,
  source: DatanetSource,
  ids: Hex[],
  questions: { prompt: string }[],
  train: typeof EVAL_TRAIN,
  M: number,
  log: (s: string) => void,
  cached: ModelSide | null,
  save: (side: ModelSide) => void,
): Promise<ModelSide> {
  const t0 = performance.now() - (cached?.fullSeconds ?? 0) * 1000;
  if (cached && cached.subsets.length >= M) return cached;
  const side = cached ?? (await answered(base, source, questions, train, log));
  if (!cached) save(side);

  // 2. adapters on random halves: the actual outcome per query
  for (let m = side.subsets.length; m < M; m++) {
    // exactly half (a seeded shuffle): subsets of one size, so no method is rewarded for tracking the subset's size
    const pick = createRng(SEED + 1 + m);
    const order = [...ids];
    for (let i = order.length - 1; i > 0; i--) {
      const j = pick.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const half = order.slice(0, Math.floor(ids.length / 2));
    const inHalf = new Set(half);
    const sub: DatanetSource = { ...source, passages: source.passages.filter((p) => inHalf.has(p.contributionId.toLowerCase() as Hex)) };
    const tuned = await fineTuneIfAvailable(base, sub, log, { train, trainingLog: false, quiet: true });
    if (!tuned) throw new Error('fine-tuning is unavailable');
    const losses: number[] = [];
    for (const q of side.queries) losses.push(-((await tuned.answerLoss(q.prompt, q.answer)) ?? NaN));
    side.subsets.push(half);
    losses.forEach((l, k) => side.actual[k]!.push(l));
    side.finalLosses.push(tuned.losses.at(-1)!);
    side.fullSeconds = Math.round((performance.now() - t0) / 1000);
    save(side);
    log(`subset ${m + 1}/${M}: ${half.length} contributions, final loss ${tuned.losses.at(-1)!.toFixed(3)}`);
  }
  return side;
}

/** step 1's model side: the adapter on all contributions, its answers and their influence */
async function answered(base: Awaited<ReturnType<typeof loadModelDir>>, source: DatanetSource, questions: { prompt: string }[], train: typeof EVAL_TRAIN, log: (s: string) => void): Promise<ModelSide> {
  const t0 = performance.now();
  const full = await fineTuneIfAvailable(base, source, log, { train });
  if (!full) throw new Error('fine-tuning is unavailable');
  const queries: ModelSide['queries'] = [];
  for (const q of questions) {
    const answer = await full.model.answer(q.prompt, 48);
    if (answer.trim() === '') continue;
    const tracin = await full.influence(q.prompt, answer);
    const damped = await full.influence(q.prompt, answer, 'damped-inverse');
    queries.push({ prompt: q.prompt, answer, tracin: tracin ? { params: tracin.params, byContribution: [...tracin.byContribution.entries()] } : null, damped: damped ? [...damped.byContribution.entries()] : null });
  }
  log(`${queries.length} queries answered (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  return { adapter: full.model.adapter, queries, subsets: [], actual: queries.map(() => []), finalLosses: [], fullSeconds: Math.round((performance.now() - t0) / 1000) };
}
