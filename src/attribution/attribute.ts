/**
 * Traces one answer to the contributions that shaped it and returns its attribution record (core/attribution),
 * plus each method's full ranking (for the receipt panel's breakdown and the evaluation).
 *
 * Answer-side by design: every method reads the ANSWER's words; words the answer merely echoes from the prompt
 * weigh `echoWeight` of the others, and coverage counts only the answer's own words. So when two contributions
 * state conflicting facts, the one whose fact the model actually said is credited; retrieving by the prompt
 * alone credits nobody.
 */
import { TributaryError } from '../core/errors.ts';
import { sha256Text } from '../core/hash.ts';
import { ATTRIBUTION_METHODS, ATTRIBUTION_RECORD_VERSION, type AttributionCredit, type AttributionMethod, type AttributionRecord, type ContentRef, type EvidenceSpan, type MethodInfo } from '../core/attribution/types.ts';
import { canonicalizeRecord } from '../core/attribution/record.ts';
import type { Hex } from '../core/types.ts';
import { bm25Idf, bm25Scores, DEFAULT_BM25 } from './bm25.ts';
import { combineEvidence, DEFAULT_COMBINE, type CombineParams } from './combine.ts';
import type { DatanetIndex } from './datanetIndex.ts';
import { sameEncoder, type PassageEncoder } from './encoder.ts';
import { int8VectorsHash, queryVectorHash, type QueryVector } from './embeddingEvidence.ts';
import { quantizeVector } from './int8Vectors.ts';
import { DEFAULT_SPAN_RULE, findSpans, type SpanRule } from './spanSearch.ts';
import { STOP_WORDS, wordsOf } from './words.ts';

export interface InfluenceEvidence {
  kind: 'tracin' | 'damped-inverse';
  /** summed influence of each contribution's training examples */
  byContribution: ReadonlyMap<Hex, number>;
  params: Record<string, number | string>;
  /** the projected answer gradient the scores came from (the params commit to its hash; an exported record carries it) */
  gradient?: Float32Array;
}

export interface AttributeParams {
  span: SpanRule;
  /** weight of a query word the answer echoes from the prompt (BM25 and coverage) */
  echoWeight: number;
  embeddingTopK: number;
  combine: CombineParams;
}

export const DEFAULT_ATTRIBUTE: AttributeParams = { span: DEFAULT_SPAN_RULE, echoWeight: 0.25, embeddingTopK: 64, combine: DEFAULT_COMBINE };

export interface AttributeInput {
  prompt: string;
  answer: string;
  model: ContentRef;
  adapter: ContentRef | null;
  indexes: readonly DatanetIndex[];
  encoder?: PassageEncoder | null;
  /**
   * The answer's quantised vector to score with, instead of encoding the answer (a verifier passes the one a record
   * committed to, see embeddingEvidence.ts); `encoder` must still be given (its identity is checked and recorded).
   */
  embeddingQuery?: QueryVector | null;
  influence?: InfluenceEvidence | null;
  params?: AttributeParams;
}

export interface RankedContribution {
  contributionId: Hex;
  datanetId: string;
  score: number;
}

export interface AttributionResult {
  record: AttributionRecord;
  /** each method's contributions by score (descending, then id), and `combined` by the dense combined ranking score (combine.ts) */
  rankings: Record<AttributionMethod | 'combined', RankedContribution[]>;
  spanCoverage: number;
  lexicalCoverage: number;
  /** the answer's vector the embedding scores were computed with (null when embeddings were not used) */
  embeddingQuery: QueryVector | null;
}

const MICRO = 1e6;
const sortRanking = (m: Map<Hex, number>, dn: Map<Hex, string>, keepNonPositive = false): RankedContribution[] =>
  [...m.entries()]
    .filter(([, v]) => keepNonPositive || v > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([c, score]) => ({ contributionId: c, datanetId: dn.get(c) ?? '', score }));

