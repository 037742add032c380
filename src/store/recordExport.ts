/**
 * An answer's attribution record as a file (core/attribution/recordFile): the stored record with its prompt and answer
 * and, when it used embeddings, the exact int8 vectors it committed to — the answer's (kept with the record) and each
 * Datanet's passage vectors (the stored index file the attribution worker scored with). What "Export record" saves and
 * `npm run cli -- verify-record <file> --pack <the Datanet's pack>` recomputes.
 *
 * A Datanet whose version has moved on since keeps no index file of the old version (store/attributionIndexes): its
 * vectors are then left out, and verify-record says it cannot check them.
 */
import { recordFileToJson, type EmbeddingIndexFileEvidence, type RecordEvidence } from '../core/attribution/recordFile.ts';
import { TributaryError } from '../core/errors.ts';
import type { Hex } from '../core/types.ts';
import { getIndexFile, indexFileKey } from './attributionIndexes.ts';
import type { TributaryDB } from './db.ts';

export interface ExportedRecordFile {
  fileName: string;
  text: string;
  /** Datanets whose passage vectors are no longer kept here (their embedding evidence cannot be checked) */
  missingVectors: string[];
  /** the command that checks the file (a record with gradient influence needs the adapter's folder with its training log) */
  verifyCommand: string;
}

export async function exportRecordFile(db: TributaryDB, hash: Hex): Promise<ExportedRecordFile> {
  const row = await db.attributionRecords.get(hash);
  if (!row) throw new TributaryError('attribution/invalid-input', `There is no attribution record ${hash} here.`, hash);
  const { record } = row;
  const missingVectors: string[] = [];
  let evidence: RecordEvidence | undefined;
  const embedding = record.methods.find((m) => m.method === 'embedding');
  if (embedding && row.embeddingQuery) {
    const { encoderHash } = JSON.parse(embedding.params) as { encoderHash?: Hex };
    const indexFiles: EmbeddingIndexFileEvidence[] = [];
    for (const d of record.datanets) {
      const file = encoderHash ? await getIndexFile(db, indexFileKey(d, 'embeddings', encoderHash)) : undefined;
      if (file) indexFiles.push({ datanetId: d.datanetId, version: d.version, merkleRoot: d.merkleRoot, bytes: file.bytes });
      else missingVectors.push(d.datanetId);
    }
    evidence = { embedding: { query: row.embeddingQuery, indexFiles } };
  }
  // the projected answer gradient the influence scores came from (the record's params commit to its hash)
  if (row.influenceGradient && record.methods.some((m) => m.method === 'influence')) evidence = { ...evidence, influence: { gradient: row.influenceGradient } };
  const text = recordFileToJson({ record, prompt: row.prompt, answer: row.answer, ...(evidence ? { evidence } : {}) });
  const fileName = `attribution-record-${hash.slice(2, 14)}.json`;
  const adapterArg = record.methods.some((m) => m.method === 'influence') ? " --adapter <the adapter's folder with its training log>" : record.adapter ? " --adapter <the adapter's folder>" : '';
  return { fileName, text, missingVectors, verifyCommand: `npm run cli -- verify-record ${fileName} --pack <the Datanet's pack>${adapterArg}` };
}
