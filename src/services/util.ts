/** Small helpers shared by the services. */
import { bytesToHex } from '@noble/hashes/utils.js';
import { getAddress } from 'viem';
import type { ErrorInfo } from '../workerApi/dataApi.ts';
import { isTributaryError, TributaryError } from '../core/errors.ts';
import type { Address, Identity } from '../core/types.ts';
import type { TributaryDB } from '../store/db.ts';

/** A TributaryError as it crosses the worker boundary. Other errors become `storage/failed`. */
export function toErrorInfo(e: unknown): ErrorInfo {
  const err = asTributaryError(e);
  return err.subject === undefined ? { code: err.code, message: err.message } : { code: err.code, message: err.message, subject: err.subject };
}

/** `e` itself when it is a TributaryError, else a `storage/failed` one carrying its message. */
export function asTributaryError(e: unknown, wrapMessage = 'Saving to the browser database failed'): TributaryError {
  if (e instanceof TributaryError) return e;
  if (isTributaryError(e)) return e;
  const detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new TributaryError('storage/failed', `${wrapMessage} (${detail}). Check the free disk space and try again.`);
}

/** The EIP-55 form of an address, or `identity/not-found` when it is not an address. */
export function canonicalAddress(address: string): Address {
  try {
    return getAddress(address);
  } catch {
    throw new TributaryError('identity/not-found', 'This is not a valid address: pick an identity from the list.', String(address));
  }
}

export function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The local identity (with its private key) for `address`, or `identity/not-found`. */
export async function requireLocalIdentity(db: TributaryDB, address: string): Promise<Identity> {
  const canonical = canonicalAddress(address);
  const identity = await db.identities.get(canonical);
  if (!identity) {
    throw new TributaryError(
      'identity/not-found',
      'No local key for this address in this browser: create an identity or switch to one you own.',
      canonical,
    );
  }
  return identity;
}

/** `n` random bytes as plain lower-case hex (no 0x). */
export function randomHex(randomBytes: (n: number) => Uint8Array, n: number): string {
  return bytesToHex(randomBytes(n));
}

export function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** `e` with `subject` set to `subject` when it is a TributaryError without one. */
export function withSubject(e: unknown, subject: string): unknown {
  if (e instanceof TributaryError && e.subject === undefined) {
    const err = new TributaryError(e.code, e.message, subject);
    err.stack = e.stack;
    return err;
  }
  return e;
}
