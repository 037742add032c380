/** Strict decoding of pack files (UTF-8, JSON, JSON Lines) and field checks of their records. */
import { isAddress } from 'viem';
import { type ErrorCode } from '../errors.ts';
import type { Address, Hex } from '../types.ts';
import { DAMAGED, HASH_RE, SIGNATURE_RE, DATANET_ID_RE, fail } from './packRules.ts';

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeText(code: ErrorCode, path: string, bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    return fail(code, `The file is not valid UTF-8 text. ${DAMAGED}`, path);
  }
}

export function parseJson(code: ErrorCode, path: string, bytes: Uint8Array): unknown {
  const text = decodeText(code, path, bytes);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fail(code, `The file is not valid JSON. ${DAMAGED}`, path);
  }
}

export function parseJsonl(path: string, bytes: Uint8Array): { value: unknown; where: string }[] {
  const text = decodeText('pack/corrupt', path, bytes);
  if (text === '') return [];
  if (!text.endsWith('\n')) fail('pack/corrupt', `The last line does not end with a line break: the file is cut short. ${DAMAGED}`, path);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line, i) => {
      const where = `${path}:${i + 1}`;
      if (line === '') fail('pack/corrupt', `Line ${i + 1} is empty; every line holds one record. ${DAMAGED}`, where);
      try {
        return { value: JSON.parse(line) as unknown, where };
      } catch {
        return fail('pack/corrupt', `Line ${i + 1} is not valid JSON. ${DAMAGED}`, where);
      }
    });
}

/** Field checks of one record; failures name the record (`where`) and the field. */
export class Fields {
  readonly o: Record<string, unknown>;
  constructor(
    value: unknown,
    readonly where: string,
    required: readonly string[],
    optional: readonly string[] = [],
    readonly code: ErrorCode = 'pack/corrupt',
    what = 'record',
  ) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.bad(`The ${what} must be a JSON object.`);
    this.o = value as Record<string, unknown>;
    for (const k of required) if (!Object.prototype.hasOwnProperty.call(this.o, k)) this.bad(`The ${what} lacks the field "${k}".`);
    for (const k of Object.keys(this.o)) {
      if (!required.includes(k) && !optional.includes(k)) this.bad(`The ${what} has an unknown field "${k}".`);
    }
  }
  bad(message: string): never {
    return fail(this.code, `${message} ${DAMAGED}`, this.where);
  }
  has(k: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.o, k);
  }
  str(k: string, min = 0, max = Number.MAX_SAFE_INTEGER): string {
    const v = this.o[k];
    if (typeof v !== 'string') this.bad(`"${k}" must be text.`);
    if (v.length < min || v.length > max) this.bad(`"${k}" must be ${min} to ${max} characters long.`);
    return v;
  }
  int(k: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.o[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) this.bad(`"${k}" must be a whole number from ${min} to ${max}.`);
    return v;
  }
  num(k: string, min: number, max: number): number {
    const v = this.o[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) this.bad(`"${k}" must be a number from ${min} to ${max}.`);
    return v;
  }
  hash(k: string): Hex {
    const v = this.o[k];
    if (typeof v !== 'string' || !HASH_RE.test(v)) this.bad(`"${k}" must be a 32-byte lower-case 0x-hex hash.`);
    return v as Hex;
  }
  signature(k: string): Hex {
    const v = this.o[k];
    if (typeof v !== 'string' || !SIGNATURE_RE.test(v)) this.bad(`"${k}" must be a 65-byte lower-case 0x-hex signature.`);
    return v as Hex;
  }
  address(k: string): Address {
    const v = this.o[k];
    if (typeof v !== 'string' || !isAddress(v)) this.bad(`"${k}" must be an address (0x + 40 hex digits, checksummed if mixed-case).`);
    return v;
  }
  oneOf<T extends string>(k: string, options: readonly T[]): T {
    const v = this.o[k];
    if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) this.bad(`"${k}" must be one of ${options.join(', ')}.`);
    return v as T;
  }
  hashes(k: string, minLength: number): Hex[] {
    const v = this.o[k];
    if (!Array.isArray(v) || v.length < minLength) this.bad(`"${k}" must be a list of at least ${minLength} hashes.`);
    const out = v.map((h) => {
      if (typeof h !== 'string' || !HASH_RE.test(h)) this.bad(`"${k}" must hold 32-byte lower-case 0x-hex hashes.`);
      return h as Hex;
    });
    if (new Set(out).size !== out.length) this.bad(`"${k}" lists a hash twice.`);
    return out;
  }
  datanetId(k: string): string {
    const v = this.o[k];
    if (typeof v !== 'string' || !DATANET_ID_RE.test(v)) this.bad(`"${k}" must be a Datanet id (dn- and 16 hex digits).`);
    return v;
  }
  sub(k: string, required: readonly string[]): Fields {
    return new Fields(this.o[k], this.where, required, [], this.code, `field "${k}"`);
  }
}
