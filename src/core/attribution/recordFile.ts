/**
 * The attribution record FILE: the record (canonical JSON + hash, see recordJson.ts) with what a verifier needs beside
 * it — the prompt and answer texts (the record holds only their hashes) and, for records with embedding evidence, the
 * exact int8 vectors the record committed to (its `embedding` params name their SHA-256): the answer's vector and each
 * Datanet's passage-vector index file (`indexes/embeddings.i8` format). Made by the app's "Export record" and by
 * `npm run cli -- attribute --out`; read by `npm run cli -- verify-record`.
 *
 * `{"format":"tributary-attribution-record","formatVersion":1,"hash":…,"record":…,"prompt":…,"answer":…,
 *   "evidence":{"embedding":{"query":{"int8":<base64>,"scale":<number>},"indexFiles":[{"datanetId","version",
 *   "merkleRoot","bytes":<base64>}]},"influence":{"gradient":<base64 of f32 LE>}},"inputs":{…}}` — every key after
 *   `record` optional. `evidence.influence.gradient`: the projected answer gradient a record with gradient influence
 *   scored with (its `influence` params name its hash).
 */
import { TributaryError } from '../errors.ts';
import type { Hex } from '../types.ts';
import { canonicalizeRecord } from './record.ts';
import { RECORD_FILE_FORMAT, recordFromJson, recordToJson } from './recordJson.ts';
import type { AttributionRecord } from './types.ts';

export interface EmbeddingIndexFileEvidence {
  datanetId: string;
  version: number;
  merkleRoot: Hex;
  /** the index file's bytes (`indexes/embeddings.i8` format: header, passages hash, int8 vectors, scales) */
  bytes: Uint8Array;
}

export interface RecordEvidence {
  embedding?: {
    query: { int8: Int8Array; scale: number };
    indexFiles: EmbeddingIndexFileEvidence[];
  };
  influence?: {
    /** the projected answer gradient the influence scores came from */
    gradient: Float32Array;
  };
}

export interface RecordFile {
  record: AttributionRecord;
  hash: Hex;
  prompt?: string;
  answer?: string;
  evidence?: RecordEvidence;
  /** where the CLI found the model and Datanets (paths; informative) */
  inputs?: { packs?: string[]; datanets?: string[]; base?: string; adapter?: string; embed?: boolean; encoder?: string };
}

const bad = (why: string): never => {
  throw new TributaryError('attribution/invalid-record', `${why} An attribution record file is what the app's "Export record" or \`npm run cli -- attribute --out\` writes.`);
};

export function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function base64ToBytes(b64: string, what: string): Uint8Array {
  if (typeof b64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) bad(`${what} is not base64.`);
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function f32ToBytes(a: Float32Array): Uint8Array {
  const out = new Uint8Array(a.length * 4);
  const dv = new DataView(out.buffer);
  a.forEach((x, i) => dv.setFloat32(i * 4, x, true));
  return out;
}

function evidenceToJson(e: RecordEvidence): unknown {
  const out: Record<string, unknown> = {};
  if (e.embedding) {
    const { query, indexFiles } = e.embedding;
    out.embedding = {
      query: { int8: bytesToBase64(new Uint8Array(query.int8.buffer, query.int8.byteOffset, query.int8.length)), scale: query.scale },
      indexFiles: indexFiles.map((f) => ({ datanetId: f.datanetId, version: f.version, merkleRoot: f.merkleRoot.toLowerCase(), bytes: bytesToBase64(f.bytes) })),
    };
  }
  if (e.influence) out.influence = { gradient: bytesToBase64(f32ToBytes(e.influence.gradient)) };
  return out;
}

function influenceFromJson(v: unknown): NonNullable<RecordEvidence['influence']> {
  if (!isObject(v)) return bad('"evidence.influence" must be an object with a "gradient".');
  const bytes = base64ToBytes(v.gradient as string, 'the answer gradient');
  if (bytes.length === 0 || bytes.length % 4 !== 0) bad('the answer gradient must be a non-empty list of 32-bit floats.');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const gradient = new Float32Array(bytes.length / 4);
  for (let i = 0; i < gradient.length; i++) {
    gradient[i] = dv.getFloat32(i * 4, true);
    if (!Number.isFinite(gradient[i])) bad('the answer gradient holds a value that is not a finite number.');
  }
  return { gradient };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function evidenceFromJson(v: unknown): RecordEvidence {
  if (!isObject(v)) return bad('"evidence" must be an object.');
  const influence = v.influence === undefined ? {} : { influence: influenceFromJson(v.influence) };
  if (v.embedding === undefined) return influence;
  const e = v.embedding;
  if (!isObject(e) || !isObject(e.query) || !Array.isArray(e.indexFiles)) return bad('"evidence.embedding" needs a "query" object and an "indexFiles" list.');
  const scale = e.query.scale;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale < 0 || Math.fround(scale) !== scale) bad('the answer vector\'s "scale" must be a finite, non-negative 32-bit float.');
  const q = base64ToBytes(e.query.int8 as string, 'the answer vector');
  if (q.length === 0) bad('the answer vector is empty.');
  const indexFiles = e.indexFiles.map((f, i): EmbeddingIndexFileEvidence => {
    if (!isObject(f) || typeof f.datanetId !== 'string' || !Number.isSafeInteger(f.version) || typeof f.merkleRoot !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(f.merkleRoot)) {
      return bad(`evidence index file ${i} needs a datanetId, an integer version and a 32-byte merkleRoot.`);
    }
    return { datanetId: f.datanetId, version: f.version as number, merkleRoot: f.merkleRoot.toLowerCase() as Hex, bytes: base64ToBytes(f.bytes as string, `evidence index file ${i}`) };
  });
  return { embedding: { query: { int8: new Int8Array(q.buffer, q.byteOffset, q.length), scale: scale as number }, indexFiles }, ...influence };
}

/** The file's JSON text (one line). Validates the record first. */
export function recordFileToJson(f: Omit<RecordFile, 'hash'>): string {
  const core = JSON.parse(recordToJson(f.record)) as Record<string, unknown>;
  return JSON.stringify({
    ...core,
    ...(f.prompt !== undefined ? { prompt: f.prompt } : {}),
    ...(f.answer !== undefined ? { answer: f.answer } : {}),
    ...(f.evidence ? { evidence: evidenceToJson(f.evidence) } : {}),
    ...(f.inputs ? { inputs: f.inputs } : {}),
  });
}

/**
 * Reads a record file: the record (every rule, and its stated hash) and what lies beside it.
 * @throws TributaryError `attribution/invalid-record`, `attribution/hash-mismatch` (see recordFromJson)
 */
export function recordFileFromJson(text: string): RecordFile {
  const { record, hash } = recordFromJson(text);
  const file = JSON.parse(text) as Record<string, unknown>;
  if (file.format !== RECORD_FILE_FORMAT) bad('not an attribution record file.');
  const out: RecordFile = { record: canonicalizeRecord(record), hash };
  for (const k of ['prompt', 'answer'] as const) {
    const v = file[k];
    if (v === undefined) continue;
    if (typeof v !== 'string') return bad(`"${k}" must be text.`);
    out[k] = v;
  }
  if (file.evidence !== undefined) out.evidence = evidenceFromJson(file.evidence);
  if (file.inputs !== undefined) {
    if (!isObject(file.inputs)) bad('"inputs" must be an object.');
    out.inputs = file.inputs as RecordFile['inputs'];
  }
  return out;
}
