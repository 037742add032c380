/**
 * The attribution worker's service (`workers/attribution.worker.ts`, contract `client/attributionApi.ts`): keeps
 * one index per Datanet version (built from the store's accepted passages, with progress, once per version) and
 * traces answers to contributions with spans and BM25. Model-made embeddings and gradient influence need the
 * loaded model and the adapter's training log, which live in the engine worker: the service takes them through
 * `AttributeDeps` when a host provides them (the CLI does; see docs/ATTRIBUTION.md for what the app still lacks).
 */
import { TributaryError } from '../../core/errors.ts';
import type { Hex } from '../../core/types.ts';
import type { AttributeRequest, AttributionApi, AttributionRecord, IndexProgress, IndexSummary } from '../../workerApi/attributionApi.ts';
import { attributeAnswer } from '../../attribution/attribute.ts';
import { buildDatanetIndex, type DatanetIndex, type DatanetSource } from '../../attribution/datanetIndex.ts';
import type { PassageEncoder } from '../../attribution/encoder.ts';
import { getDatanet } from '../../store/datanets.ts';
import { getVersion } from '../../store/versions.ts';
import { listContributions, listPassages } from '../../store/contributions.ts';
import type { TributaryDB } from '../../store/db.ts';

export interface AttributeDeps {
  db: TributaryDB;
  /** the model's identity (id + content hash) by id, for the record */
  modelRef(modelId: string): Promise<{ id: string; hash: Hex }>;
  adapterRef?(adapterId: string): Promise<{ id: string; hash: Hex } | null>;
  /** the loaded model's encoder, when the host can provide one */
  encoder?(modelId: string): Promise<PassageEncoder | null>;
}

export class AttributionService implements AttributionApi {
  private readonly indexes = new Map<string, DatanetIndex>();

  constructor(private readonly deps: AttributeDeps) {}

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

  private async ensure(datanetId: string, encoder: PassageEncoder | null, onProgress?: (p: IndexProgress) => void): Promise<DatanetIndex> {
    const src = await this.source(datanetId);
    const key = `${datanetId}@${src.version}:${src.merkleRoot}`;
    const have = this.indexes.get(key);
    const wantEncoder = encoder?.ref.hash ?? null;
    if (have && (have.embeddings?.encoder.hash ?? null) === wantEncoder) return have;
    const index = await buildDatanetIndex(src, {
      ...(encoder ? { encoder } : {}),
      onProgress: (phase, done, total) => onProgress?.({ datanetId, phase, done, total }),
    });
    this.indexes.set(key, index);
    return index;
  }

  async ensureIndexes(datanetIds: string[], onProgress?: (p: IndexProgress) => void): Promise<IndexSummary[]> {
    const out: IndexSummary[] = [];
    for (const id of datanetIds) {
      const ix = await this.ensure(id, null, onProgress);
      out.push({
        datanetId: id,
        version: ix.version,
        merkleRoot: ix.merkleRoot,
        textBytes: ix.corpus.text.length,
        passages: ix.corpus.passages.length,
        spanBytesPerToken: 4,
        encoder: ix.embeddings ? { ...ix.embeddings.encoder } : null,
        source: 'local',
      });
    }
    return out;
  }

  async attributeAnswer(req: AttributeRequest, onProgress?: (p: IndexProgress) => void): Promise<AttributionRecord> {
    if (typeof req.answer !== 'string' || typeof req.prompt !== 'string') throw new TributaryError('attribution/invalid-input', 'an attribution needs the prompt and the answer as text.');
    if (!Array.isArray(req.datanetIds) || req.datanetIds.length === 0) throw new TributaryError('attribution/invalid-input', 'name at least one Datanet to attribute the answer to.');
    const wants = (m: string): boolean => !req.methods || req.methods.includes(m as never);
    const encoder = wants('embedding') && this.deps.encoder ? await this.deps.encoder(req.modelId) : null;
    const indexes: DatanetIndex[] = [];
    for (const id of [...new Set(req.datanetIds)].sort()) indexes.push(await this.ensure(id, encoder, onProgress));
    const adapter = req.adapterId && this.deps.adapterRef ? await this.deps.adapterRef(req.adapterId) : null;
    const r = await attributeAnswer({ prompt: req.prompt, answer: req.answer, model: await this.deps.modelRef(req.modelId), adapter, indexes, encoder });
    return r.record;
  }
}
