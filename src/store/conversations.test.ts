import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { INTERRUPTED, type ConversationAnswer, type ConversationTurn } from '../core/conversation.ts';
import { TributaryDB } from './db.ts';
import {
  LAST_CONVERSATION_KEY,
  createConversation,
  deleteConversation,
  getConversation,
  listConversations,
  openConversation,
  putTurn,
  renameConversation,
  restoreLastConversation,
  setAnswerAttribution,
} from './conversations.ts';
import { getSetting } from './settings.ts';

const freshDb = () => new TributaryDB(`conv-${crypto.randomUUID()}`);
const HASH = `0x${'ab'.repeat(32)}` as const;

function answer(requestId: string, over: Partial<ConversationAnswer> = {}): ConversationAnswer {
  return {
    requestId,
    text: 'Let it rise until doubled.',
    status: 'done',
    modelId: 'tributary-demo',
    modelLabel: 'Tributary demo',
    adapterId: 'bread',
    adapterName: 'Bread baking',
    settings: { temperature: 0.7, topP: 0.9, topK: 40, maxTokens: 48, seed: 42 },
    backend: 'webgpu',
    generated: 12,
    tokensPerSecond: 33.5,
    promptTokens: 20,
    droppedMessages: 0,
    seed: 42,
    finishReason: 'length',
    attribution: null,
    error: null,
    askedAt: 5,
    ...over,
  };
}

const turn = (id: number, user: string, a: ConversationAnswer): ConversationTurn => ({ id, user, answer: a });

