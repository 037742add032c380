/**
 * The attribution record of one answer: which model (and adapter) said what to which prompt, which Datanet
 * versions it was traced against, and how the answer's credit is shared among contributions, with the
 * evidence for each share. Pure data; hashed by `attributionRecordHash` (EIP-712, see record.ts).
 *
 * Conventions:
 * - Weights are integer parts per million (ppm); `sum(credits[].weightPpm) + unattributedPpm === 1_000_000`.
 * - Scores are integers in millionths (`valueMicro = round(score × 1e6)`): EIP-712 has no floats, and an
 *   integer is printed the same by every JSON writer.
 * - Span offsets are UTF-16 code-unit offsets into the exact answer string (JavaScript string indices),
 *   `answerStart` inclusive, `answerEnd` exclusive.
 */
import type { Address, Hex } from '../types.ts';

/** 1_000_000 parts per million make the whole. */
export const PPM = 1_000_000;

/**
 * The record format's version; bumps when a field's meaning changes. Version 2: `model.hash` is the SHA-256 of the
 * model's weight files (core/attribution/weightsHash), `adapter.hash` the SHA-256 of `adapter_model.safetensors`, and
 * the `embedding` method's params commit to the exact int8 vectors it scored with (attribution/embeddingEvidence).
 * Version 1 records (the app named its model by a descriptor hash) stay readable and keep their hashes.
 */
export const ATTRIBUTION_RECORD_VERSION = 2;
/** Every version this code reads. */
export const KNOWN_RECORD_VERSIONS: readonly number[] = [1, 2];

/** The evidence methods, in their canonical order. */
export const ATTRIBUTION_METHODS = ['span', 'bm25', 'embedding', 'influence'] as const;
export type AttributionMethod = (typeof ATTRIBUTION_METHODS)[number];

/** A model or adapter named by id and bound by the SHA-256 of its content. */
export interface ContentRef {
  id: string;
  hash: Hex;
}

/** One Datanet version the answer was traced against. */
export interface DatanetVersionRef {
  datanetId: string;
  version: number;
  merkleRoot: Hex;
}

/** Which passage of which contribution a span was found in. */
export interface PassageRef {
  contributionId: Hex;
  /** `Chunk.index` within the contribution. */
  passageIndex: number;
}

/** A stretch of the answer found verbatim (after normalisation) in a passage. */
export interface EvidenceSpan {
  answerStart: number;
  answerEnd: number;
  passage: PassageRef;
  /** The answer's text in `[answerStart, answerEnd)`. */
  text: string;
}

/** One method's score for one contribution, in millionths. */
export interface MethodScore {
  method: AttributionMethod;
  valueMicro: number;
}

export interface CreditEvidence {
  spans: EvidenceSpan[];
  scores: MethodScore[];
}

export interface AttributionCredit {
  contributionId: Hex;
  datanetId: string;
  contributor: Address;
  /** Share of the answer's credit, integer ppm, ≥ 1. */
  weightPpm: number;
  evidence: CreditEvidence;
}

/** A method that contributed evidence, with its version and its parameters (canonical JSON text). */
export interface MethodInfo {
  method: AttributionMethod;
  version: string;
  /** `JSON.stringify` of the parameters object with sorted keys. */
  params: string;
}

export interface AttributionRecord {
  recordVersion: number;
  model: ContentRef;
  adapter: ContentRef | null;
  /** `sha256Text(prompt)`: the exact user prompt the answer replied to. */
  promptHash: Hex;
  /** `sha256Text(answer)`: the exact answer text. */
  answerHash: Hex;
  datanets: DatanetVersionRef[];
  credits: AttributionCredit[];
  /** The share no contribution earned (weak or no evidence), integer ppm. */
  unattributedPpm: number;
  methods: MethodInfo[];
}