export async function attributeAnswer(input: AttributeInput): Promise<AttributionResult> {
  const p = input.params ?? DEFAULT_ATTRIBUTE;
  const answerRun = wordsOf(input.answer);
  const promptWords = new Set(wordsOf(input.prompt).words);
  const datanetOf = new Map<Hex, string>();
  const contributorOf = new Map<Hex, `0x${string}`>();
  for (const ix of input.indexes) {
    for (const [c, a] of ix.contributors) {
      datanetOf.set(c, ix.datanetId);
      contributorOf.set(c, a);
    }
  }
  const key = (c: Hex): Hex => c.toLowerCase() as Hex;

  // content words the answer brought itself (not stop words, not echoed), with their IDF (rarest over Datanets)
  const novel = [...new Set(answerRun.words.filter((w) => !STOP_WORDS.has(w) && !promptWords.has(w)))];
  const idf = new Map(novel.map((w) => [w, Math.max(...input.indexes.map((ix) => bm25Idf(ix.bm25, w)), 0)]));
  const idfTotal = novel.reduce((s, w) => s + idf.get(w)!, 0);

  // ---- spans
  const span = new Map<Hex, number>();
  const spansOf = new Map<Hex, EvidenceSpan[]>();
  const coveredWords = new Set<string>();
  for (const ix of input.indexes) {
    for (const s of findSpans({ corpus: ix.corpus, sa: ix.sa, firstWord: ix.firstWord }, input.answer, input.prompt, p.span)) {
      const byContribution = new Map<Hex, number>();
      for (const o of s.occurrences) {
        const passage = ix.corpus.passages[o.passage]!;
        const c = key(passage.contributionId);
        if (!byContribution.has(c)) byContribution.set(c, passage.passageIndex);
      }
      for (let k = s.wordStart; k < s.wordEnd; k++) coveredWords.add(answerRun.words[k]!);
      for (const [c, passageIndex] of byContribution) {
        span.set(c, (span.get(c) ?? 0) + s.weight / byContribution.size);
        const list = spansOf.get(c) ?? [];
        list.push({ answerStart: s.answerStart, answerEnd: s.answerEnd, passage: { contributionId: c, passageIndex }, text: input.answer.slice(s.answerStart, s.answerEnd) });
        spansOf.set(c, list);
      }
    }
  }
  const spanCoverage = idfTotal > 0 ? novel.filter((w) => coveredWords.has(w)).reduce((s, w) => s + idf.get(w)!, 0) / idfTotal : 0;

  // ---- BM25 with the answer as the query; lexical coverage of the best contribution
  const bm25 = new Map<Hex, number>();
  const lexical = new Map<Hex, number>();
  const queryTerms = answerRun.words.filter((w) => !STOP_WORDS.has(w));
  for (const ix of input.indexes) {
    const scores = bm25Scores(ix.bm25, queryTerms, (t) => (promptWords.has(t) ? p.echoWeight : 1));
    scores.forEach((v, i) => {
      if (v <= 0) return;
      const c = key(ix.corpus.passages[i]!.contributionId);
      bm25.set(c, Math.max(bm25.get(c) ?? 0, v));
    });
    for (const w of novel) {
      const post = ix.bm25.postings.get(w);
      if (!post) continue;
      const seen = new Set<Hex>();
      for (const pi of post.ids) seen.add(key(ix.corpus.passages[pi]!.contributionId));
      for (const c of seen) lexical.set(c, (lexical.get(c) ?? 0) + idf.get(w)!);
    }
  }
  let lexicalCoverage = 0;
  for (const v of lexical.values()) lexicalCoverage = Math.max(lexicalCoverage, idfTotal > 0 ? v / idfTotal : 0);

  // ---- embeddings (only indexes made by this very encoder)
  let embedding: Map<Hex, number> | undefined;
  let embeddingQuery: QueryVector | null = null;
  const embeddingRaw = new Map<Hex, number>();
  const usable = input.encoder ? input.indexes.filter((ix) => ix.embeddings) : [];
  if (input.encoder && usable.length > 0 && input.answer.trim() !== '') {
    embedding = new Map();
    if (input.embeddingQuery) {
      if (input.embeddingQuery.int8.length !== input.encoder.ref.dims) throw new TributaryError('attribution/invalid-input', `the answer's vector has ${input.embeddingQuery.int8.length} dimensions, the encoder ${input.encoder.ref.dims}.`);
      embeddingQuery = { int8: Int8Array.from(input.embeddingQuery.int8), scale: Math.fround(input.embeddingQuery.scale) };
    } else {
      const [qv] = await input.encoder.embed([input.answer]);
      const int8 = new Int8Array(input.encoder.ref.dims);
      embeddingQuery = { int8, scale: quantizeVector(qv!, int8) };
    }
    const q = embeddingQuery.int8;
    for (const ix of usable) {
      const e = ix.embeddings!;
      sameEncoder(e.encoder, input.encoder.ref);
      const top = e.search.topK(q, p.embeddingTopK);
      const base = top.scores.length > 0 ? top.scores[top.scores.length - 1]! : 0;
      top.ids.forEach((pid, r) => {
        const c = key(ix.corpus.passages[pid]!.contributionId);
        const raw = top.scores[r]!;
        embeddingRaw.set(c, Math.max(embeddingRaw.get(c) ?? -Infinity, raw));
        embedding!.set(c, Math.max(embedding!.get(c) ?? 0, raw - base));
      });
    }
  }

  // ---- influence (already per contribution)
  let influence: Map<Hex, number> | undefined;
  if (input.influence) {
    influence = new Map();
    // only the Datanets' contributions: a training log also holds examples that name none (prior preservation)
    const own = [...input.influence.byContribution].filter(([c]) => datanetOf.has(key(c)));
    const vals = own.map(([, v]) => v).sort((a, b) => a - b);
    const median = vals.length ? vals[Math.floor(vals.length / 2)]! : 0;
    for (const [c, v] of own) influence.set(key(c), v - median);
  }

  const combined = combineEvidence({ scores: { span, bm25, ...(embedding ? { embedding } : {}), ...(influence ? { influence } : {}) }, spanCoverage, lexicalCoverage }, p.combine);

  const rawScores: Partial<Record<AttributionMethod, Map<Hex, number>>> = { span, bm25, ...(embedding ? { embedding: embeddingRaw } : {}) };
  if (input.influence) rawScores.influence = new Map([...input.influence.byContribution].map(([c, v]) => [key(c), v]));
  const credits: AttributionCredit[] = combined.credits.map(({ contributionId, weightPpm }) => ({
    contributionId,
    datanetId: datanetOf.get(contributionId)!,
    contributor: contributorOf.get(contributionId)!,
    weightPpm,
    evidence: {
      spans: (spansOf.get(contributionId) ?? []).slice(0, 8),
      scores: ATTRIBUTION_METHODS.filter((m) => rawScores[m]?.has(contributionId)).map((m) => ({ method: m, valueMicro: Math.round(rawScores[m]!.get(contributionId)! * MICRO) })),
    },
  }));
  const methods: MethodInfo[] = [
    { method: 'span', version: '1', params: JSON.stringify({ echoWeight: p.span.echoWeight, maxCount: p.span.maxCount, minWords: p.span.minWords }) },
    { method: 'bm25', version: '1', params: JSON.stringify({ b: DEFAULT_BM25.b, echoWeight: p.echoWeight, k1: DEFAULT_BM25.k1 }) },
  ];
  if (embedding && embeddingQuery) {
    // version 2: the exact int8 inputs are committed to by hash (keys sorted; Datanets by id)
    const vectors = Object.fromEntries(usable.map((ix) => [ix.datanetId, int8VectorsHash(ix.embeddings!.vectors)] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1)));
    methods.push({ method: 'embedding', version: '2', params: JSON.stringify({ encoder: input.encoder!.ref.id, encoderHash: input.encoder!.ref.hash, query: queryVectorHash(embeddingQuery), topK: p.embeddingTopK, vectors }) });
  }
  // version 2: the params name the training log's hash and how the answer was made an example (influenceFromLog.ts)
  if (input.influence) methods.push({ method: 'influence', version: '2', params: JSON.stringify({ kind: input.influence.kind, ...input.influence.params }) });

  const record = canonicalizeRecord({
    recordVersion: ATTRIBUTION_RECORD_VERSION,
    model: input.model,
    adapter: input.adapter,
    promptHash: sha256Text(input.prompt),
    answerHash: sha256Text(input.answer),
    datanets: input.indexes.map((ix) => ({ datanetId: ix.datanetId, version: ix.version, merkleRoot: ix.merkleRoot })),
    credits,
    unattributedPpm: combined.unattributedPpm,
    methods,
  });
  const rankings = {
    span: sortRanking(span, datanetOf),
    bm25: sortRanking(bm25, datanetOf),
    embedding: embedding ? sortRanking(embeddingRaw, datanetOf, true) : [],
    influence: rawScores.influence ? sortRanking(rawScores.influence, datanetOf, true) : [],
    combined: sortRanking(combined.ranking, datanetOf),
  };
  return { record, rankings, spanCoverage, lexicalCoverage, embeddingQuery };
}
