import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { Hex } from './types.ts';

/** SHA-256 of bytes as 0x-hex. Synchronous so it runs the same in Node, workers and tests. */
export function sha256Hex(data: Uint8Array): Hex {
  return `0x${bytesToHex(sha256(data))}`;
}

/** SHA-256 of a string's UTF-8 bytes as 0x-hex. */
export function sha256Text(text: string): Hex {
  return sha256Hex(utf8ToBytes(text));
}

/** Hash of an ordered list of hashes: SHA-256 over their concatenated 32-byte values. */
export function hashPassageList(hashes: readonly Hex[]): Hex {
  const all = new Uint8Array(hashes.length * 32);
  hashes.forEach((h, i) => {
    if (!/^0x[0-9a-f]{64}$/.test(h)) throw new TypeError(`not a 32-byte hex hash: ${h}`);
    for (let j = 0; j < 32; j++) all[i * 32 + j] = parseInt(h.slice(2 + j * 2, 4 + j * 2), 16);
  });
  return sha256Hex(all);
}
