/** Hostile tokenizer.json files (issue 10): each is refused with a typed error, in bounded time. */
import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../core/errors.ts';
import { loadTokenizer } from './tokenizer.ts';

const base = () => ({ model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 } as Record<string, number>, merges: ['a b'] as unknown[] } });
const deep = (n: number, leaf: string) => JSON.parse('['.repeat(n) + leaf + ']'.repeat(n)) as unknown;

function refusal(json: unknown): { code: string; message: string } {
  try {
    const t = loadTokenizer(typeof json === 'string' ? json : (json as never));
    t.encode('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!');
  } catch (e) {
    if (!isTributaryError(e)) throw e;
    return { code: e.code, message: e.message };
  }
  throw new Error('expected a refusal');
}

describe('hostile tokenizer.json', () => {
  it('the base file loads and encodes', () => {
    expect(loadTokenizer(base() as never).encode('ab')).toEqual([2]);
  });

  it.each([
    ['a vocab id of 2^32', () => ({ model: { ...base().model, vocab: { a: 2 ** 32 } } })],
    ['a vocab id of 2^40', () => ({ model: { ...base().model, vocab: { a: 2 ** 40 } } })],
    ['an added-token id of 2^32', () => ({ ...base(), added_tokens: [{ id: 2 ** 32, content: '<x>' }] })],
    ['an added-token id of 2^31', () => ({ ...base(), added_tokens: [{ id: 2 ** 31, content: '<x>' }] })],
    ['a merge nested a million deep', () => ({ model: { ...base().model, merges: [deep(1_000_000, '"a"')] } })],
    ['a model type nested a million deep', () => ({ model: { ...base().model, type: deep(1_000_000, '1') } })],
    ['a normalizer Sequence nested 100,000 deep', () => {
      let n: unknown = { type: 'Lowercase' };
      for (let i = 0; i < 100_000; i++) n = { type: 'Sequence', normalizers: [n] };
      return { ...base(), normalizer: n };
    }],
    ['a pre_tokenizer Sequence nested 100,000 deep', () => {
      let n: unknown = { type: 'Digits' };
      for (let i = 0; i < 100_000; i++) n = { type: 'Sequence', pretokenizers: [n] };
      return { ...base(), pre_tokenizer: n };
    }],
    ['a decoder Sequence nested 100,000 deep', () => {
      let n: unknown = { type: 'Fuse' };
      for (let i = 0; i < 100_000; i++) n = { type: 'Sequence', decoders: [n] };
      return { ...base(), decoder: n };
    }],
    ['a post_processor Sequence nested 100,000 deep', () => {
      let n: unknown = { type: 'ByteLevel' };
      for (let i = 0; i < 100_000; i++) n = { type: 'Sequence', processors: [n] };
      return { ...base(), post_processor: n };
    }],
    ['a Split pattern (a+)+$', () => ({ ...base(), pre_tokenizer: { type: 'Split', pattern: { Regex: '(a+)+$' }, behavior: 'Isolated' } })],
    ['a Split pattern (a|a)*!x', () => ({ ...base(), pre_tokenizer: { type: 'Split', pattern: { Regex: '(a|a)*!x' }, behavior: 'Removed' } })],
    ['a Split pattern (.*)*b', () => ({ ...base(), pre_tokenizer: { type: 'Split', pattern: { Regex: '(.*)*b' }, behavior: 'Isolated' } })],
    ['a normalizer Replace pattern (a+)+b', () => ({ ...base(), normalizer: { type: 'Replace', pattern: { Regex: '(a+)+b' }, content: '' } })],
    ['a Split pattern with a backreference', () => ({ ...base(), pre_tokenizer: { type: 'Split', pattern: { Regex: '(a*)\\1b' }, behavior: 'Isolated' } })],
  ])('%s → typed error', (_, make) => {
    const t0 = performance.now();
    const r = refusal(make());
    expect(r.code).toMatch(/^tokenizer\//);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
