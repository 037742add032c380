/**
 * The typed surface of the attribution worker (`workers/attribution.worker.ts`): builds and checks a Datanet
 * version's indexes (suffix array over normalised text, BM25, passage embeddings) with progress, and traces
 * an answer to the contributions that shaped it, returning its attribution record (core/attribution).
 * Attribution never blocks streaming: call `attributeAnswer` after the answer's stream has ended.
 */
import type { AttributionMethod, AttributionRecord } from '../core/attribution/types.ts';
import type { Hex } from '../core/types.ts';

export type { AttributionMethod, AttributionRecord };

export interface AttributeRequest {
  /** the user's prompt the answer replied to (its hash goes in the record) */
  prompt: string;
  /** the answer exactly as shown */
  answer: string;
  /** the loaded model's id (its content hash goes in the record; embeddings use its hidden states) */
  modelId: string;
  /** the installed adapter that answered, null/absent for the base model (enables gradient influence) */
  adapterId?: string | null;
  /** Datanets to trace against, each at its current version (indexes are built first when missing) */
  datanetIds: string[];
  /** methods to run (default: every method the inputs allow) */
  methods?: AttributionMethod[];
}

export type IndexPhase = 'text' | 'suffix-array' | 'bm25' | 'embedding' | 'verify' | 'write';

export interface IndexProgress {
  datanetId: string;
  phase: IndexPhase;
  /** in the phase's own unit (bytes of text, passages) */
  done: number;
  total: number;
}

/** What is indexed for one Datanet version. */
export interface IndexSummary {
  datanetId: string;
  version: number;
  merkleRoot: Hex;
  /** normalised text bytes covered by the suffix array */
  textBytes: number;
  passages: number;
  /** bytes stored per text byte (suffix array + text) */
  spanBytesPerToken: number;
  /** the encoder the embeddings were made with, or null when none were made */
  encoder: { id: string; hash: Hex; dims: number } | null;
  /** 'pack' when the indexes came prebuilt with the pack (and verified), 'local' when built here */
  source: 'pack' | 'local';
}

export interface AttributionApi {
  ping(): Promise<'pong'>;
  /** Builds (or loads and verifies) the indexes of the Datanets' current versions. */
  ensureIndexes(datanetIds: string[], onProgress?: (p: IndexProgress) => void): Promise<IndexSummary[]>;
  /** The answer's attribution record (deterministic for the same inputs). */
  attributeAnswer(req: AttributeRequest, onProgress?: (p: IndexProgress) => void): Promise<AttributionRecord>;
}
