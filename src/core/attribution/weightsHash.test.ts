import { describe, expect, it } from 'vitest';
import { sha256Hex, sha256Text } from '../hash.ts';
import { modelWeightsHash } from './weightsHash.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('modelWeightsHash', () => {
  it('one file: the SHA-256 of its bytes, 0x or not, any case', () => {
    const h = sha256Hex(bytes('weights'));
    expect(modelWeightsHash([{ path: 'model.safetensors', sha256: h }])).toBe(h);
    expect(modelWeightsHash([{ path: 'model.safetensors', sha256: h.slice(2).toUpperCase() }])).toBe(h);
  });

  it('shards: the hash of the sorted "path<TAB>sha\\n" lines, whatever order they are given in', () => {
    const a = { path: 'model-00001-of-00002.safetensors', sha256: sha256Hex(bytes('a')).slice(2) };
    const b = { path: 'model-00002-of-00002.safetensors', sha256: sha256Hex(bytes('b')).slice(2) };
    const want = sha256Text(`${a.path}\t${a.sha256}\n${b.path}\t${b.sha256}\n`);
    expect(modelWeightsHash([a, b])).toBe(want);
    expect(modelWeightsHash([b, a])).toBe(want);
    expect(modelWeightsHash([a, { ...b, sha256: a.sha256 }])).not.toBe(want); // any shard's bytes count
  });

  it('refuses no files, a malformed hash and a file listed twice', () => {
    expect(() => modelWeightsHash([])).toThrow(/at least one weight file/);
    expect(() => modelWeightsHash([{ path: 'x', sha256: 'abc' }])).toThrow(/not 64 hex digits/);
    const h = sha256Hex(bytes('w'));
    expect(() => modelWeightsHash([{ path: 'x', sha256: h }, { path: 'x', sha256: h }])).toThrow(/listed twice/);
  });
});
