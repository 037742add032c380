import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_PRIOR_PROMPTS, PRIOR_ANSWER_TOKENS } from '../../../core/trainSettings.ts';
import type { TokenizerConfig } from '../../../engine/chat/chatTemplate.ts';
import { PRIOR_SOURCE, priorPrompts } from '../../../engine/train/priorPreservation.ts';
import { loadTokenizer } from '../../../engine/tokenizer/tokenizer.ts';
import { TributaryDB } from '../../../store/db.ts';
import type { RunPrior } from '../../../store/trainingRuns.ts';
import { SETTINGS, seedData } from './training.testkit.ts';
import { NO_TEMPLATE_REASON, buildTrainingSet, priorPlanOf, unansweredPrompts, withPriorExamples, type ExampleModel } from './trainingSet.ts';

// the real demo model's tokenizer, template and system prompt (public/models/tributary-demo)
const DEMO = 'public/models/tributary-demo/';
const demo: ExampleModel = {
  tokenizer: loadTokenizer(readFileSync(`${DEMO}tokenizer.json`, 'utf8')),
  tokenizerConfig: JSON.parse(readFileSync(`${DEMO}tokenizer_config.json`, 'utf8')) as TokenizerConfig,
  systemPrompt: (JSON.parse(readFileSync(`${DEMO}demo.json`, 'utf8')) as { systemPrompt: string | null }).systemPrompt,
};
const S = { ...SETTINGS, priorPrompts: 4 };

async function breadSet(settings = S) {
  const db = new TributaryDB(`set-${crypto.randomUUID()}`);
  await seedData(db);
  return buildTrainingSet(db, demo, ['dn-bread'], settings);
}

const answered = (prior: RunPrior, answers: string[]): RunPrior => ({ ...prior, answers });
const decode = (ids: Iterable<number>): string => demo.tokenizer.decode([...ids]);

describe('training set: prior preservation', () => {
  it('the form allows exactly as many questions as there are', () => {
    expect(priorPrompts(1e6, 1)).toHaveLength(MAX_PRIOR_PROMPTS);
  });

  it("asks the run's seeded general questions; none when set to 0; skipped, with the reason, for a model without a chat template", () => {
    const plan = priorPlanOf(demo, S)!;
    expect(plan).toEqual({ prompts: priorPrompts(4, S.seed), answers: [], maxTokens: PRIOR_ANSWER_TOKENS, skipped: null });
    expect(unansweredPrompts(plan)).toEqual(plan.prompts);
    expect(unansweredPrompts(answered(plan, ['a']))).toEqual(plan.prompts.slice(1));
    expect(priorPlanOf(demo, { ...S, seed: S.seed + 1 })!.prompts).not.toEqual(plan.prompts);
    expect(priorPlanOf(demo, { ...S, priorPrompts: 0 })).toBeNull();
    const { chat_template: _t, ...noTemplate } = demo.tokenizerConfig!;
    for (const tokenizerConfig of [null, noTemplate]) {
      const skipped = priorPlanOf({ tokenizerConfig }, S)!;
      expect(skipped).toMatchObject({ prompts: [], skipped: NO_TEMPLATE_REASON });
      expect(unansweredPrompts(skipped)).toEqual([]);
    }
    expect(NO_TEMPLATE_REASON).toMatch(/no chat template.*skipped/);
  });

  it("adds the base's answers to the TRAINING examples only: loss on the answer, the system prompt and template as the Datanet's examples, no contribution named", async () => {
    const set = await breadSet();
    expect(set.prior).toEqual({ examples: 0, tokens: 0 });
    const plan = priorPlanOf(demo, S)!;
    const answers = ['A tool you use every day.', 'It is made of parts.', '', 'People like it.'];
    const withPrior = withPriorExamples(set, demo, answered(plan, answers), S);
    // the empty answer gives no example
    expect(withPrior.prior.examples).toBe(3);
    expect(withPrior.train).toHaveLength(set.train.length + 3);
    expect(withPrior.train.slice(0, set.train.length)).toEqual(set.train);
    expect(withPrior.heldOut).toEqual(set.heldOut);
    const added = withPrior.train.slice(set.train.length);
    expect(added.map((e) => e.source)).toEqual([0, 1, 3].map((i) => ({ contributionId: PRIOR_SOURCE, passageIndex: i })));
    expect(withPrior.prior.tokens).toBe(added.reduce((n, e) => n + e.tokens.length, 0));
    expect(withPrior.tokens).toBe(set.tokens + withPrior.prior.tokens);
    // per-Datanet counts stay the Datanet's own
    expect(withPrior.datanets).toEqual(set.datanets);
    const first = added[0]!;
    expect(decode(Array.from(first.tokens).filter((_, i) => first.lossMask[i]))).toBe('A tool you use every day.<|im_end|>');
    const prompt = decode(Array.from(first.tokens).filter((_, i) => !first.lossMask[i]));
    expect(prompt).toContain(plan.prompts[0]);
    expect(prompt).toContain(demo.systemPrompt!);
    // the Datanet's chat examples open the same way (system prompt, template)
    const datanetPrompt = decode(Array.from(set.train[0]!.tokens).filter((_, i) => !set.train[0]!.lossMask[i]));
    expect(datanetPrompt.slice(0, datanetPrompt.indexOf(demo.systemPrompt!))).toBe(prompt.slice(0, prompt.indexOf(demo.systemPrompt!)));
    // the same answers give the same examples (what resuming relies on)
    expect(withPriorExamples(set, demo, answered(plan, answers), S).train).toEqual(withPrior.train);
  });

  it('changes nothing when off or skipped, and refuses to train before every question is answered', async () => {
    const set = await breadSet();
    expect(withPriorExamples(set, demo, null, S)).toBe(set);
    expect(withPriorExamples(set, demo, { prompts: [], answers: [], maxTokens: 64, skipped: NO_TEMPLATE_REASON }, S)).toBe(set);
    const plan = priorPlanOf(demo, S)!;
    expect(() => withPriorExamples(set, demo, answered(plan, ['one', 'two']), S)).toThrow(/answered 2 of 4 general questions/);
  });

  it('a question whose prompt fills the sequence length gives no example; the ones that fit stay, at their own index', async () => {
    const set = await breadSet();
    const plan = { prompts: ['Hi?', `Tell me about ${'the long history of the thing '.repeat(16)}?`, 'Why?'], answers: ['Hello there.', 'A long story.', 'Because.'], maxTokens: 64, skipped: null };
    const out = withPriorExamples(set, demo, plan, { seqLen: 64 });
    expect(out.train.slice(set.train.length).map((e) => e.source.passageIndex)).toEqual([0, 2]);
    expect(out.prior.examples).toBe(2);
  });
});
