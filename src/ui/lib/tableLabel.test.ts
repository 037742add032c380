import { describe, expect, it } from 'vitest';
import { TributaryDB } from '../../store/db.ts';
import { tableLabel } from './tableLabel.ts';

describe('tableLabel', () => {
  it('names a table once when its label is just its name in words', () => {
    expect(tableLabel('claims')).toEqual({ label: 'Claims' });
    expect(tableLabel('trainingRuns')).toEqual({ label: 'Training runs' });
    expect(tableLabel('settlements')).toEqual({ label: 'Settlements' });
  });
  it('adds the table name when the label differs from it', () => {
    expect(tableLabel('chunks')).toEqual({ label: 'Passages', tableName: 'chunks' });
    expect(tableLabel('validations')).toEqual({ label: 'Votes', tableName: 'validations' });
  });
  it('puts a table added later into words instead of repeating its name', () => {
    expect(tableLabel('chatConversations')).toEqual({ label: 'Chat conversations' });
    expect(tableLabel('kv_pages')).toEqual({ label: 'Kv pages' });
  });
  it('never shows the same word twice for any table of the schema', () => {
    const db = new TributaryDB('table-label-test');
    for (const t of db.tables) {
      const { label, tableName } = tableLabel(t.name);
      expect(label.trim().length, t.name).toBeGreaterThan(0);
      if (tableName !== undefined) expect(label.toLowerCase().replace(/\s+/g, ''), t.name).not.toBe(tableName.toLowerCase());
    }
    db.close();
  });
});
