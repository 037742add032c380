/**
 * The attribution worker's service (`workers/attribution.worker.ts`, contract `workerApi/attributionApi.ts`): keeps
 * one index per Datanet version — loaded from the store (a pack's verified `indexes/`, or what was built here before)
 * or built from the store's accepted passages with progress and stored — and traces answers to contributions with
 * verbatim spans, BM25, the loaded model's own embeddings and, for adapters with a training log, gradient influence.
 *
 * What only the engine worker has (the model's hidden states, an answer's LoRA gradient) arrives per call as function
 * arguments the page wires to the engine (`EmbedTextsFn`, `AnswerGradientFn`); a host may also give fixed ones in
 * `AttributeDeps` (the Node tests do). Every answer's result says, per method, whether it ran and with what, or why not.
 */
import { TributaryError } from '../../core/errors.ts';
import type { Hex } from '../../core/types.ts';
import type { AnswerGradientFn, AttributeRequest, AttributedAnswer, AttributionApi, EmbedTextsFn, EncoderChoice, IndexProgress, IndexSummary, MethodReport } from '../../workerApi/attributionApi.ts';
import type { OrtRuntime } from '../../attribution/onnxEncoder/onnxEncoder.ts';
import { attributeAnswer } from '../../attribution/attribute.ts';
import { assembleIndex, type DatanetIndex, type DatanetSource, type EmbeddingIndex, type IndexBuildProgress } from '../../attribution/datanetIndex.ts';
import type { PassageEncoder } from '../../attribution/encoder.ts';
import { getAdapterRecord } from '../../store/adapters.ts';
import { getDatanet } from '../../store/datanets.ts';
import { getVersion } from '../../store/versions.ts';
import { listContributions, listPassages } from '../../store/contributions.ts';
import type { TributaryDB } from '../../store/db.ts';
import { engineEncoder } from './engineEncoder.ts';
import { InfluenceFromStore } from './influenceFromStore.ts';
import { OnnxEncoders } from './onnxEncoders.ts';
import { loadOrBuildEmbeddings, loadOrBuildSpans, type IndexSource } from './storedIndexes.ts';

export interface AttributeDeps {
  db: TributaryDB;
  /** the model's identity (id + content hash) by id, for the record */
  modelRef(modelId: string): Promise<{ id: string; hash: Hex }>;
  /** the adapter's identity (default: its record in the adapters table; the id is the SHA-256 of its weights) */
  adapterRef?(adapterId: string): Promise<{ id: string; hash: Hex } | null>;
  /** a fixed encoder (tests); the app passes the engine's `embedTexts` per call instead */
  encoder?(modelId: string): Promise<PassageEncoder | null>;
  /** onnxruntime for an ONNX sentence encoder chosen by URL (the worker loads onnxruntime-web on first use) */
  onnxRuntime?: () => Promise<OrtRuntime>;
  /** how ONNX encoder files are fetched (default: the global fetch) */
  fetch?: typeof fetch;
  now?: () => number;
}

/** A version's indexes held in memory: spans/BM25 once, embeddings per encoder hash. */
interface Held {
  base: DatanetIndex;
  spans: IndexSource;
  embeddings: Map<string, { index: EmbeddingIndex; source: IndexSource }>;
}

const METHOD_LABEL = { span: 'verbatim spans', bm25: 'BM25' } as const;

/** The threads the embedding scans use (the most over the indexes; 'auto': every core where memory can be shared). */
function scanThreads(indexes: readonly DatanetIndex[]): string {
  const n = Math.max(1, ...indexes.map((ix) => ix.embeddings?.search.threads ?? 1));
  return n > 1 ? `${n} CPU threads` : 'one CPU thread';
}

export class AttributionService implements AttributionApi {
  private readonly held = new Map<string, Held>();
  private readonly influence: InfluenceFromStore;
  private readonly now: () => number;
  private readonly onnx: OnnxEncoders;

  constructor(private readonly deps: AttributeDeps) {
    this.influence = new InfluenceFromStore(deps.db);
    this.onnx = new OnnxEncoders(deps.onnxRuntime, deps.fetch);
    this.now = deps.now ?? Date.now;
  }

  ping(): Promise<'pong'> {
    return Promise.resolve('pong');
  }

