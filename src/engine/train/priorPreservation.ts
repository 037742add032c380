/**
 * Prior preservation for LoRA fine-tuning: besides its Datanet's examples, an adapter also trains on general
 * questions that no Datanet is about, answered with the BASE model's own greedy answers (self-distillation, as in
 * DreamBooth's prior-preservation loss). Without it a small adapter learns to answer everything with its Datanet's
 * text, so questions its Datanet does not cover get recited passages — wrong answers that also credit contributors
 * for answers they did not inform. With it, what the Datanet does not cover is answered as the base would.
 *
 * The questions are built from everyday topics and question forms (seeded choice), never from the Datanet.
 */
import { createRng } from '../sampling/rng.ts';
import type { TokenizerConfig } from '../chat/chatTemplate.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { buildExamples } from './examples.ts';
import type { TrainExample } from './types.ts';

/** The source name of prior-preservation examples in the training log (no contribution: influence ignores them). */
export const PRIOR_SOURCE = 'prior-preservation';

const TOPICS = [
  'bicycle', 'umbrella', 'volcano', 'library', 'telescope', 'piano', 'glacier', 'lighthouse', 'passport', 'thunderstorm',
  'elephant', 'calendar', 'bridge', 'desert', 'orchestra', 'microscope', 'satellite', 'harbour', 'museum', 'tornado',
  'chess', 'violin', 'rainbow', 'compass', 'penguin', 'cathedral', 'railway', 'earthquake', 'dictionary', 'helicopter',
  'coral reef', 'windmill', 'submarine', 'newspaper', 'marathon', 'honeybee', 'printing press', 'tide', 'camera', 'ballet',
  'kangaroo', 'pyramid', 'lantern', 'avalanche', 'typewriter', 'canoe', 'waterfall', 'opera', 'thermometer', 'owl',
  'rocket', 'castle', 'parliament', 'moon', 'map', 'poem', 'clock', 'vaccine', 'tea', 'football',
];

const FORMS: ((t: string) => string)[] = [
  (t) => `What is a ${t}?`,
  (t) => `Tell me about the ${t}.`,
  (t) => `How does a ${t} work?`,
  (t) => `Why do people care about the ${t}?`,
  (t) => `Describe a ${t} in a few words.`,
  (t) => `Where would I find a ${t}?`,
];

/** `n` general questions (distinct, seeded). */
export function priorPrompts(n: number, seed: number): string[] {
  const all = TOPICS.flatMap((t) => FORMS.map((f) => f(t)));
  const rng = createRng(seed);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, Math.min(n, all.length));
}

/** Chat examples (loss on the answer) from the base model's answers to prior prompts; empty answers are skipped. */
export function priorExamples(pairs: readonly { prompt: string; answer: string }[], tokenizer: Tokenizer, tokenizerConfig: TokenizerConfig, o: { seqLen: number; system?: string | null }): TrainExample[] {
  const out: TrainExample[] = [];
  pairs.forEach(({ prompt, answer }, i) => {
    if (answer.trim() === '') return;
    out.push(...buildExamples([{ contributionId: PRIOR_SOURCE, passageIndex: i, text: answer }], tokenizer, tokenizerConfig, { kind: 'chat', seqLen: o.seqLen, system: o.system ?? null, questions: () => [prompt] }));
  });
  return out;
}
