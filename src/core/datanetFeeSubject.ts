/**
 * The subject of a "Pay a Datanet" fee (see core/payment.ts): keccak256 of the UTF-8 text
 * `pay-datanet|<datanetId>|<version>`. A module of its own, on @noble/hashes only, because the store's schema
 * upgrade needs it and the store is on every page's first load (core/payment.ts brings viem and the Merkle tree).
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { Hex } from './types.ts';

export function datanetFeeSubject(datanetId: string, version: number): Hex {
  return `0x${bytesToHex(keccak_256(utf8ToBytes(`pay-datanet|${datanetId}|${version}`)))}`;
}