  private async source(datanetId: string): Promise<DatanetSource> {
    const { db } = this.deps;
    const dn = await getDatanet(db, datanetId);
    if (!dn) throw new TributaryError('datanet/not-found', `There is no Datanet ${datanetId} here; import its pack first.`, datanetId);
    if (dn.currentVersion < 1) throw new TributaryError('attribution/invalid-input', `"${dn.name}" has no published version yet: nothing to attribute to.`, datanetId);
    const version = await getVersion(db, datanetId, dn.currentVersion);
    if (!version) throw new TributaryError('datanet/not-found', `Version ${dn.currentVersion} of "${dn.name}" is missing here.`, datanetId);
    const listed = new Set(version.contributionIds);
    const contributions = (await listContributions(db, datanetId, 'accepted')).filter((c) => listed.has(c.id));
    const passages: DatanetSource['passages'][number][] = [];
    for (const c of contributions) for (const ch of await listPassages(db, c.id)) passages.push({ contributionId: c.id, index: ch.index, text: ch.text });
    return { datanetId, version: version.version, merkleRoot: version.merkleRoot, contributions: contributions.map((c) => ({ id: c.id, contributor: c.contributor })), passages };
  }

  /** The version's index, with the embeddings of `encoder` when one is given. */
  private async ensure(datanetId: string, encoder: PassageEncoder | null, onProgress?: (p: IndexProgress) => void): Promise<{ index: DatanetIndex; held: Held; embeddings: IndexSource | 'none' }> {
    const src = await this.source(datanetId);
    const key = `${datanetId}@${src.version}:${src.merkleRoot.toLowerCase()}`;
    const progress: IndexBuildProgress = (phase, done, total) => onProgress?.({ datanetId, phase, done, total });
    let held = this.held.get(key);
    if (!held) {
      const spans = await loadOrBuildSpans(this.deps.db, src, this.now, progress);
      held = { base: assembleIndex(src, spans.corpus, spans.sa, null, progress), spans: spans.source, embeddings: new Map() };
      this.held.set(key, held);
    }
    if (!encoder) return { index: held.base, held, embeddings: 'none' };
    const hash = encoder.ref.hash.toLowerCase();
    let emb = held.embeddings.get(hash);
    if (!emb) {
      emb = await loadOrBuildEmbeddings(this.deps.db, src, held.base.corpus, encoder, this.now, progress);
      // the scan's threads (where the worker is cross-origin isolated and the index is large) start once, here, so
      // the first query already uses them; it never rejects (a pool that cannot start leaves one thread)
      await emb.index.search.ready;
      held.embeddings.set(hash, emb);
    }
    return { index: { ...held.base, embeddings: emb.index }, held, embeddings: emb.source };
  }

  private summary(id: string, index: DatanetIndex, held: Held, embeddings: IndexSource | 'none'): IndexSummary {
    return {
      datanetId: id,
      version: index.version,
      merkleRoot: index.merkleRoot,
      textBytes: index.corpus.text.length,
      passages: index.corpus.passages.length,
      spanBytesPerToken: 4,
      encoder: index.embeddings ? { ...index.embeddings.encoder } : null,
      source: held.spans,
      embeddingsSource: embeddings,
    };
  }

  ensureIndexes(datanetIds: string[], onProgress?: (p: IndexProgress) => void, embed?: EmbedTextsFn, encoder?: EncoderChoice): Promise<IndexSummary[]> {
    return this.serial(() => this.ensureNow(datanetIds, onProgress, embed, encoder));
  }

  /** The ONNX encoder of a choice (downloaded on first use, progress as the `download` phase), else null. */
  private onnxEncoder(choice: EncoderChoice | undefined, datanetId: string, onProgress?: (p: IndexProgress) => void): Promise<PassageEncoder> | null {
    if (choice?.kind !== 'onnx') return null;
    return this.onnx.get(choice.url, (file, done, total) => onProgress?.({ datanetId, phase: 'download', done, total, file }));
  }

  private async ensureNow(datanetIds: string[], onProgress?: (p: IndexProgress) => void, embed?: EmbedTextsFn, choice?: EncoderChoice): Promise<IndexSummary[]> {
    const encoder = (await this.onnxEncoder(choice, datanetIds[0] ?? '', onProgress)) ?? (embed ? await engineEncoder(embed) : null);
    const out: IndexSummary[] = [];
    for (const id of datanetIds) {
      const { index, held, embeddings } = await this.ensure(id, encoder, onProgress);
      out.push(this.summary(id, index, held, embeddings));
    }
    return out;
  }

