import { describe, expect, it } from 'vitest';
import {
  CONVERSATION_EXPORT_FORMAT,
  INTERRUPTED,
  checkConversationTitle,
  conversationExport,
  conversationFileName,
  nextTurnId,
  reopenConversation,
  titleFromQuestion,
  type Conversation,
  type ConversationAnswer,
} from './conversation.ts';

const answer = (over: Partial<ConversationAnswer> = {}): ConversationAnswer => ({
  requestId: 'r1',
  text: 'Doubled in size.',
  status: 'done',
  modelId: 'tributary-demo',
  modelLabel: 'Demo',
  adapterId: null,
  adapterName: null,
  settings: { temperature: 0.7, topP: 0.9, topK: 40, maxTokens: 48, seed: null },
  backend: 'cpu',
  generated: 3,
  tokensPerSecond: 12,
  promptTokens: 9,
  droppedMessages: 0,
  seed: 99,
  finishReason: 'eos',
  attribution: null,
  error: null,
  askedAt: Date.UTC(2026, 11, 7, 10),
  ...over,
});

const conv = (turns: Conversation['turns']): Conversation => ({ id: 'c1', title: 'Bread: rising & résumé!', renamed: false, turns, createdAt: Date.UTC(2026, 11, 6), updatedAt: Date.UTC(2026, 11, 7, 12) });

describe('conversation titles', () => {
  it('trims and collapses spaces; refuses empty, blank, too long or control characters', () => {
    expect(checkConversationTitle('  Bread   notes ')).toBe('Bread notes');
    expect(() => checkConversationTitle('')).toThrow(/needs a name/);
    expect(() => checkConversationTitle(' \t ')).toThrow(/needs a name/);
    expect(() => checkConversationTitle('x'.repeat(121))).toThrow(/at most 120 characters \(this one has 121\)/);
    expect(checkConversationTitle('x'.repeat(120))).toHaveLength(120);
    expect(() => checkConversationTitle('a\u0000b')).toThrow(/control characters/);
  });

  it('takes the first non-empty line of the first question, cut at a word', () => {
    expect(titleFromQuestion('\n  How long should dough rise?\nMore text')).toBe('How long should dough rise?');
    const long = 'What is the best way to keep a compost heap warm through a long and cold winter season';
    const t = titleFromQuestion(long);
    expect(t.endsWith('…')).toBe(true);
    expect(t.length).toBeLessThanOrEqual(61);
    expect(long.startsWith(t.slice(0, -1))).toBe(true);
    expect(titleFromQuestion('   ')).toBe('New conversation');
  });
});

describe('reopening and exporting', () => {
  it('marks answers a closed tab left waiting or streaming as interrupted, keeping their text; others untouched', () => {
    const c = conv([
      { id: 1, user: 'a', answer: answer() },
      { id: 4, user: 'b', answer: answer({ status: 'streaming', text: 'Half' }) },
      { id: 2, user: 'c', answer: answer({ status: 'waiting', text: '' }) },
    ]);
    const r = reopenConversation(c);
    expect(r.turns.map((t) => t.answer.status)).toEqual(['done', 'error', 'error']);
    expect(r.turns[1]?.answer).toMatchObject({ text: 'Half', error: INTERRUPTED });
    expect(c.turns[1]?.answer.status).toBe('streaming');
    const done = conv([{ id: 1, user: 'a', answer: answer() }]);
    expect(reopenConversation(done)).toBe(done);
    expect(nextTurnId(r)).toBe(5);
    expect(nextTurnId(conv([]))).toBe(1);
  });

  it('exports every question and answer with model, adapter, settings, backend and record hash, as JSON', () => {
    const hash = `0x${'cd'.repeat(32)}` as const;
    const c = conv([{ id: 1, user: 'How long?', answer: answer({ adapterId: 'bread', adapterName: 'Bread', backend: 'webgpu', attribution: { recordHash: hash } }) }]);
    const doc = conversationExport(c, Date.UTC(2026, 11, 7, 13));
    const back = JSON.parse(JSON.stringify(doc)) as typeof doc;
    expect(back).toMatchObject({ format: CONVERSATION_EXPORT_FORMAT, version: 1, exportedAt: '2026-12-07T13:00:00.000Z' });
    expect(back.conversation).toMatchObject({ id: 'c1', title: 'Bread: rising & résumé!', createdAt: '2026-12-06T00:00:00.000Z' });
    expect(back.conversation.turns[0]).toMatchObject({
      question: 'How long?',
      answer: { modelId: 'tributary-demo', adapterId: 'bread', backend: 'webgpu', settings: { temperature: 0.7, seed: null }, seed: 99, attribution: { recordHash: hash }, askedAt: '2026-12-07T10:00:00.000Z' },
    });
    expect(conversationFileName(c)).toBe('bread-rising-resume-2026-12-07.json');
    expect(conversationFileName({ title: '???', updatedAt: 0 })).toBe('conversation-1970-01-01.json');
  });
});
