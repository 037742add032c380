/**
 * Recomputes an attribution record from the same model, adapter and Datanets and says whether it matches, naming what
 * differs when it does not. The engine of `npm run cli -- verify-record` (and of its tests); runs anywhere.
 *
 * The rule (docs/ATTRIBUTION.md "Verifying a record"):
 * 1. The prompt and answer hash to the record's; the model's weight files hash to `model.hash`; the adapter (if any)
 *    hashes to `adapter.hash`; every Datanet the record names is among the inputs at the same version and root.
 * 2. Embedding evidence (record version 2): the record commits to the exact int8 vectors it scored with. The verifier
 *    embeds the answer and every passage with its own copy of the model and accepts the committed vectors (carried in
 *    the record file, hashes checked) when they agree with its own within `EMBEDDING_TOLERANCE` — float results differ
 *    in the last ulp between JavaScript engines — then scores with the committed ones. Without carried vectors, its
 *    own must hash to what the record names.
 * 3. Gradient influence (influence method version 2, verifyInfluence.ts): the adapter's files and training log are
 *    given; the log must be the one the record names, and the answer's gradient is taken again on the adapter and
 *    scored the way the record says (TracIn or damped inverse); each stated score must agree within
 *    `INFLUENCE_SCORE_TOLERANCE`, and the recomputed scores are combined again.
 * 4. Everything else is recomputed exactly, and the whole record must hash the same (weights in ppm exactly).
 *
 * Refused with a typed error before anything is computed: an adapter that does not hash to the record's
 * (`attribution/adapter-mismatch`), a missing or corrupt training log (`attribution/training-log-missing`,
 * `attribution/training-log-corrupt`), an influence method the log cannot support (`attribution/influence-unsupported`).
 */
import { diffRecords } from '../core/attribution/recordDiff.ts';
import type { RecordEvidence } from '../core/attribution/recordFile.ts';
import { attributionRecordHash } from '../core/attribution/record.ts';
import type { AttributionRecord, ContentRef, MethodInfo } from '../core/attribution/types.ts';
import { TributaryError } from '../core/errors.ts';
import { sha256Text } from '../core/hash.ts';
import type { Hex } from '../core/types.ts';
import { attributeAnswer } from './attribute.ts';
import { embedCorpus, type DatanetIndex, type EmbeddingIndex } from './datanetIndex.ts';
import { int8VectorsHash, queryAsVectors, queryVectorHash, vectorsAgree, type QueryVector } from './embeddingEvidence.ts';
import type { PassageEncoder } from './encoder.ts';
import { decodeEmbeddingIndex } from './indexFiles.ts';
import { quantizeVector } from './int8Vectors.ts';
import { Int8VectorSearch } from './vectorTopK.ts';
import { readInfluenceParams, recomputeInfluence, trainingLogFor, type InfluenceVerifyInputs } from './verifyInfluence.ts';
import type { InfluenceEvidence } from './attribute.ts';

export interface VerifyRecordInput {
  record: AttributionRecord;
  hash: Hex;
  prompt: string;
  answer: string;
  evidence?: RecordEvidence;
  /** the model loaded here: its id, the hash of its weight files, and its passage encoder */
  model: { id: string; hash: Hex; encoder: PassageEncoder | null };
  /** the adapter loaded here (hash = SHA-256 of its adapter_model.safetensors), or null */
  adapter: ContentRef | null;
  /** the adapter's files, its training log and the base, for a record with gradient influence */
  influence?: InfluenceVerifyInputs | null;
  /** the Datanet versions given here (their embeddings, if any, are not used: the verifier embeds itself) */
  indexes: readonly DatanetIndex[];
  log?: (line: string) => void;
}

export interface Verification {
  match: boolean;
  /** what does not match, one line each (empty when it matches) */
  problems: string[];
  /** how the embedding evidence was checked, for the report */
  notes: string[];
  recomputed: AttributionRecord | null;
  recomputedHash: Hex | null;
}

interface EmbeddingParams {
  query?: Hex;
  vectors?: Record<string, Hex>;
}

function embeddingParams(m: MethodInfo | undefined): EmbeddingParams {
  if (!m) return {};
  try {
    return JSON.parse(m.params) as EmbeddingParams;
  } catch {
    return {};
  }
}

