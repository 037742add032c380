/**
 * Chat conversations (the `conversations` table, schema version 5): one record per conversation with its turns, so
 * reloading the page (online or offline) finds them again, and which one was open last (a setting). The Chat page
 * writes a turn when its question is sent and again when its answer ends; a trace that finishes later adds the
 * answer's attribution record hash. Every change is one transaction; a refused change (an empty name, an unknown
 * conversation) throws a `TributaryError` and writes nothing.
 */
import {
  NEW_CONVERSATION_TITLE,
  checkConversationTitle,
  reopenConversation,
  summarizeConversation,
  titleFromQuestion,
  type Conversation,
  type ConversationSummary,
  type ConversationTurn,
} from '../core/conversation.ts';
import { TributaryError } from '../core/errors.ts';
import type { Hex } from '../core/types.ts';
import type { TributaryDB } from './db.ts';
import { getSetting, setSetting } from './settings.ts';

/** Setting: the id of the conversation open last in the Chat page. */
export const LAST_CONVERSATION_KEY = 'chatLastConversation';

const notFound = (id: string): TributaryError =>
  new TributaryError('conversation/not-found', 'This conversation is no longer stored (it was deleted, maybe in another tab). Pick another one or start a new one.', id);

/** A fresh id: time-ordered prefix, random tail. */
export function newConversationId(now: number): string {
  return `conv-${now.toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Creates an empty conversation and makes it the last open one. */
export async function createConversation(db: TributaryDB, now: number, id: string = newConversationId(now)): Promise<Conversation> {
  const c: Conversation = { id, title: NEW_CONVERSATION_TITLE, renamed: false, turns: [], createdAt: now, updatedAt: now };
  await db.transaction('rw', db.conversations, db.settings, async () => {
    if (await db.conversations.get(id)) throw new TributaryError('conversation/invalid', 'A conversation with this id exists already.', id);
    await db.conversations.add(c);
    await setSetting(db, LAST_CONVERSATION_KEY, id);
  });
  return c;
}

/** Every conversation, last changed first, without turns. */
export async function listConversations(db: TributaryDB): Promise<ConversationSummary[]> {
  const all = await db.conversations.orderBy('updatedAt').reverse().toArray();
  return all.map(summarizeConversation);
}

/** One conversation as stored (answers a closed tab left half-written stay so; see `openConversation`). */
export function getConversation(db: TributaryDB, id: string): Promise<Conversation | undefined> {
  return db.conversations.get(id);
}

/**
 * Opens a conversation: remembers it as the last open one and returns it as this page shows it (answers left
 * half-written by a closed tab marked interrupted; the stored record is left as it is, since another tab may still be
 * writing that answer). `conversation/not-found` when it is gone.
 */
export async function openConversation(db: TributaryDB, id: string): Promise<Conversation> {
  const c = await db.transaction('rw', db.conversations, db.settings, async () => {
    const found = await db.conversations.get(id);
    if (!found) throw notFound(id);
    await setSetting(db, LAST_CONVERSATION_KEY, id);
    return found;
  });
  return reopenConversation(c);
}

/** After a reload: the conversation open last, as `openConversation` returns it; undefined when there is none or it was deleted. */
export async function restoreLastConversation(db: TributaryDB): Promise<Conversation | undefined> {
  const id = await getSetting<string>(db, LAST_CONVERSATION_KEY);
  const c = typeof id === 'string' ? await db.conversations.get(id) : undefined;
  return c && reopenConversation(c);
}

/** Renames a conversation. An empty or too long name is refused (`conversation/invalid`) and nothing changes. */
export async function renameConversation(db: TributaryDB, id: string, title: string, now: number): Promise<Conversation> {
  const checked = checkConversationTitle(title);
  return db.transaction('rw', db.conversations, async () => {
    const c = await db.conversations.get(id);
    if (!c) throw notFound(id);
    const next = { ...c, title: checked, renamed: true, updatedAt: now };
    await db.conversations.put(next);
    return next;
  });
}

/** Deletes a conversation (and forgets it as the last open one). `conversation/not-found` when it is gone. */
export async function deleteConversation(db: TributaryDB, id: string): Promise<void> {
  await db.transaction('rw', db.conversations, db.settings, async () => {
    if (!(await db.conversations.get(id))) throw notFound(id);
    await db.conversations.delete(id);
    if ((await getSetting(db, LAST_CONVERSATION_KEY)) === id) await db.settings.delete(LAST_CONVERSATION_KEY);
  });
}

/**
 * Adds a turn, or replaces the turn with the same id (its answer ended, or was regenerated). The first question names
 * a conversation nobody renamed. The question of a turn is never empty (`conversation/invalid`).
 */
export async function putTurn(db: TributaryDB, id: string, turn: ConversationTurn, now: number): Promise<Conversation> {
  if (turn.user.trim() === '') throw new TributaryError('conversation/invalid', 'A question cannot be empty.', id);
  return db.transaction('rw', db.conversations, async () => {
    const c = await db.conversations.get(id);
    if (!c) throw notFound(id);
    const at = c.turns.findIndex((t) => t.id === turn.id);
    const turns = at === -1 ? [...c.turns, turn] : c.turns.map((t, i) => (i === at ? turn : t));
    const title = !c.renamed && turns.length > 0 ? titleFromQuestion(turns[0]!.user) : c.title;
    const next = { ...c, turns, title, updatedAt: now };
    await db.conversations.put(next);
    return next;
  });
}

/**
 * Notes the attribution record of the answer with request id `requestId` (traced after its stream ended). Nothing
 * happens when the conversation or the answer is gone (deleted meanwhile, or regenerated: a new request id).
 */
export async function setAnswerAttribution(db: TributaryDB, id: string, requestId: string, recordHash: Hex): Promise<boolean> {
  return db.transaction('rw', db.conversations, async () => {
    const c = await db.conversations.get(id);
    const at = c?.turns.findIndex((t) => t.answer.requestId === requestId) ?? -1;
    if (!c || at === -1) return false;
    const turns = c.turns.map((t, i) => (i === at ? { ...t, answer: { ...t.answer, attribution: { recordHash } } } : t));
    await db.conversations.put({ ...c, turns });
    return true;
  });
}
