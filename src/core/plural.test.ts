import { describe, expect, it } from 'vitest';
import { byCount, plural } from './plural.ts';

describe('plural / byCount', () => {
  it('uses the singular for exactly one, the plural otherwise (0 included)', () => {
    expect(plural(1, 'passage')).toBe('1 passage');
    expect(plural(0, 'passage')).toBe('0 passages');
    expect(plural(2, 'passage')).toBe('2 passages');
    expect(plural(3, 'entry', 'entries')).toBe('3 entries');
    expect(byCount(1, 'It now waits', 'They now wait')).toBe('It now waits');
    expect(byCount(4, 'It now waits', 'They now wait')).toBe('They now wait');
  });
});
