/** The rules every part of pack reading shares: limits, record patterns, the fixed file set. */
import { TributaryError, type ErrorCode } from '../errors.ts';
import { PACK_FILES } from './types.ts';

export const DAMAGED = 'The pack is damaged or was altered after it was made: get a fresh copy from its source.';

/** Longest accepted strings (the 64 MiB total bounds everything else). */
export const MAX = { title: 1024, mediaType: 255, reason: 10_000, splitPassages: 1_000_000, minhash: 1024 } as const;

export const HASH_RE = /^0x[0-9a-f]{64}$/;
export const SIGNATURE_RE = /^0x[0-9a-f]{130}$/;
export const DATANET_ID_RE = /^dn-[0-9a-f]{16}$/;
export const INDEX_PATH_RE = /^indexes\/[a-z0-9][a-z0-9._-]{0,127}$/;
export const REQUIRED_FILES = [PACK_FILES.datanet, PACK_FILES.version, PACK_FILES.contributions, PACK_FILES.chunks, PACK_FILES.validations] as const;

export function fail(code: ErrorCode, message: string, subject?: string): never {
  throw new TributaryError(code, message, subject);
}

/** True for a path a pack may list: one of its fixed files, or `indexes/<name>`. */
export function isPackPath(path: string): boolean {
  return (REQUIRED_FILES as readonly string[]).includes(path) || INDEX_PATH_RE.test(path);
}
