/**
 * What is known about an installed LoRA adapter without its weights: the OpenLoRA registry and pool
 * (`engine/lora`) keep it in memory, the `adapters` table (`store/adapters`) stores it beside the adapter's files,
 * and the Adapters page lists it. Pure types (core stays free of the engine, storage and the DOM).
 */
import type { Address, Hex } from './types.ts';

/**
 * A linear module of a Llama layer an adapter may adapt (PEFT: q_proj … down_proj). The engine's `LoraTarget`
 * (engine/model/types.ts) is the same union; engine/lora/peft.ts checks that at compile time.
 */
export type AdapterTarget = 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down';

export interface AdapterMeta {
  /** `0x` + sha256 of `adapter_model.safetensors` as written by `writePeftAdapter` (or as imported) */
  id: Hex;
  name: string;
  /** the address that published it, when known */
  owner: Address | null;
  /** ids of the Datanets it was trained on */
  datanets: string[];
  rank: number;
  alpha: number;
  /** `alpha / rank`, or `alpha / sqrt(rank)` with rsLoRA; 0 for rank 0 */
  scale: number;
  useRslora: boolean;
  /** modules it adapts, in `LORA_TARGETS` order (q, k, v, o, gate, up, down) */
  targets: AdapterTarget[];
  /** `base_model_name_or_path` of its config, when given */
  baseModel: string | null;
  /** bytes of `adapter_model.safetensors` */
  bytes: number;
  /** what one answer with this adapter costs, in the token's base units (set by its publisher; absent: not priced) */
  pricePerAnswer?: bigint;
}

/** How an adapter trained in ModelFactory was made (kept with it in the `adapters` table and exported with it). */
export interface AdapterTraining {
  runId: string;
  baseModel: { id: string; label: string; hash: string };
  datanets: { id: string; name: string; version: number }[];
  /** ids of the accepted contributions whose passages trained it */
  contributions: Hex[];
  /** the hyper-parameters as set (core/trainSettings TrainSettings) */
  hyperParameters: Record<string, unknown>;
  steps: number;
  tokens: number;
  heldOutLoss: { before: number | null; after: number | null };
  backend: string;
  trainedAt: number;
  /**
   * prior preservation: general questions the base answered, trained alongside (`examples` of them made it into
   * training), or why it was skipped; absent for adapters trained before it existed
   */
  priorPreservation?: { questions: number; examples: number; skipped: string | null };
}
