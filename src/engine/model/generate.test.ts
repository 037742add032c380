import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../cpu/cpuBackend.ts';
import { argmax } from '../sampling/sample.ts';
import { generate, type GenerateOptions, type GenerateResult } from './generate.ts';
import { createModel } from './llama.ts';
import { randomModel } from './randomModel.ts';

const { config, weights } = randomModel({ seed: 5 });
const model = createModel(createCpuBackend(), config, weights);
const prompt = [10, 20, 30];

async function run(o: GenerateOptions): Promise<{ ids: number[]; result: GenerateResult }> {
  const it = generate(model, prompt, o);
  const ids: number[] = [];
  for (;;) {
    const r = await it.next();
    if (r.done) return { ids, result: r.value };
    ids.push(r.value);
  }
}

describe('generate', () => {
  it('greedy output equals a hand-written argmax loop', async () => {
    const seq = model.createSequence(64);
    let logits = await model.prefill(prompt, seq);
    const want: number[] = [];
    for (let i = 0; i < 12; i++) {
      const id = argmax(logits);
      want.push(id);
      logits = await model.decodeStep(id, seq);
    }
    seq.dispose();
    const { ids, result } = await run({ maxNewTokens: 12, sampling: { temperature: 0 } });
    expect(ids).toEqual(want);
    expect(result).toEqual({ finishReason: 'length', tokens: want });
  });

  it('seeded sampling repeats itself; another seed differs (high temperature: this random model is very peaked)', async () => {
    const o = (seed: number): GenerateOptions => ({ maxNewTokens: 16, sampling: { temperature: 30, topK: 50, topP: 0.95, seed } });
    const a = (await run(o(3))).ids;
    expect((await run(o(3))).ids).toEqual(a);
    expect((await run(o(4))).ids).not.toEqual(a);
  });

  it('stops on an end token without emitting it', async () => {
    const greedy = (await run({ maxNewTokens: 12, sampling: { temperature: 0 } })).ids;
    const eos = greedy[4]!;
    const { ids, result } = await run({ maxNewTokens: 12, sampling: { temperature: 0 }, stopTokens: [eos] });
    expect(ids).toEqual(greedy.slice(0, greedy.indexOf(eos)));
    expect(result.finishReason).toBe('eos');
  });

  it('stops on a token sequence, never emitting any part of it (held back while it may still match)', async () => {
    const greedy = (await run({ maxNewTokens: 12, sampling: { temperature: 0 } })).ids;
    const stop = greedy.slice(5, 8);
    const firstAt = greedy.findIndex((_, i) => greedy.slice(i, i + 3).join() === stop.join());
    const { ids, result } = await run({ maxNewTokens: 12, sampling: { temperature: 0 }, stopSequences: [stop, [9999, 1]] });
    expect(ids).toEqual(greedy.slice(0, firstAt));
    expect(result).toEqual({ finishReason: 'stop', tokens: greedy.slice(0, firstAt) });
    // a stop sequence that only partly matches releases the held tokens at the end
    const partial = [...greedy.slice(10, 12), 9999];
    expect((await run({ maxNewTokens: 12, sampling: { temperature: 0 }, stopSequences: [partial] })).ids).toEqual(greedy);
  });

  it('stops on a stop string through decode', async () => {
    const decode = (ids: readonly number[]): string => ids.map((i) => String.fromCharCode(97 + (i % 26))).join('');
    const greedy = (await run({ maxNewTokens: 12, sampling: { temperature: 0 } })).ids;
    const text = decode(greedy);
    const stop = text.slice(6, 9);
    const { ids, result } = await run({ maxNewTokens: 12, sampling: { temperature: 0 }, stopStrings: [stop], decode });
    expect(decode(ids)).toBe(text.slice(0, text.indexOf(stop)));
    expect(result.finishReason).toBe('stop');
    await expect(run({ maxNewTokens: 2, stopStrings: ['x'] })).rejects.toThrow(/decode/);
  });

  it('cancel: an aborted signal ends the stream with finishReason abort', async () => {
    const ctrl = new AbortController();
    const it = generate(model, prompt, { maxNewTokens: 50, sampling: { temperature: 0 }, signal: ctrl.signal });
    const got: number[] = [];
    for await (const id of it) {
      got.push(id);
      if (got.length === 3) ctrl.abort();
    }
    expect(got.length).toBe(3);
    const again = generate(model, prompt, { maxNewTokens: 50, signal: ctrl.signal });
    expect(await again.next()).toEqual({ done: true, value: { finishReason: 'abort', tokens: [] } });
  });

  it('continues a conversation in a given sequence and stops when its context is full', async () => {
    const seq = model.createSequence(8);
    const { ids, result } = await run({ maxNewTokens: 20, sampling: { temperature: 0 }, seq });
    expect(result.finishReason).toBe('context');
    expect(ids.length).toBe(6);
    expect(seq.length).toBe(8);
    await expect(run({ maxNewTokens: 2, seq })).rejects.toMatchObject({ code: 'engine/context-full' });
    seq.dispose();
  });
});
