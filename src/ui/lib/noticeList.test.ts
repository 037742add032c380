import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createNoticeList } from './noticeList.ts';

describe('createNoticeList', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a later notice with the same key replaces the older one; others stay', () => {
    const list = createNoticeList<{ text: string }>(5);
    list.show({ kind: 'info', text: 'a: stays pending' }, { key: 'vote:a' });
    list.show({ kind: 'info', text: 'b: stays pending' }, { key: 'vote:b' });
    list.show({ kind: 'success', text: 'a: accepted' }, { key: 'vote:a' });
    expect(list.notices().map((n) => n.text)).toEqual(['b: stays pending', 'a: accepted']);
  });

  it('notices go after their lifetime by kind; errors stay until dismissed', () => {
    const list = createNoticeList<{ text: string }>(5);
    list.show({ kind: 'success', text: 'saved' });
    list.show({ kind: 'warning', text: 'restarted' });
    const error = list.show({ kind: 'error', text: 'keeps crashing' });
    vi.advanceTimersByTime(10_001);
    expect(list.notices().map((n) => n.text)).toEqual(['restarted', 'keeps crashing']);
    vi.advanceTimersByTime(10_000);
    expect(list.notices().map((n) => n.text)).toEqual(['keeps crashing']);
    vi.advanceTimersByTime(600_000);
    expect(list.notices()).toHaveLength(1);
    list.dismiss(error);
    expect(list.notices()).toEqual([]);
  });

  it('nothing expires while the list is held; what expired meanwhile goes shortly after release', () => {
    const list = createNoticeList<{ text: string }>(5);
    list.show({ kind: 'info', text: 'x' }, { ttlMs: 1000 });
    list.hold(true);
    vi.advanceTimersByTime(5000);
    expect(list.notices()).toHaveLength(1);
    list.hold(false);
    expect(list.notices()).toHaveLength(1);
    vi.advanceTimersByTime(2001);
    expect(list.notices()).toHaveLength(0);
  });

  it('the replaced notice\'s timer does not remove its successor', () => {
    const list = createNoticeList<{ text: string }>(5);
    list.show({ kind: 'info', text: 'old' }, { key: 'k', ttlMs: 1000 });
    vi.advanceTimersByTime(900);
    list.show({ kind: 'info', text: 'new' }, { key: 'k', ttlMs: 1000 });
    vi.advanceTimersByTime(200);
    expect(list.notices().map((n) => n.text)).toEqual(['new']);
  });
});
