import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { attributionRecordHash } from '../core/attribution/record.ts';
import { sha256Text } from '../core/hash.ts';
import { attributeAnswer } from './attribute.ts';
import { buildDatanetIndex, type DatanetIndex } from './datanetIndex.ts';
import { parseDataJsonl, sourceFromDataLines } from './jsonlSource.ts';

const DIR = new URL('../../bench/data/planted/', import.meta.url);
const lines = parseDataJsonl(readFileSync(new URL('data.jsonl', DIR), 'utf8'));
const questions = readFileSync(new URL('questions.jsonl', DIR), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { prompt: string; source: string });
const unrelated = readFileSync(new URL('unrelated.jsonl', DIR), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { prompt: string }).prompt);
const { source, idOf } = sourceFromDataLines(lines, 'dn-00000000000000aa');
const textOf = new Map(lines.map((l) => [l.id, l.text]));
const model = { id: 'test-model', hash: sha256Text('m') };

let index: DatanetIndex;
const ready = buildDatanetIndex(source).then((ix) => (index = ix));

/** What a model that learned the fact says: the fact's sentence (first sentence of its contribution). */
const factOf = (id: string): string => textOf.get(id)!.split('. ')[0]! + '.';

describe('attributeAnswer on the planted-fact set (answer-side evidence, no model)', () => {
  it('credits the contribution holding the fact the answer states, for every question', async () => {
    await ready;
    let hits = 0;
    for (const q of questions) {
      const r = await attributeAnswer({ prompt: q.prompt, answer: factOf(q.source), model, adapter: null, indexes: [index] });
      const top = r.record.credits[0];
      if (top && idOf.get(top.contributionId) === q.source) hits++;
      const sum = r.record.credits.reduce((s, c) => s + c.weightPpm, 0) + r.record.unattributedPpm;
      expect(sum).toBe(1_000_000);
      expect(() => attributionRecordHash(r.record)).not.toThrow();
    }
    expect(hits / questions.length).toBeGreaterThanOrEqual(0.95);
  });

  it('follows what the answer SAID: the same prompt answered with the look-alike\'s fact credits the look-alike', async () => {
    await ready;
    // the distractor of the first fact: same pattern, another value (find it by the first fact's pattern)
    const q = questions[0]!;
    const fact = factOf(q.source);
    const rival = lines.find((l) => l.id !== q.source && l.text.includes(' was born in ') && !l.text.startsWith(fact.split(' was born in ')[0]!))!;
    const rivalFact = rival.text.split('. ')[0]! + '.';
    const a = await attributeAnswer({ prompt: q.prompt, answer: fact, model, adapter: null, indexes: [index] });
    const b = await attributeAnswer({ prompt: q.prompt, answer: rivalFact, model, adapter: null, indexes: [index] });
    expect(idOf.get(a.record.credits[0]!.contributionId)).toBe(q.source);
    expect(idOf.get(b.record.credits[0]!.contributionId)).toBe(rival.id);
  });

  it('credits nobody for an answer that only repeats the prompt, or says nothing the Datanet holds', async () => {
    await ready;
    const q = questions[2]!;
    const echo = await attributeAnswer({ prompt: q.prompt, answer: q.prompt, model, adapter: null, indexes: [index] });
    expect(echo.record.unattributedPpm).toBe(1_000_000);
    let unattributed = 0;
    const answers = ['Water boils at one hundred degrees Celsius.', 'A spider has eight legs.', 'Paris is the capital of France.', 'Use the sorted function.', 'Shakespeare wrote Hamlet.'];
    for (const [i, answer] of answers.entries()) {
      const r = await attributeAnswer({ prompt: unrelated[i]!, answer, model, adapter: null, indexes: [index] });
      unattributed += r.record.unattributedPpm / 1e6;
    }
    expect(unattributed / answers.length).toBeGreaterThanOrEqual(0.8);
  });

  it('influence: training examples that name no contribution of the Datanets (prior preservation) change nothing', async () => {
    await ready;
    const q = questions[3]!;
    const ids = lines.map((l) => [...idOf.entries()].find(([, v]) => v === l.id)![0]);
    const scores = new Map(ids.map((c, i) => [c, (i * 37) % 11] as [`0x${string}`, number]));
    const run = async (extra: [string, number][]) => {
      const byContribution = new Map([...scores, ...extra]) as Map<`0x${string}`, number>;
      return (await attributeAnswer({ prompt: q.prompt, answer: factOf(q.source), model, adapter: null, indexes: [index], influence: { kind: 'tracin', byContribution, params: {} } })).record;
    };
    const without = await run([]);
    // many high scores outside the Datanets: counted in the median they would shift every contribution's score
    const withPrior = await run([['prior-preservation', 1e6], ...Array.from({ length: 60 }, (_, i) => [`0xff${i.toString(16).padStart(62, '0')}`, 50 + i] as [string, number])]);
    expect(withPrior).toEqual(without);
  });

    it('is deterministic: the same inputs give the same record hash', async () => {
    await ready;
    const q = questions[5]!;
    const run = async () => attributionRecordHash((await attributeAnswer({ prompt: q.prompt, answer: factOf(q.source), model, adapter: null, indexes: [index] })).record);
    expect(await run()).toBe(await run());
  });
});
