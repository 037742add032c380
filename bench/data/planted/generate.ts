/**
 * Writes the planted-fact evaluation set (deterministic; run `npx tsx bench/data/planted/generate.ts`):
 * `PLANTED_SEED=<n> PLANTED_OUT=<dir>` writes a sibling set with other invented names, values and filler draws
 * (bench/data/planted-dev: seed 1, a sibling of the benchmark's set with other facts and names, to check that a rule
 * measured on the benchmark holds on data it was not measured on: `LDS_DATA=bench/data/planted-dev npm run bench -- lds`).
 *
 * - `data.jsonl`: `{"id","contributor","text"}` lines. Each FACT (fictional: invented people, places, things)
 *   is stated in exactly one contribution. Every fact has two look-alike distractors in other contributions,
 *   by other contributors: the same sentence pattern about a look-alike entity with another value, and the same
 *   entity with a different, unasked attribute (so retrieving by the prompt alone finds the wrong one too).
 * - `questions.jsonl`: `{"prompt","source"}`, `source` = the id of the contribution holding the fact.
 * - `unrelated.jsonl`: prompts about nothing in the Datanet (`{"prompt"}`, no source): the honesty check.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = process.env.PLANTED_OUT ? resolve(process.env.PLANTED_OUT) : dirname(fileURLToPath(import.meta.url));
let state = Number(process.env.PLANTED_SEED ?? 20261207) >>> 0;
const rand = (): number => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const ON = ['br', 'qu', 'z', 'th', 'v', 'k', 'l', 'm', 'dr', 'sk', 'p', 'gw'];
const NU = ['a', 'e', 'o', 'i', 'u', 'ae', 'ou'];
const CO = ['lt', 'rn', 'x', 'nd', 'sk', 'mb', 'rr', 'th', 'v', 'lm'];
const word = (syll: number): string => {
  let w = '';
  for (let i = 0; i < syll; i++) w += pick(ON) + pick(NU) + (i === syll - 1 ? pick(CO) : '');
  return w[0]!.toUpperCase() + w.slice(1);
};
const used = new Set<string>();
const fresh = (syll: number): string => {
  for (;;) {
    const w = word(syll);
    if (!used.has(w)) {
      used.add(w);
      return w;
    }
  }
};

const CONTRIBUTORS = [
  '0x1000000000000000000000000000000000000001',
  '0x2000000000000000000000000000000000000002',
  '0x3000000000000000000000000000000000000003',
  '0x4000000000000000000000000000000000000004',
  '0x5000000000000000000000000000000000000005',
];
const PLACE_KIND = ['Harbour', 'Hollow', 'Ford', 'Reach', 'Vale', 'Crossing'];
const THINGS = ['lantern', 'loom', 'compass', 'kettle', 'telescope', 'bellows', 'sextant', 'windmill'];
const INSTRUMENTS = ['viola', 'dulcimer', 'oboe', 'harp', 'zither', 'bassoon'];
const FILLER = [
  'Local records from that period are incomplete.',
  'Several accounts of this survive in the archive.',
  'The story is often retold by the older residents.',
  'Travellers mention it in letters home.',
  'Historians still argue about the details of the period.',
];

interface Fact {
  sentence: (e: string, v: string) => string;
  question: (e: string) => string;
  entity: () => string;
  value: () => string;
  other: (e: string) => string;
}
const place = (): string => `${fresh(2)} ${pick(PLACE_KIND)}`;
const person = (): string => `${fresh(2)} ${fresh(2)}`;
const FACTS: Fact[] = [
  { entity: person, value: place, sentence: (e, v) => `${e} was born in ${v}.`, question: (e) => `Where was ${e} born?`, other: (e) => `${e} later kept a small shop near the ${pick(THINGS)} market.` },
  { entity: () => `${fresh(2)} ${pick(THINGS)}`, value: person, sentence: (e, v) => `The ${e} was invented by ${v} in ${1700 + Math.floor(rand() * 250)}.`, question: (e) => `Who invented the ${e}?`, other: (e) => `The ${e} is still shown in a glass case at the museum.` },
  { entity: () => fresh(3), value: place, sentence: (e, v) => `The ${e} festival is held every spring in ${v}.`, question: (e) => `Where is the ${e} festival held?`, other: (e) => `The ${e} festival lasts three days and ends with a long procession.` },
  { entity: () => fresh(2), value: () => fresh(3), sentence: (e, v) => `The river ${e} flows into Lake ${v}.`, question: (e) => `Into which lake does the river ${e} flow?`, other: (e) => `The river ${e} freezes over in the coldest winters.` },
  { entity: person, value: () => pick(INSTRUMENTS), sentence: (e, v) => `${e} played the ${v} in the town orchestra.`, question: (e) => `Which instrument did ${e} play?`, other: (e) => `${e} wrote a short book about the town orchestra.` },
];

/** A look-alike of an entity: one of its words kept, the other replaced. */
function lookAlike(e: string): string {
  const parts = e.split(' ');
  if (parts.length === 1) return fresh(parts[0]!.length > 6 ? 3 : 2);
  const k = Math.floor(rand() * parts.length);
  return parts.map((w, i) => (i === k ? (/^[A-Z]/.test(w) ? fresh(2) : w) : w)).join(' ');
}

const data: { id: string; contributor: string; text: string }[] = [];
const questions: { prompt: string; source: string }[] = [];
let n = 0;
const add = (contributor: string, text: string): string => {
  const id = `c${String(++n).padStart(3, '0')}`;
  data.push({ id, contributor, text });
  return id;
};
for (let i = 0; i < 40; i++) {
  const f = FACTS[i % FACTS.length]!;
  const e = f.entity();
  const v = f.value();
  const who = i % CONTRIBUTORS.length;
  const filler = (): string => pick(FILLER);
  const id = add(CONTRIBUTORS[who]!, `${f.sentence(e, v)} ${filler()}`);
  add(CONTRIBUTORS[(who + 1) % CONTRIBUTORS.length]!, `${f.sentence(lookAlike(e), f.value())} ${filler()}`);
  add(CONTRIBUTORS[(who + 2) % CONTRIBUTORS.length]!, `${f.other(e)} ${filler()}`);
  questions.push({ prompt: f.question(e), source: id });
}
// shuffle contributions so that ids carry no order information for any method
for (let i = data.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [data[i], data[j]] = [data[j]!, data[i]!];
}
const unrelated = [
  'What is the boiling point of water at sea level?',
  'How many legs does a spider have?',
  'What is the capital of France?',
  'How do I sort a list in Python?',
  'What colour is the sky on a clear day?',
  'Who wrote Hamlet?',
  'What is two plus two?',
  'How far is the Moon from the Earth?',
  'What is photosynthesis?',
  'Name a primary colour.',
];
mkdirSync(here, { recursive: true });
const jsonl = (rows: object[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
writeFileSync(join(here, 'data.jsonl'), jsonl(data));
writeFileSync(join(here, 'questions.jsonl'), jsonl(questions));
writeFileSync(join(here, 'unrelated.jsonl'), jsonl(unrelated.map((prompt) => ({ prompt }))));
console.log(`wrote ${data.length} contributions, ${questions.length} questions, ${unrelated.length} unrelated prompts`);
