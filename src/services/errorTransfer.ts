/**
 * How errors cross the worker boundary. Comlink's default 'throw' handler keeps only `name`,
 * `message` and `stack` of an Error, so a TributaryError would lose its `code` and `subject`. The data
 * worker registers this handler: a TributaryError travels as a plain object
 * `{ name: 'TributaryError', code, message, subject, stack }` (comlink's non-Error path, which the
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
  stack?: string;
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
      const plain: SerializedTributaryError = { name: 'TributaryError', code: e.code, message: e.message };
      if (e.subject !== undefined) plain.subject = String(e.subject);
      if (typeof e.stack === 'string') plain.stack = e.stack;
      return [{ isError: false, value: plain }, []];
    },
    deserialize: (wire) => base.deserialize(wire),
  };
  transferHandlers.set('throw', handler as TransferHandler<unknown, unknown>);
  registered = true;
}
