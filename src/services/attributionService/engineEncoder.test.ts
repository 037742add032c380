import { describe, expect, it } from 'vitest';
import type { EmbeddedTexts } from '../../workerApi/evidenceApi.ts';
import { engineEncoder } from './engineEncoder.ts';

const ref = (hash: `0x${string}`) => ({ id: 'm#mean-hidden@128', hash, dims: 2 });
const vec = (t: string) => Float32Array.of(t.length, 1);

describe('engineEncoder (the engine worker’s embedTexts as a PassageEncoder)', () => {
  it('learns the encoder from the first text, reuses its vector, batches the rest in order', async () => {
    const calls: string[][] = [];
    const embed = async (texts: string[]): Promise<EmbeddedTexts> => {
      calls.push(texts);
      return { encoder: ref('0xaa'), vectors: texts.map(vec) };
    };
    const enc = await engineEncoder(embed, 'the answer');
    expect(enc.ref).toEqual(ref('0xaa'));
    const texts = ['the answer', ...Array.from({ length: 70 }, (_, i) => 'x'.repeat(i + 1))];
    const out = await enc.embed(texts);
    expect(out.map((v) => v[0])).toEqual(texts.map((t) => t.length));
    expect(calls.map((c) => c.length)).toEqual([1, 32, 32, 6]); // the answer once, then ≤ 32 a call
  });

  it('refuses a reply from another encoder (a model swapped mid-build) instead of mixing vectors', async () => {
    let n = 0;
    const embed = async (texts: string[]): Promise<EmbeddedTexts> => ({ encoder: ref(n++ === 0 ? '0xaa' : '0xbb'), vectors: texts.map(vec) });
    const enc = await engineEncoder(embed, 'a');
    await expect(enc.embed(['b'])).rejects.toMatchObject({ code: 'attribution/encoder-mismatch' });
  });
});
