/**
 * How errors cross the worker boundary. Comlink's default 'throw' handler keeps only `name`,
 * `message` and `stack` of an Error, so a TributaryError would lose its `code` and `subject`. The data
 * worker registers this handler: a TributaryError travels as a plain object
 * `{ name: 'TributaryError', code, message, subject, details, cause, stack }` (comlink's non-Error path, which the
 * default main-thread handler rethrows as is, so `isTributaryError` holds on the caller's side;
 * `client/supervisedWorker` turns it back into a TributaryError instance). Other errors keep comlink's
 * default treatment.
 */
import { transferHandlers, type TransferHandler } from 'comlink';
import { isTributaryError } from '../core/errors.ts';

/** A TributaryError as structured-cloned across the boundary. */
export interface SerializedTributaryError {
  name: 'TributaryError';
  code: string;
  message: string;
  subject?: string;
  details?: string;
  /** The wrapped error, itself serialized (a TributaryError as this shape, any other error as a plain `{ name, message, stack }`). */
  cause?: SerializedTributaryError | SerializedCause;
  stack?: string;
}

/** A non-Tributary cause as it crosses the boundary (Error instances do not survive every structured clone). */
export interface SerializedCause {
  name: string;
  message: string;
  stack?: string;
  cause?: SerializedTributaryError | SerializedCause;
}

/** The plain, structured-cloneable form of an error and its cause chain (at most 16 links deep). */
export function serializeError(e: unknown, depth = 0): SerializedTributaryError | SerializedCause {
  const next = (c: unknown) => (c === undefined || depth >= 15 ? undefined : serializeError(c, depth + 1));
  if (isTributaryError(e)) {
    const plain: SerializedTributaryError = { name: 'TributaryError', code: e.code, message: e.message };
    if (e.subject !== undefined) plain.subject = String(e.subject);
    if (e.details !== undefined) plain.details = String(e.details);
    if (typeof e.stack === 'string') plain.stack = e.stack;
    const cause = next((e as { cause?: unknown }).cause);
    if (cause) plain.cause = cause;
    return plain;
  }
  const err = e instanceof Error ? e : undefined;
  const plain: SerializedCause = { name: err?.name ?? 'Error', message: err ? err.message : String(e) };
  if (typeof err?.stack === 'string') plain.stack = err.stack;
  const cause = next(err?.cause);
  if (cause) plain.cause = cause;
  return plain;
}

/** Comlink's wire form of a thrown value (see comlink's `throwTransferHandler`). */
interface ThrownWire {
  isError: boolean;
  value: unknown;
}

let registered = false;

/** Registers the TributaryError-preserving 'throw' handler in this realm (idempotent). */
export function registerErrorTransfer(): void {
  if (registered) return;
  const base = transferHandlers.get('throw') as TransferHandler<{ value: unknown }, ThrownWire> | undefined;
  if (!base) throw new Error("comlink has no 'throw' transfer handler to extend");
  const handler: TransferHandler<{ value: unknown }, ThrownWire> = {
    canHandle: (v): v is { value: unknown } => base.canHandle(v),
    serialize(thrown) {
      const e = thrown.value;
      if (!isTributaryError(e)) return base.serialize(thrown);
      return [{ isError: false, value: serializeError(e) }, []];
    },
    deserialize: (wire) => base.deserialize(wire),
  };
  transferHandlers.set('throw', handler as TransferHandler<unknown, unknown>);
  registered = true;
}
