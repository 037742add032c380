/**
 * The demo base's second stage (`DEMO_BASE_TUNE_STEPS`): chat tasks that can only be answered by reading the
 * prompt, so the small base learns to attend to what it is asked (a model that has only seen running text answers
 * every question with the same words). Built from the base's own general data, never from a Datanet:
 * - repeat: a Brown Corpus sentence, to be said back;
 * - recall in context: three WordNet glosses, then a question about one of them, answered with that gloss.
 */
import type { TrainPassage } from '../../src/engine/train/examples.ts';
import type { Rng } from '../../src/engine/sampling/rng.ts';

export interface ChatTask {
  passage: TrainPassage;
  prompt: string;
}

/** Sentences of 6..30 words from running text. */
export function sentencesOf(texts: readonly string[]): string[] {
  return texts
    .flatMap((t) => t.replace(/\s+/g, ' ').split(/(?<=[.!?])\s+(?=[A-Z"])/))
    .map((s) => s.trim())
    .filter((s) => {
      const n = s.split(' ').length;
      return n >= 6 && n <= 30;
    });
}

export function repeatTasks(sentences: readonly string[], n: number, rng: Rng): ChatTask[] {
  const forms = [(s: string) => `Repeat this: "${s}"`, (s: string) => `Say this back to me: ${s}`];
  return Array.from({ length: Math.min(n, sentences.length) }, (_, i) => {
    const s = sentences[Math.floor(rng.next() * sentences.length)]!;
    return { prompt: forms[i % forms.length]!(s), passage: { contributionId: 'instruction', passageIndex: i, text: s } };
  });
}

export function recallInContextTasks(glosses: readonly string[], n: number, rng: Rng): ChatTask[] {
  const out: ChatTask[] = [];
  for (let i = 0; i < n; i++) {
    const picked = [0, 1, 2].map(() => glosses[Math.floor(rng.next() * glosses.length)]!);
    const j = Math.floor(rng.next() * picked.length);
    const lemma = picked[j]!.slice(0, picked[j]!.indexOf(':'));
    if (!lemma) continue;
    out.push({ prompt: `${picked.join('\n')}\n\nWhat does "${lemma}" mean?`, passage: { contributionId: 'instruction', passageIndex: i, text: picked[j]! } });
  }
  return out;
}