  /** The encoder for this answer, or why there is none. */
  private async encoderFor(req: AttributeRequest, embed: EmbedTextsFn | undefined, onProgress?: (p: IndexProgress) => void): Promise<PassageEncoder | string> {
    if (req.methods && !req.methods.includes('embedding')) return 'not asked for';
    const onnx = this.onnxEncoder(req.encoder, req.datanetIds[0] ?? '', onProgress);
    if (onnx) {
      try {
        return await onnx;
      } catch (e) {
        return `the ONNX sentence encoder could not be loaded (${(e as Error).message})`;
      }
    }
    try {
      if (embed) return await engineEncoder(embed, req.answer);
      const fixed = this.deps.encoder ? await this.deps.encoder(req.modelId) : null;
      return fixed ?? 'no model encoder was given (the engine worker embeds with the loaded model)';
    } catch (e) {
      return `the loaded model could not embed (${(e as Error).message})`;
    }
  }

  /** One job at a time: two answers ending together share one index build instead of racing two. */
  private queue: Promise<unknown> = Promise.resolve();

  private serial<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  attributeAnswer(req: AttributeRequest, onProgress?: (p: IndexProgress) => void, embed?: EmbedTextsFn, gradient?: AnswerGradientFn): Promise<AttributedAnswer> {
    return this.serial(() => this.attributeNow(req, onProgress, embed, gradient));
  }

  private async attributeNow(req: AttributeRequest, onProgress?: (p: IndexProgress) => void, embed?: EmbedTextsFn, gradient?: AnswerGradientFn): Promise<AttributedAnswer> {
    if (typeof req?.answer !== 'string' || typeof req.prompt !== 'string') throw new TributaryError('attribution/invalid-input', 'an attribution needs the prompt and the answer as text.');
    if (!Array.isArray(req.datanetIds) || req.datanetIds.length === 0) throw new TributaryError('attribution/invalid-input', 'name at least one Datanet to attribute the answer to.');
    const wants = (m: MethodReport['method']): boolean => !req.methods || req.methods.includes(m);
    const enc = await this.encoderFor(req, embed, onProgress);
    const encoder = typeof enc === 'string' ? null : enc;
    const ids = [...new Set(req.datanetIds)].sort();
    const indexes: DatanetIndex[] = [];
    const embSources = new Set<IndexSource>();
    const spanSources = new Set<IndexSource>();
    for (const id of ids) {
      const r = await this.ensure(id, encoder, onProgress);
      indexes.push(r.index);
      spanSources.add(r.held.spans);
      if (r.embeddings !== 'none') embSources.add(r.embeddings);
    }
    const inf = wants('influence') ? await this.influence.influence(req.adapterId, req.prompt, req.answer, gradient) : ({ evidence: null, reason: 'not asked for' } as const);
    const adapter = req.adapterId ? await this.adapterRef(req.adapterId) : null;
    const r = await attributeAnswer({ prompt: req.prompt, answer: req.answer, model: await this.deps.modelRef(req.modelId), adapter, indexes, encoder, influence: inf.evidence });
    const from = (s: Set<IndexSource>): string => [...s].map((x) => (x === 'pack' ? "the pack's prebuilt index" : 'an index built here')).join(' and ');
    const used = new Set(r.record.methods.map((m) => m.method));
    const methods: MethodReport[] = [
      { method: 'span', status: 'used', detail: `${METHOD_LABEL.span} over ${from(spanSources)}` },
      { method: 'bm25', status: 'used', detail: `${METHOD_LABEL.bm25} over ${indexes.reduce((s, ix) => s + ix.corpus.passages.length, 0)} passages` },
      used.has('embedding') && encoder
        ? { method: 'embedding', status: 'used', detail: `${req.encoder?.kind === 'onnx' ? 'the ONNX sentence encoder' : "the model's own hidden states"} (${encoder.ref.id}, ${encoder.ref.dims}-d, int8) over ${from(embSources)}, exact top-k on ${scanThreads(indexes)}` }
        : { method: 'embedding', status: 'unavailable', detail: typeof enc === 'string' ? enc : 'the answer is empty' },
      used.has('influence') && inf.evidence
        ? { method: 'influence', status: 'used', detail: 'detail' in inf ? inf.detail : '' }
        : { method: 'influence', status: 'unavailable', detail: 'reason' in inf ? inf.reason : 'the answer is empty' },
    ];
    return { record: r.record, methods, embeddingQuery: r.embeddingQuery, influenceGradient: used.has('influence') ? (inf.evidence?.gradient ?? null) : null };
  }

  private async adapterRef(adapterId: string): Promise<{ id: string; hash: Hex } | null> {
    if (this.deps.adapterRef) return this.deps.adapterRef(adapterId);
    const rec = await getAdapterRecord(this.deps.db, adapterId);
    return rec ? { id: rec.id, hash: rec.id } : null;
  }
}
