/**
 * Every error a user can see is a `TributaryError` with a stable `code` (for tests and UI logic) and a
 * message that says what went wrong and what to do. `subject` names the thing at fault (a file name,
 * a pack path) when there is one.
 */
export type ErrorCode =
  // input files and text
  | 'file/empty'
  | 'file/too-large'
  | 'file/unsupported-type'
  | 'file/bad-utf8'
  | 'file/binary'
  | 'file/broken-pdf'
  | 'file/broken-docx'
  | 'file/bad-jsonl'
  | 'file/bad-csv'
  | 'file/no-text'
  // limits and duplicates
  | 'limit/daily-files'
  | 'limit/daily-bytes'
  | 'duplicate/exact'
  | 'duplicate/near'
  // datanets and governance
  | 'datanet/invalid'
  | 'datanet/not-found'
  | 'datanet/not-owner'
  | 'contribution/not-found'
  | 'contribution/closed'
  | 'validation/own-contribution'
  | 'validation/already-voted'
  | 'validation/not-owner'
  | 'validation/invalid'
  | 'identity/not-found'
  // signatures and packs
  | 'signature/invalid'
  | 'pack/corrupt'
  | 'pack/manifest'
  | 'pack/missing-file'
  | 'pack/hash-mismatch'
  | 'pack/signature'
  | 'pack/merkle'
  | 'pack/unsupported-version'
  | 'pack/fetch'
  // engine (model math, backends, generation)
  | 'engine/bad-shape'
  | 'engine/bad-weights'
  | 'engine/bad-config'
  | 'engine/context-full'
  | 'engine/kv-full'
  | 'engine/stale-logits'
  | 'engine/bad-sampling'
  | 'engine/disposed'
  | 'engine/lora-slot'
  | 'engine/cpu-thread'
  // LoRA adapters and serving (src/engine/lora, src/engine/serving)
  | 'lora/config'
  | 'lora/weights'
  | 'lora/mismatch'
  | 'lora/not-found'
  | 'lora/pool-full'
  | 'lora/in-use'
  | 'serving/closed'
  // training (src/engine/train): hyper-parameters, example sets, checkpoints
  | 'train/config'
  | 'train/no-examples'
  | 'train/state'
  // ModelFactory (training page, training action, checkpoints)
  | 'factory/bad-settings'
  | 'factory/no-data'
  | 'factory/busy'
  | 'factory/no-run'
  | 'factory/training'
  // WebGPU backend (src/engine/webgpu): the UI falls back to the CPU backend on these
  | 'webgpu/unavailable'
  | 'webgpu/device-lost'
  | 'webgpu/error'
  | 'webgpu/timeout'
  // model files, tokenizers, chat templates (src/engine/formats, tokenizer, chat)
  | 'model/safetensors'
  | 'model/non-finite'
  | 'model/config'
  | 'model/missing-tensor'
  | 'model/tensor-shape'
  | 'model/missing-file'
  | 'model/fetch'
  | 'model/size-mismatch'
  | 'model/hash-mismatch'
  | 'model/aborted'
  | 'tokenizer/invalid'
  | 'tokenizer/unsupported'
  | 'chat/no-template'
  | 'chat/template'
  // chat conversations kept in IndexedDB (core/conversation, store/conversations)
  | 'conversation/invalid'
  | 'conversation/not-found'
  | 'conversation/interrupted'
  // ledger, wallets and chains (settlement)
  | 'ledger/invalid'
  | 'ledger/not-pending'
  | 'fee/invalid'
  | 'wallet/not-connected'
  | 'wallet/rejected'
  | 'wallet/wrong-chain'
  | 'wallet/unavailable'
  | 'chain/config'
  | 'chain/unreachable'
  | 'chain/insufficient-funds'
  | 'chain/reverted'
  | 'chain/nothing-to-claim'
  | 'chain/epoch-input'
  | 'chain/payout-input'
  // contracts and the chain library (src/chain)
  | 'chain/payment-invalid'
  | 'chain/bad-signature'
  | 'chain/claim-invalid'
  | 'chain/already-settled'
  | 'chain/expired'
  | 'chain/bad-proof'
  | 'chain/root-mismatch'
  | 'chain/not-authorized'
  | 'chain/registry'
  // attribution (src/core/attribution, src/attribution)
  | 'attribution/invalid-record'
  | 'attribution/hash-mismatch'
  | 'attribution/index-corrupt'
  | 'attribution/index-mismatch'
  | 'attribution/encoder-mismatch'
  | 'attribution/invalid-input'
  | 'attribution/model-unhashed'
  | 'attribution/adapter-mismatch'
  | 'attribution/training-log-missing'
  | 'attribution/training-log-corrupt'
  | 'attribution/influence-unsupported'
  // the optional ONNX sentence encoder (src/attribution/onnxEncoder)
  | 'encoder/missing-file'
  | 'encoder/bad-file'
  | 'encoder/fetch'
  | 'encoder/mismatch'
  // infrastructure
  | 'worker/crashed'
  | 'worker/timeout'
  | 'storage/failed';

/** What a TributaryError may wrap: the error it was raised from and its technical detail. */
export interface TributaryErrorOptions {
  /** The underlying error (a viem or WebGPU error, another TributaryError); kept as `cause`. */
  cause?: unknown;
  /** Technical detail for a developer (defaults to the cause's details or message). */
  details?: string;
}

/**
 * Like viem's BaseError, a wrapped error keeps its chain: `cause` is the error it came from and
 * `details` its technical text, so the user-facing `message` can stay actionable while nothing is lost.
 */
export class TributaryError extends Error {
  override readonly name = 'TributaryError';
  readonly details?: string;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly subject?: string,
    options: TributaryErrorOptions = {},
  ) {
    super(subject ? `${subject}: ${message}` : message, options.cause === undefined ? undefined : { cause: options.cause });
    const details = options.details ?? causeDetails(options.cause);
    if (details !== undefined) this.details = details;
  }

  /** The chain from this error down through each `cause` (this error first); stops at 16 links. */
  chain(): unknown[] {
    const out: unknown[] = [];
    let e: unknown = this as unknown;
    while (e !== undefined && out.length < 16) {
      out.push(e);
      e = typeof e === 'object' && e !== null ? (e as { cause?: unknown }).cause : undefined;
    }
    return out;
  }
}

function causeDetails(cause: unknown): string | undefined {
  if (cause === undefined) return undefined;
  if (isTributaryError(cause)) return cause.details ?? cause.message;
  if (cause instanceof Error) return cause.message;
  return typeof cause === 'string' ? cause : undefined;
}

/** True when `e` is a TributaryError (also after crossing a worker boundary as a plain object). */
export function isTributaryError(e: unknown): e is TributaryError {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'TributaryError' && typeof (e as { code?: unknown }).code === 'string';
}
