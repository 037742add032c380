/**
 * Training examples from passages: instruction (chat) examples — a question about the passage, answered with the
 * passage text — with the loss only on the answer (and its end-of-turn token), or plain language-model examples
 * (loss on every token). The prompt and the answer are tokenized separately and concatenated, exactly as the
 * inference engine sees them (it encodes the chat prompt, then generates the answer).
 *
 * @example
 * const ex = buildExamples(passages, tokenizer, tokenizerConfig, { kind: 'chat', seqLen: 256, system: 'You are helpful.' });
 */
import { TributaryError } from '../../core/errors.ts';
import { applyChatTemplate, type ChatMessage, type TokenizerConfig } from '../chat/chatTemplate.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import type { ExampleSource, TrainExample } from './types.ts';

/** A passage of an accepted contribution. */
export interface TrainPassage extends ExampleSource {
  text: string;
  /** the contribution's title (e.g. its Markdown heading), used in questions */
  title?: string;
}

export interface ExampleOptions {
  /** `chat`: question → passage as the assistant's answer (loss on the answer); `lm`: the text itself (loss on all) */
  kind: 'chat' | 'lm';
  /** longer examples are cut (chat) or split into windows (lm) */
  seqLen: number;
  /** system prompt for chat examples (null: none) */
  system?: string | null;
  /** questions asked about a passage: one example per question (default `defaultQuestions`) */
  questions?: (p: TrainPassage) => string[];
}

