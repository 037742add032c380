import { describe, expect, it } from 'vitest';
import { upsertNotice } from './upsertNotice.ts';

type N = { id: number; key?: string; text: string };

describe('upsertNotice', () => {
  it('replaces the older notice about the same thing, wherever it was, and puts the new one last', () => {
    let list: N[] = [];
    list = upsertNotice(list, { id: 1, key: 'vote:a', text: 'a stays pending' }, 5);
    list = upsertNotice(list, { id: 2, key: 'vote:b', text: 'b stays pending' }, 5);
    list = upsertNotice(list, { id: 3, key: 'vote:a', text: 'a accepted' }, 5);
    expect(list.map((n) => n.text)).toEqual(['b stays pending', 'a accepted']);
  });

  it('never merges notices without a key', () => {
    let list: N[] = [];
    list = upsertNotice(list, { id: 1, text: 'x' }, 5);
    list = upsertNotice(list, { id: 2, text: 'x' }, 5);
    expect(list.map((n) => n.id)).toEqual([1, 2]);
  });

  it('keeps the newest max notices and leaves its input alone', () => {
    const start: N[] = [
      { id: 1, text: '1' },
      { id: 2, text: '2' },
    ];
    const out = upsertNotice(start, { id: 3, text: '3' }, 2);
    expect(out.map((n) => n.id)).toEqual([2, 3]);
    expect(start.map((n) => n.id)).toEqual([1, 2]);
  });

  it('refuses a max below 1', () => {
    expect(() => upsertNotice([], { id: 1, text: '' }, 0)).toThrow(RangeError);
    expect(() => upsertNotice([], { id: 1, text: '' }, 1.5)).toThrow(RangeError);
  });
});
