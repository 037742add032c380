import { isTributaryError, type ErrorCode } from '../../core/errors.ts';

/** What the UI shows for an error: a stable code when known, the message and what it is about. */
export interface ShownError {
  code?: ErrorCode | undefined;
  message: string;
  subject?: string | undefined;
}

/**
 * Turn anything thrown (a TributaryError, its structured-clone copy from the worker, an ErrorInfo, a plain
 * Error) into something to show. The TributaryError message already names its subject, so it is removed
 * from the message when the subject is shown separately.
 */
export function toShownError(e: unknown): ShownError {
  if (isTributaryError(e) || isErrorInfo(e)) {
    const { code, subject } = e;
    let message = e.message;
    if (subject && message.startsWith(`${subject}: `)) message = message.slice(subject.length + 2);
    return { code, message, subject };
  }
  if (e instanceof Error) return { message: e.message || 'Something went wrong. Try again.' };
  if (typeof e === 'string') return { message: e };
  return { message: 'Something went wrong. Try again; if it keeps happening, reload the page.' };
}

function isErrorInfo(e: unknown): e is { code: ErrorCode; message: string; subject?: string } {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { code?: unknown }).code === 'string' &&
    typeof (e as { message?: unknown }).message === 'string'
  );
}