/** The first sentence of a text (at most `maxWords` words), without Markdown heading marks. */
export function firstSentence(text: string, maxWords = 16): string {
  const flat = text.replace(/^#+\s*/gm, '').replace(/\s+/g, ' ').trim();
  const m = /^(.+?[.!?])(\s|$)/.exec(flat);
  const words = (m ? m[1]! : flat).split(' ');
  return words.slice(0, maxWords).join(' ') + (words.length > maxWords ? '…' : '');
}

/**
 * Two questions per passage: about its contribution's title, and about its own opening sentence (so a user who asks
 * about something a passage says gets that passage back).
 */
export function defaultQuestions(p: TrainPassage): string[] {
  const qs: string[] = [];
  if (p.title) qs.push(p.passageIndex === 0 ? `Tell me about ${p.title}.` : `Tell me more about ${p.title} (part ${p.passageIndex + 1}).`);
  qs.push(`What do you know about this: "${firstSentence(p.text)}"`);
  return qs;
}

const LEADING_FUNCTION_WORDS = new Set(['The', 'A', 'An', 'In', 'On', 'At', 'This', 'That', 'These', 'Those', 'It', 'Its', 'Our', 'My', 'Your', 'Their', 'His', 'Her', 'We', 'I', 'You', 'They', 'He', 'She', 'When', 'If', 'For', 'To', 'And', 'But', 'Or', 'As', 'After', 'Before', 'Each', 'Every', 'Some', 'Most', 'Many']);

/** Named things a passage talks about: runs of capitalised words (a sentence's leading function word dropped). */
export function namedEntities(text: string, max = 3): string[] {
  const flat = text.replace(/^#+\s*/gm, '').replace(/\s+/g, ' ').trim();
  const out: string[] = [];
  for (const sentence of flat.split(/(?<=[.!?])\s+/)) {
    const words = sentence.split(' ');
    let run: string[] = [];
    const flush = (): void => {
      while (run.length > 0 && LEADING_FUNCTION_WORDS.has(run[0]!)) run.shift();
      const name = run.join(' ');
      if (name.length > 1 && !out.includes(name)) out.push(name);
      run = [];
    };
    for (const raw of words) {
      const w = raw.replace(/^[("'“‘]+|[)"'”’.,;:!?]+$/g, '');
      if (/^\p{Lu}[\p{L}\p{N}'’-]*$/u.test(w)) {
        run.push(w);
        if (w !== raw.replace(/^[("'“‘]+/, '')) flush(); // punctuation after the word ends the name
      } else flush();
    }
    flush();
    if (out.length >= max) break;
  }
  return out.slice(0, max);
}

/**
 * Questions that teach recall of a passage from what a user would ask with: the defaults, one question per named
 * thing in it ("What do you know about Ada Lovelace?"), and the opening words of its first sentences to complete
 * (`Complete: "The mill was built by"`), so the passage is learnt as the answer to prompts that name its subject and
 * its relation but not its content.
 */
export function recallQuestions(p: TrainPassage): string[] {
  const qs = defaultQuestions(p);
  for (const name of namedEntities(p.text)) qs.push(`What do you know about ${name}?`);
  const flat = p.text.replace(/^#+\s*/gm, '').replace(/\s+/g, ' ').trim();
  for (const sentence of flat.split(/(?<=[.!?])\s+/).slice(0, 2)) {
    const words = sentence.split(' ');
    if (words.length < 4) continue;
    qs.push(`Complete: "${words.slice(0, Math.ceil(words.length * 0.6)).join(' ')}"`);
  }
  return qs;
}

function lmWindows(tokens: number[], seqLen: number): number[][] {
  if (tokens.length <= seqLen) return [tokens];
  const out: number[][] = [];
  for (let s = 0; s < tokens.length - 1; s += seqLen - 1) out.push(tokens.slice(s, s + seqLen));
  return out;
}

export function buildExamples(passages: readonly TrainPassage[], tokenizer: Tokenizer, tokenizerConfig: TokenizerConfig, o: ExampleOptions): TrainExample[] {
  if (passages.length === 0) throw new TributaryError('train/no-examples', 'There is nothing to train on: the chosen Datanets have no accepted contributions.');
  if (!Number.isInteger(o.seqLen) || o.seqLen < 2) throw new TributaryError('train/config', `must be a whole number ≥ 2 (got ${o.seqLen}).`, 'seqLen');
  const out: TrainExample[] = [];
  const eosText = typeof tokenizerConfig.eos_token === 'string' ? tokenizerConfig.eos_token : tokenizerConfig.eos_token?.content;
  for (const p of passages) {
    const source: ExampleSource = { contributionId: p.contributionId, passageIndex: p.passageIndex, ...(p.datanetId ? { datanetId: p.datanetId } : {}) };
    if (o.kind === 'lm') {
      const ids = tokenizer.encode(p.text);
      if (eosText) {
        const eos = tokenizer.tokenToId(eosText);
        if (eos !== undefined) ids.push(eos);
      }
      for (const w of lmWindows(ids, o.seqLen)) out.push({ tokens: Int32Array.from(w), lossMask: new Uint8Array(w.length).fill(1), source });
      continue;
    }
    for (const q of (o.questions ?? defaultQuestions)(p)) {
      const messages: ChatMessage[] = [...(o.system ? [{ role: 'system', content: o.system }] : []), { role: 'user', content: q }];
      const prompt = applyChatTemplate(tokenizerConfig, messages, { addGenerationPrompt: true });
      const full = applyChatTemplate(tokenizerConfig, [...messages, { role: 'assistant', content: p.text }]);
      if (!full.startsWith(prompt)) throw new TributaryError('chat/template', 'The chat template does not render the prompt as a prefix of the conversation, so answer tokens cannot be told apart.');
      const answer = full.slice(prompt.length);
      const pIds = tokenizer.encode(prompt);
      // the answer's loss covers its text and the end-of-turn token, not what the template prints after it
      let trained = answer;
      if (eosText && answer.includes(eosText)) trained = answer.slice(0, answer.lastIndexOf(eosText) + eosText.length);
      const aIds = tokenizer.encode(trained);
      const tokens = [...pIds, ...aIds].slice(0, o.seqLen);
      const mask = new Uint8Array(tokens.length);
      for (let i = pIds.length; i < tokens.length; i++) mask[i] = 1;
      if (pIds.length >= tokens.length) continue; // the prompt alone fills the window: nothing to learn
      out.push({ tokens: Int32Array.from(tokens), lossMask: mask, source });
    }
  }
  if (out.length === 0) throw new TributaryError('train/no-examples', `No example fits in ${o.seqLen} tokens: raise the sequence length.`);
  return out;
}
