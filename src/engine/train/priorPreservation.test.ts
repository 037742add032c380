import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TokenizerConfig } from '../chat/chatTemplate.ts';
import { loadTokenizer } from '../tokenizer/tokenizer.ts';
import { PRIOR_SOURCE, priorExamples, priorPrompts } from './priorPreservation.ts';

const DEMO = 'public/models/tributary-demo/';
const tok = loadTokenizer(readFileSync(`${DEMO}tokenizer.json`, 'utf8'));
const cfg = JSON.parse(readFileSync(`${DEMO}tokenizer_config.json`, 'utf8')) as TokenizerConfig;

describe('prior preservation', () => {
  it('general questions: distinct, seeded, capped at what the topics and forms give', () => {
    const a = priorPrompts(40, 7);
    expect(a).toHaveLength(40);
    expect(new Set(a).size).toBe(40);
    expect(priorPrompts(40, 7)).toEqual(a);
    expect(priorPrompts(40, 8)).not.toEqual(a);
    const all = priorPrompts(1e6, 1);
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBeLessThan(1e6);
  });
  it("examples train only the base's answer (and its end of turn), name no contribution, and skip empty answers", () => {
    const ex = priorExamples(
      [
        { prompt: 'What is a bicycle?', answer: 'A bicycle is a vehicle with two wheels.' },
        { prompt: 'What is a tide?', answer: '   ' },
      ],
      tok,
      cfg,
      { seqLen: 256, system: 'You are the Tributary demo model.' },
    );
    expect(ex).toHaveLength(1);
    expect(ex[0]!.source).toEqual({ contributionId: PRIOR_SOURCE, passageIndex: 0 });
    expect(tok.decode(Array.from(ex[0]!.tokens).filter((_, i) => ex[0]!.lossMask[i]))).toBe('A bicycle is a vehicle with two wheels.<|im_end|>');
    expect(tok.decode(Array.from(ex[0]!.tokens).filter((_, i) => !ex[0]!.lossMask[i]))).toContain('What is a bicycle?');
  });
});
