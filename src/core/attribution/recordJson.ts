/**
 * Canonical JSON of attribution records: export for files and the CLI, import with validation.
 *
 * File form: `{"format":"tributary-attribution-record","formatVersion":1,"hash":"0x…","record":{…}}` with
 * the record in canonical order (core/attribution/record `canonicalizeRecord`), no whitespace. Importing
 * checks the format, every rule of the record and that `hash` is the record's hash.
 */
import { TributaryError } from '../errors.ts';
import type { Hex } from '../types.ts';
import { attributionRecordHash, canonicalizeRecord } from './record.ts';
import type { AttributionRecord } from './types.ts';

export const RECORD_FILE_FORMAT = 'tributary-attribution-record';

/** The record's canonical JSON text (no whitespace, fixed key order). Validates first. */
export function recordToJson(record: AttributionRecord): string {
  const hash = attributionRecordHash(record);
  return JSON.stringify({ format: RECORD_FILE_FORMAT, formatVersion: 1, hash, record: canonicalizeRecord(record) });
}

/**
 * Reads a record file. Unknown keys are refused (a record means exactly what its fields say).
 * @throws TributaryError `attribution/invalid-record` (not JSON, wrong format, a broken rule),
 *   `attribution/hash-mismatch` (the stated hash is not the record's).
 */
export function recordFromJson(text: string): { record: AttributionRecord; hash: Hex } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new TributaryError('attribution/invalid-record', `not JSON (${(e as Error).message}); an attribution record file is one JSON object.`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new TributaryError('attribution/invalid-record', 'an attribution record file is one JSON object.');
  const file = parsed as Record<string, unknown>;
  if (file.format !== RECORD_FILE_FORMAT || file.formatVersion !== 1) {
    throw new TributaryError('attribution/invalid-record', `not a "${RECORD_FILE_FORMAT}" version 1 file.`);
  }
  if (typeof file.record !== 'object' || file.record === null) throw new TributaryError('attribution/invalid-record', 'the file has no "record" object.');
  const record = strictRecord(file.record);
  const hash = attributionRecordHash(record);
  if (typeof file.hash !== 'string' || file.hash.toLowerCase() !== hash) {
    throw new TributaryError('attribution/hash-mismatch', `the file says its record hashes to ${String(file.hash)}, but its content hashes to ${hash}: it was changed after it was made.`);
  }
  return { record: canonicalizeRecord(record), hash };
}

const KEYS: Record<string, readonly string[]> = {
  record: ['recordVersion', 'model', 'adapter', 'promptHash', 'answerHash', 'datanets', 'credits', 'unattributedPpm', 'methods'],
  model: ['id', 'hash'],
  datanet: ['datanetId', 'version', 'merkleRoot'],
  credit: ['contributionId', 'datanetId', 'contributor', 'weightPpm', 'evidence'],
  evidence: ['spans', 'scores'],
  span: ['answerStart', 'answerEnd', 'passage', 'text'],
  passage: ['contributionId', 'passageIndex'],
  score: ['method', 'valueMicro'],
  method: ['method', 'version', 'params'],
};

function exact(v: unknown, kind: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TributaryError('attribution/invalid-record', `a ${kind} must be an object.`);
  const o = v as Record<string, unknown>;
  const want = KEYS[kind] ?? [];
  for (const k of Object.keys(o)) if (!want.includes(k)) throw new TributaryError('attribution/invalid-record', `unknown field "${k}" in a ${kind}.`);
  for (const k of want) if (!(k in o)) throw new TributaryError('attribution/invalid-record', `a ${kind} lacks "${k}".`);
  return o;
}

function list(v: unknown, kind: string): unknown[] {
  if (!Array.isArray(v)) throw new TributaryError('attribution/invalid-record', `${kind} must be a list.`);
  return v;
}

/** Checks the exact shape (keys) of a parsed record; the value rules are checked by validateRecord. */
function strictRecord(v: unknown): AttributionRecord {
  const r = exact(v, 'record');
  exact(r.model, 'model');
  if (r.adapter !== null) exact(r.adapter, 'model');
  for (const d of list(r.datanets, 'datanets')) exact(d, 'datanet');
  for (const c of list(r.credits, 'credits')) {
    const e = exact(exact(c, 'credit').evidence, 'evidence');
    for (const s of list(e.spans, 'spans')) exact(exact(s, 'span').passage, 'passage');
    for (const s of list(e.scores, 'scores')) exact(s, 'score');
  }
  for (const m of list(r.methods, 'methods')) exact(m, 'method');
  return r as unknown as AttributionRecord;
}