/** A version-2 recomputation written the way a version-1 record was (no vector commitments). */
function asVersion1(r: AttributionRecord): AttributionRecord {
  return {
    ...r,
    recordVersion: 1,
    methods: r.methods.map((m) => {
      if (m.method !== 'embedding') return m;
      const { encoder, encoderHash, topK } = JSON.parse(m.params) as Record<string, unknown>;
      return { method: m.method, version: '1', params: JSON.stringify({ encoder, encoderHash, topK }) };
    }),
  };
}

export async function verifyAttributionRecord(input: VerifyRecordInput): Promise<Verification> {
  const { record } = input;
  const problems: string[] = [];
  const notes: string[] = [];
  const done = (recomputed: AttributionRecord | null = null, recomputedHash: Hex | null = null): Verification => ({ match: problems.length === 0, problems, notes, recomputed, recomputedHash });

  if (sha256Text(input.prompt) !== record.promptHash) problems.push('the prompt given is not the one the record was made for (promptHash differs)');
  if (sha256Text(input.answer) !== record.answerHash) problems.push('the answer given is not the one the record was made for (answerHash differs)');
  if (input.model.hash !== record.model.hash) {
    problems.push(
      `model: the weights loaded here hash to ${input.model.hash}, the record names ${record.model.id} ${record.model.hash}${record.recordVersion === 1 ? ' (a version-1 record made in the app names its model by a descriptor hash, not by its weights: it cannot be checked against weight files)' : ''}`,
    );
  }
  if ((record.adapter === null) !== (input.adapter === null) || (record.adapter && record.adapter.hash !== input.adapter!.hash)) {
    throw new TributaryError(
      'attribution/adapter-mismatch',
      `The record names adapter ${record.adapter ? `${record.adapter.id} (${record.adapter.hash})` : 'none'}, the adapter given ${input.adapter ? `hashes to ${input.adapter.hash}` : 'is none'}: give the adapter the answer was made with (its adapter_model.safetensors unchanged).`,
    );
  }
  const influenceMethod = record.methods.find((m) => m.method === 'influence');
  if (influenceMethod) {
    // the refusals come first, before anything is computed
    if (!record.adapter) throw new TributaryError('attribution/influence-unsupported', 'The record states gradient influence but names no adapter: influence needs the adapter that answered and its training log.');
    if (!input.influence) throw new TributaryError('attribution/training-log-missing', `The record's gradient influence needs the files of adapter ${record.adapter.id}: its weights and its training log.`);
    trainingLogFor(readInfluenceParams(influenceMethod), input.influence);
  }
  const indexes: DatanetIndex[] = [];
  for (const d of record.datanets) {
    const ix = input.indexes.find((i) => i.datanetId === d.datanetId);
    if (!ix) problems.push(`Datanet ${d.datanetId} v${d.version} is not among the inputs (give its pack)`);
    else if (ix.version !== d.version || ix.merkleRoot.toLowerCase() !== d.merkleRoot.toLowerCase()) problems.push(`Datanet ${d.datanetId} is at v${ix.version} (root ${ix.merkleRoot}) here, the record names v${d.version} (root ${d.merkleRoot})`);
    else indexes.push({ ...ix, embeddings: null });
  }
  if (problems.length > 0) return done();

  // ---- embedding evidence: the committed int8 vectors, checked against this model's within tolerance
  const embeddingMethod = record.methods.find((m) => m.method === 'embedding');
  let encoder: PassageEncoder | null = null;
  let embeddingQuery: QueryVector | null = null;
  if (embeddingMethod) {
    encoder = input.model.encoder;
    if (!encoder) {
      problems.push('the record uses embeddings, but no encoder was loaded here');
      return done();
    }
    const params = embeddingParams(embeddingMethod);
    const carried = input.evidence?.embedding;
    const [mine] = await encoder.embed([input.answer]);
    const own: QueryVector = { int8: new Int8Array(encoder.ref.dims), scale: 0 };
    own.scale = quantizeVector(mine!, own.int8);
    if (carried) {
      if (params.query && queryVectorHash(carried.query) !== params.query) problems.push(`embedding: the answer vector in the file hashes to ${queryVectorHash(carried.query)}, the record commits to ${params.query}`);
      const agree = vectorsAgree(queryAsVectors(carried.query), queryAsVectors(own));
      if (!agree.ok) problems.push(`embedding: the answer vector in the file is not what ${encoder.ref.id} gives for the answer: ${agree.why}`);
      else notes.push(`answer vector: the file's agrees with this model's (${agree.differing} of ${own.int8.length} values one step apart, scales within ${agree.maxScaleRel.toExponential(1)})`);
      embeddingQuery = carried.query;
    } else {
      embeddingQuery = own;
      if (params.query && queryVectorHash(own) !== params.query) problems.push(`embedding: the answer vector computed here hashes to ${queryVectorHash(own)}, the record commits to ${params.query}, and the file carries no vectors to compare with (export the record with its evidence)`);
    }
    for (let i = 0; i < indexes.length; i++) {
      const ix = indexes[i]!;
      input.log?.(`embedding the ${ix.corpus.passages.length} passages of ${ix.datanetId} v${ix.version} with ${encoder.ref.id}`);
      const here = await embedCorpus(ix.corpus, encoder);
      const want = params.vectors?.[ix.datanetId];
      const file = carried?.indexFiles.find((f) => f.datanetId === ix.datanetId && f.version === ix.version && f.merkleRoot.toLowerCase() === ix.merkleRoot.toLowerCase());
      let used: EmbeddingIndex = here;
      if (file) {
        let theirs: EmbeddingIndex;
        try {
          theirs = decodeEmbeddingIndex(file.bytes, ix, ix.corpus);
        } catch (e) {
          problems.push(`embedding: the passage vectors of ${ix.datanetId} in the file cannot be used: ${(e as Error).message}`);
          continue;
        }
        const h = int8VectorsHash(theirs.vectors);
        if (want && h !== want) problems.push(`embedding: the passage vectors of ${ix.datanetId} in the file hash to ${h}, the record commits to ${want}`);
        if (theirs.encoder.hash.toLowerCase() !== encoder.ref.hash.toLowerCase()) problems.push(`embedding: the passage vectors of ${ix.datanetId} in the file were made by ${theirs.encoder.id} (${theirs.encoder.hash}), not by ${encoder.ref.id} (${encoder.ref.hash})`);
        const agree = vectorsAgree(theirs.vectors, here.vectors);
        if (!agree.ok) problems.push(`embedding: the passage vectors of ${ix.datanetId} in the file are not what ${encoder.ref.id} gives for its passages: ${agree.why}`);
        else notes.push(`passage vectors of ${ix.datanetId}: the file's agree with this model's (${agree.differing} of ${here.vectors.data.length} values one step apart, scales within ${agree.maxScaleRel.toExponential(1)})`);
        used = { ...theirs, search: new Int8VectorSearch(theirs.vectors) };
      } else if (want && int8VectorsHash(here.vectors) !== want) {
        problems.push(`embedding: the passage vectors of ${ix.datanetId} computed here hash to ${int8VectorsHash(here.vectors)}, the record commits to ${want}, and the file carries none to compare with (export the record with its evidence)`);
      }
      indexes[i] = { ...ix, embeddings: used };
    }
    if (problems.length > 0) return done();
  }

  // ---- gradient influence: the answer's gradient taken again on the adapter, scored against its training log
  let influence: InfluenceEvidence | null = null;
  if (influenceMethod) {
    input.log?.(`taking the answer's gradient on adapter ${record.adapter!.id} and scoring its training log`);
    const checked = await recomputeInfluence(record, influenceMethod, input.prompt, input.answer, input.influence!, input.evidence?.influence?.gradient);
    problems.push(...checked.problems);
    notes.push(...checked.notes);
    if (!checked.evidence) return done();
    influence = checked.evidence;
  }

  const again = await attributeAnswer({ prompt: input.prompt, answer: input.answer, model: { id: record.model.id, hash: input.model.hash }, adapter: input.adapter ? { id: record.adapter!.id, hash: input.adapter.hash } : null, indexes, encoder, embeddingQuery, influence });
  const recomputed = record.recordVersion === 1 ? asVersion1(again.record) : again.record;
  const recomputedHash = attributionRecordHash(recomputed);
  if (recomputedHash !== input.hash) {
    const diff = diffRecords(record, recomputed);
    problems.push(`the record recomputes to ${recomputedHash}, not ${input.hash}`, ...(diff.length ? diff : ['(no field differs: the stated hash is not this record\'s)']));
  }
  return done(recomputed, recomputedHash);
}