describe('conversations store', () => {
  it('keeps a conversation with each answer’s model, adapter, settings and backend; the first question names it', async () => {
    const db = freshDb();
    const c = await createConversation(db, 1);
    expect(c.title).toBe('New conversation');
    await putTurn(db, c.id, turn(1, 'How long should bread dough rise?', answer('r1', { status: 'waiting', text: '' })), 2);
    await putTurn(db, c.id, turn(1, 'How long should bread dough rise?', answer('r1')), 3);
    await putTurn(db, c.id, turn(2, 'And on the CPU?', answer('r2', { backend: 'cpu', adapterId: null, adapterName: null, settings: { temperature: 0, topP: 1, topK: 0, maxTokens: 8, seed: null } })), 4);
    const stored = await getConversation(db, c.id);
    expect(stored?.title).toBe('How long should bread dough rise?');
    expect(stored?.turns.map((t) => t.answer.requestId)).toEqual(['r1', 'r2']);
    expect(stored?.turns[0]?.answer).toMatchObject({ status: 'done', modelId: 'tributary-demo', adapterId: 'bread', backend: 'webgpu', settings: { seed: 42, maxTokens: 48 } });
    expect(stored?.turns[1]?.answer).toMatchObject({ backend: 'cpu', adapterId: null, settings: { temperature: 0, seed: null } });
    expect(stored?.updatedAt).toBe(4);
    expect(await listConversations(db)).toEqual([{ id: c.id, title: 'How long should bread dough rise?', questions: 2, createdAt: 1, updatedAt: 4 }]);
  });

  it('lists the last changed first and remembers the one opened last', async () => {
    const db = freshDb();
    const a = await createConversation(db, 1);
    const b = await createConversation(db, 2);
    expect((await listConversations(db)).map((x) => x.id)).toEqual([b.id, a.id]);
    await putTurn(db, a.id, turn(1, 'Compost?', answer('r1')), 3);
    expect((await listConversations(db)).map((x) => x.id)).toEqual([a.id, b.id]);
    expect(await getSetting(db, LAST_CONVERSATION_KEY)).toBe(b.id);
    await openConversation(db, a.id);
    expect((await restoreLastConversation(db))?.id).toBe(a.id);
  });

  it('renames; an empty, blank or too long name is refused with a clear message and changes nothing', async () => {
    const db = freshDb();
    const c = await createConversation(db, 1);
    await putTurn(db, c.id, turn(1, 'Compost?', answer('r1')), 2);
    const renamed = await renameConversation(db, c.id, '  My   compost notes ', 3);
    expect(renamed).toMatchObject({ title: 'My compost notes', renamed: true, updatedAt: 3 });
    for (const bad of ['', '   ', '\n\t', 'x'.repeat(121)]) {
      await expect(renameConversation(db, c.id, bad, 9)).rejects.toMatchObject({ code: 'conversation/invalid' });
    }
    await expect(renameConversation(db, c.id, 'a\u0007b', 9)).rejects.toThrow(/control characters/);
    expect(await getConversation(db, c.id)).toMatchObject({ title: 'My compost notes', updatedAt: 3 });
    // a renamed conversation keeps its name when more questions come
    await putTurn(db, c.id, turn(2, 'Another question', answer('r2')), 4);
    expect((await getConversation(db, c.id))?.title).toBe('My compost notes');
    await expect(renameConversation(db, 'conv-missing', 'Name', 5)).rejects.toMatchObject({ code: 'conversation/not-found' });
  });

  it('deletes one conversation and forgets it as the last open; a missing one is named and nothing else changes', async () => {
    const db = freshDb();
    const a = await createConversation(db, 1);
    const b = await createConversation(db, 2);
    await deleteConversation(db, b.id);
    expect(await getConversation(db, b.id)).toBeUndefined();
    expect(await getSetting(db, LAST_CONVERSATION_KEY)).toBeUndefined();
    expect(await restoreLastConversation(db)).toBeUndefined();
    await expect(deleteConversation(db, b.id)).rejects.toMatchObject({ code: 'conversation/not-found' });
    expect((await listConversations(db)).map((x) => x.id)).toEqual([a.id]);
    await expect(putTurn(db, b.id, turn(1, 'Hello?', answer('r1')), 3)).rejects.toMatchObject({ code: 'conversation/not-found' });
    await expect(putTurn(db, a.id, turn(1, '   ', answer('r1')), 3)).rejects.toMatchObject({ code: 'conversation/invalid' });
    expect((await getConversation(db, a.id))?.turns).toEqual([]);
  });

  it('notes an answer’s attribution record hash; an answer regenerated meanwhile (or gone) is left alone', async () => {
    const db = freshDb();
    const c = await createConversation(db, 1);
    await putTurn(db, c.id, turn(1, 'Compost?', answer('r1')), 2);
    expect(await setAnswerAttribution(db, c.id, 'r1', HASH)).toBe(true);
    expect((await getConversation(db, c.id))?.turns[0]?.answer.attribution).toEqual({ recordHash: HASH });
    expect(await setAnswerAttribution(db, c.id, 'r-old', HASH)).toBe(false);
    expect(await setAnswerAttribution(db, 'conv-missing', 'r1', HASH)).toBe(false);
  });

  it('a reload shows an answer a closed tab left half-written as interrupted, keeping its text; the record is untouched', async () => {
    const db = freshDb();
    const c = await createConversation(db, 1);
    await putTurn(db, c.id, turn(1, 'Compost?', answer('r1')), 2);
    await putTurn(db, c.id, turn(2, 'More?', answer('r2', { status: 'streaming', text: 'Half an ans' })), 3);
    const back = await restoreLastConversation(db);
    expect(back?.turns[0]?.answer.status).toBe('done');
    expect(back?.turns[1]?.answer).toMatchObject({ status: 'error', text: 'Half an ans', error: INTERRUPTED });
    expect((await getConversation(db, c.id))?.turns[1]?.answer.status).toBe('streaming');
  });

  it('schema 5 adds the table and keeps the data of a version 4 database', async () => {
    const name = `conv-${crypto.randomUUID()}`;
    // the schema as version 4 shipped it (the stores of db.ts versions 1 to 4, flattened)
    const old = new Dexie(name);
    old.version(4).stores({
      datanets: 'id, owner, createdAt, *tags',
      contributions: 'id, datanetId, contributor, status, textHash, [datanetId+status], createdAt',
      chunks: '[contributionId+index], hash, datanetId, [datanetId+dedupeHash]',
      validations: 'id, contributionId, datanetId, validator, [contributionId+validator]',
      reputations: 'address',
      versions: '[datanetId+version], datanetId',
      identities: 'address, createdAt',
      uploads: '++id, [datanetId+contributor+day]',
      packs: 'manifestHash, datanetId',
      settings: 'key',
      models: 'id',
      adapters: 'id',
      trainingRuns: 'id',
      inferences: 'id',
      attributionRecords: 'hash, answerId, createdAt, *datanetIds, *contributionIds, *contributors',
      ledgerEntries: 'id, status, payer, chainId, datanetId, settlementId, createdAt, kind, subject, answerId, *recipients, [chainId+status], [chainId+payer+status]',
      settlements: 'id, status, chainId, payer, createdAt',
      claims: 'id, chainId, account, [chainId+account], createdAt',
    });
    await old.table('settings').put({ key: 'demoDataLoaded', value: true });
    await old.table('datanets').add({ id: 'dn-1', owner: '0x1', createdAt: 1, tags: [] });
    old.close();
    const db = new TributaryDB(name);
    expect(await getSetting(db, 'demoDataLoaded')).toBe(true);
    expect((await db.datanets.get('dn-1'))?.id).toBe('dn-1');
    const c = await createConversation(db, 7);
    expect((await listConversations(db)).map((x) => x.id)).toEqual([c.id]);
    expect(db.verno).toBeGreaterThanOrEqual(5);
    db.close();
  });
});
