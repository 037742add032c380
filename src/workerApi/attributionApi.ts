/**
 * The typed surface of the attribution worker (`workers/attribution.worker.ts`): builds and checks a Datanet
 * version's indexes (suffix array over normalised text, BM25, passage embeddings) with progress, and traces
 * an answer to the contributions that shaped it, returning its attribution record (core/attribution).
 * Attribution never blocks streaming: call `attributeAnswer` after the answer's stream has ended.
 */
import type { AttributionMethod, AttributionRecord } from '../core/attribution/types.ts';
import type { Hex } from '../core/types.ts';
import type { AnswerGradient, AnswerGradientRequest, EmbeddedTexts } from './evidenceApi.ts';

export type { AttributionMethod, AttributionRecord };

/** The engine worker's `embedTexts`, handed to the attribution worker by the page (a function argument: proxied). */
export type EmbedTextsFn = (texts: string[]) => Promise<EmbeddedTexts>;
/** The engine worker's `answerGradient`, handed over the same way. */
export type AnswerGradientFn = (req: AnswerGradientRequest) => Promise<AnswerGradient>;

/**
 * Which passage encoder makes and queries the embedding indexes: the loaded chat model's own hidden states (the
 * default: no download), or an ONNX sentence encoder loaded from a folder URL (attribution/onnxEncoder).
 */
export type EncoderChoice = { kind: 'model' } | { kind: 'onnx'; url: string };

/** What became of one method for one answer: used (with what), or not available and why. */
export interface MethodReport {
  method: AttributionMethod;
  status: 'used' | 'unavailable';
  /** what it ran with (encoder, index source, log size) or why it could not run, in words */
  detail: string;
}

/** An answer's attribution record, with how each method fared. */
export interface AttributedAnswer {
  record: AttributionRecord;
  /** one report per method, in the order span, bm25, embedding, influence */
  methods: MethodReport[];
  /**
   * the answer's int8 vector the embedding scores used (the record commits to its hash): kept with the record so an
   * exported record file carries it for `verify-record`; null when embeddings were not used
   */
  embeddingQuery: { int8: Int8Array; scale: number } | null;
  /**
   * the projected answer gradient the influence scores used (the record's influence params commit to its hash): kept
   * with the record so an exported record file carries it for `verify-record`; null when influence was not used
   */
  influenceGradient: Float32Array | null;
}

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
  /** the passage encoder for embeddings (default: the loaded model's own, through `embed`) */
  encoder?: EncoderChoice;
}

export type IndexPhase = 'download' | 'text' | 'suffix-array' | 'bm25' | 'embedding' | 'verify' | 'write';


export interface IndexProgress {
  datanetId: string;
  phase: IndexPhase;
  /** in the phase's own unit (bytes of text, passages, bytes downloaded) */
  done: number;
  /** 0 when unknown (a download whose size the server does not say) */
  total: number;
  /** the file being downloaded (the `download` phase of an ONNX encoder) */
  file?: string;
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
  /** 'pack' when the suffix array came prebuilt with the pack (verified, stored on import), 'local' when built here */
  source: 'pack' | 'local';
  /** where the embeddings came from, 'none' when none were asked for */
  embeddingsSource: 'pack' | 'local' | 'none';
}

export interface AttributionApi {
  ping(): Promise<'pong'>;
  /**
   * Builds (or loads from the store and verifies) the indexes of the Datanets' current versions; with `embed`, their
   * passage vectors by the loaded model too; with an `onnx` encoder choice, by that encoder (downloaded first, with
   * progress; a missing, bad or mismatched file is a typed `encoder/…` error). Whatever is built is stored (IndexedDB
   * `attributionIndexes`).
   */
  ensureIndexes(datanetIds: string[], onProgress?: (p: IndexProgress) => void, embed?: EmbedTextsFn, encoder?: EncoderChoice): Promise<IndexSummary[]>;
  /**
   * The answer's attribution record (deterministic for the same inputs) and each method's report. `embed` enables
   * embeddings (the loaded model's encoder), `gradient` gradient influence (for an adapter with a training log).
   */
  attributeAnswer(req: AttributeRequest, onProgress?: (p: IndexProgress) => void, embed?: EmbedTextsFn, gradient?: AnswerGradientFn): Promise<AttributedAnswer>;
}
