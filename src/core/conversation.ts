/**
 * A chat conversation as it is kept (IndexedDB, store/conversations) and exported (JSON): its questions, and each
 * answer with what produced it — the model, the adapter, the sampling settings, the backend — and, once the answer
 * was traced, the hash of its attribution record. Pure: titles, checks, the export document, and what a conversation
 * reloaded after a closed tab looks like.
 */
import { TributaryError } from './errors.ts';
import type { Hex } from './types.ts';

/** The engine backend that wrote an answer (engine/backend's BackendName). */
export type AnswerBackend = 'webgpu' | 'cpu';
/** Why the answer ended (engine/model/generate's FinishReason). */
export type AnswerFinish = 'eos' | 'stop' | 'length' | 'context' | 'abort';

/** The sampling settings an answer was asked with. */
export interface AnswerSettings {
  temperature: number;
  topP: number;
  topK: number;
  maxTokens: number;
  /** the seed asked for; null = a random one (the seed used is the answer's `seed`) */
  seed: number | null;
}

/** An error kept with an answer: what the user saw. */
export interface AnswerError {
  code?: string | undefined;
  message: string;
}

export interface ConversationAnswer {
  /** the engine request id; also the attribution record's `answerId` */
  requestId: string;
  text: string;
  status: 'waiting' | 'streaming' | 'done' | 'error';
  /** the loaded model's id (ModelInfo.id) and label when asked */
  modelId: string | null;
  modelLabel: string | null;
  adapterId: string | null;
  adapterName: string | null;
  settings: AnswerSettings | null;
  backend: AnswerBackend | null;
  generated: number;
  tokensPerSecond: number | null;
  promptTokens: number;
  droppedMessages: number;
  /** the seed used */
  seed: number | null;
  finishReason: AnswerFinish | null;
  /** the answer's attribution record, once traced */
  attribution: { recordHash: Hex } | null;
  error: AnswerError | null;
  /** when the answer was asked for (ms since the epoch) */
  askedAt: number;
}

export interface ConversationTurn {
  /** unique within its conversation */
  id: number;
  user: string;
  answer: ConversationAnswer;
}

export interface Conversation {
  id: string;
  title: string;
  /** true once the user named it: the first question no longer names it */
  renamed: boolean;
  turns: ConversationTurn[];
  createdAt: number;
  updatedAt: number;
}

/** What the list shows: a conversation without its turns. */
export interface ConversationSummary {
  id: string;
  title: string;
  questions: number;
  createdAt: number;
  updatedAt: number;
}

export const NEW_CONVERSATION_TITLE = 'New conversation';
export const MAX_TITLE_LENGTH = 120;
/** Length of a title taken from the first question. */
const AUTO_TITLE_LENGTH = 60;

/**
 * A title a person typed, trimmed; refused (`conversation/invalid`, nothing changes) when empty, too long, or made
 * of control characters.
 */
export function checkConversationTitle(raw: string): string {
  const title = raw.replace(/\s+/g, ' ').trim();
  if (title === '') throw new TributaryError('conversation/invalid', 'A conversation needs a name: type at least one letter or digit. The name was not changed.');
  if (title.length > MAX_TITLE_LENGTH) {
    throw new TributaryError('conversation/invalid', `A conversation name may have at most ${MAX_TITLE_LENGTH} characters (this one has ${title.length}). The name was not changed.`);
  }
  // eslint-disable-next-line no-control-regex -- control characters are what is refused here
  if (/[\u0000-\u001f\u007f]/.test(title)) throw new TributaryError('conversation/invalid', 'A conversation name cannot contain control characters. The name was not changed.');
  return title;
}

/** The title a conversation gets from its first question: its first line, cut at a word near 60 characters. */
export function titleFromQuestion(question: string): string {
  const line = question.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
  const flat = line.replace(/\s+/g, ' ');
  if (flat === '') return NEW_CONVERSATION_TITLE;
  if (flat.length <= AUTO_TITLE_LENGTH) return flat;
  const cut = flat.slice(0, AUTO_TITLE_LENGTH);
  const space = cut.lastIndexOf(' ');
  return `${(space > AUTO_TITLE_LENGTH / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** A summary for the list. */
export function summarizeConversation(c: Conversation): ConversationSummary {
  return { id: c.id, title: c.title, questions: c.turns.length, createdAt: c.createdAt, updatedAt: c.updatedAt };
}

/** The id the next turn of `c` gets. */
export function nextTurnId(c: Pick<Conversation, 'turns'>): number {
  return c.turns.reduce((m, t) => Math.max(m, t.id), 0) + 1;
}

/** An answer that was being written when its tab closed: kept as an error the user can act on (Regenerate). */
export const INTERRUPTED: AnswerError = {
  code: 'conversation/interrupted',
  message: 'This answer was cut off: the page was closed or reloaded while it was being written. Press Regenerate to ask again.',
};

/** `c` as reopened: answers left waiting or streaming by a closed tab are marked interrupted (their text kept). */
export function reopenConversation(c: Conversation): Conversation {
  if (!c.turns.some((t) => t.answer.status === 'waiting' || t.answer.status === 'streaming')) return c;
  return {
    ...c,
    turns: c.turns.map((t) => (t.answer.status === 'waiting' || t.answer.status === 'streaming' ? { ...t, answer: { ...t.answer, status: 'error', error: INTERRUPTED } } : t)),
  };
}

export const CONVERSATION_EXPORT_FORMAT = 'tributary.conversation';
export const CONVERSATION_EXPORT_VERSION = 1;

/** The JSON document a conversation is exported as. */
export interface ConversationExport {
  format: typeof CONVERSATION_EXPORT_FORMAT;
  version: typeof CONVERSATION_EXPORT_VERSION;
  exportedAt: string;
  conversation: {
    id: string;
    title: string;
    createdAt: string;
    updatedAt: string;
    turns: { question: string; answer: Omit<ConversationAnswer, 'askedAt'> & { askedAt: string } }[];
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function conversationExport(c: Conversation, now: number): ConversationExport {
  return {
    format: CONVERSATION_EXPORT_FORMAT,
    version: CONVERSATION_EXPORT_VERSION,
    exportedAt: iso(now),
    conversation: {
      id: c.id,
      title: c.title,
      createdAt: iso(c.createdAt),
      updatedAt: iso(c.updatedAt),
      turns: c.turns.map((t) => ({ question: t.user, answer: { ...t.answer, askedAt: iso(t.answer.askedAt) } })),
    },
  };
}

/** `bread-dough-rising-2026-12-07.json`: the title as a file name, with the day it was last changed. */
export function conversationFileName(c: Pick<Conversation, 'title' | 'updatedAt'>): string {
  const slug =
    c.title
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60)
      .replace(/-+$/, '') || 'conversation';
  return `${slug}-${iso(c.updatedAt).slice(0, 10)}.json`;
}
