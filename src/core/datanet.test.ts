import { describe, expect, it } from 'vitest';
import { makeDatanet, validateDatanetDraft } from './datanet.ts';
import { isTributaryError } from './errors.ts';
import type { DatanetDraft } from './types.ts';

const OWNER = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

function draft(over: Partial<DatanetDraft> = {}): DatanetDraft {
  return {
    name: '  Rust compiler errors ',
    summary: ' Explanations of rustc errors. ',
    descriptionMd: '# About\n\nText.\n',
    tags: ['Rust', 'compilers', 'rust', ' errors '],
    licence: ' CC-BY-4.0 ',
    owner: OWNER,
    rewardPolicy: { contributorsBps: 8000, ownerBps: 2000 },
    moderation: 'quorum',
    chunking: { unit: 'chars', size: 1200, overlap: 200 },
    ...over,
  };
}

function failure(d: DatanetDraft): { code: string; subject?: string; message: string } | undefined {
  try {
    validateDatanetDraft(d);
  } catch (e) {
    if (!isTributaryError(e)) throw e;
    return { code: e.code, subject: e.subject, message: e.message };
  }
  return undefined;
}

describe('validateDatanetDraft', () => {
  it('trims, lower-cases and de-duplicates', () => {
    const d = validateDatanetDraft(draft());
    expect(d.name).toBe('Rust compiler errors');
    expect(d.summary).toBe('Explanations of rustc errors.');
    expect(d.descriptionMd).toBe('# About\n\nText.');
    expect(d.tags).toEqual(['rust', 'compilers', 'errors']);
    expect(d.licence).toBe('CC-BY-4.0');
    expect(d.owner).toBe(OWNER);
  });

  it('is idempotent', () => {
    const once = validateDatanetDraft(draft());
    expect(validateDatanetDraft(once)).toEqual(once);
  });

  it.each<[string, Partial<DatanetDraft>, string]>([
    ['short name', { name: ' ab ' }, 'name'],
    ['long name', { name: 'x'.repeat(81) }, 'name'],
    ['long summary', { summary: 'x'.repeat(281) }, 'summary'],
    ['long description', { descriptionMd: 'x'.repeat(20_001) }, 'descriptionMd'],
    ['bad tag characters', { tags: ['no spaces'] }, 'tags'],
    ['empty tag', { tags: ['  '] }, 'tags'],
    ['long tag', { tags: ['x'.repeat(33)] }, 'tags'],
    ['too many tags', { tags: Array.from({ length: 13 }, (_, i) => `t${i}`) }, 'tags'],
    ['empty licence', { licence: '  ' }, 'licence'],
    ['long licence', { licence: 'x'.repeat(65) }, 'licence'],
    ['bad owner', { owner: '0x1234' }, 'owner'],
    ['bad owner checksum', { owner: '0x70997970c51812dc3A010C7d01b50e0d17dc79C8' }, 'owner'],
    ['bad policy', { rewardPolicy: { contributorsBps: 5000, ownerBps: 4000 } }, 'rewardPolicy'],
    ['bad moderation', { moderation: 'vote' as never }, 'moderation'],
    ['bad unit', { chunking: { unit: 'words' as never, size: 10, overlap: 0 } }, 'chunking.unit'],
    ['zero size', { chunking: { unit: 'chars', size: 0, overlap: 0 } }, 'chunking.size'],
    ['fractional size', { chunking: { unit: 'chars', size: 10.5, overlap: 0 } }, 'chunking.size'],
    ['overlap = size', { chunking: { unit: 'chars', size: 10, overlap: 10 } }, 'chunking.overlap'],
    ['negative overlap', { chunking: { unit: 'tokens', size: 10, overlap: -1 } }, 'chunking.overlap'],
  ])('rejects %s', (_label, over, subject) => {
    const f = failure(draft(over));
    expect(f?.code).toBe('datanet/invalid');
    expect(f?.subject).toBe(subject);
  });

  it('accepts the limits', () => {
    expect(failure(draft({ name: 'abc', summary: 'x'.repeat(280), tags: Array.from({ length: 12 }, (_, i) => `t-${i}`) }))).toBeUndefined();
    expect(failure(draft({ name: 'é'.repeat(80) }))).toBeUndefined();
    expect(failure(draft({ owner: OWNER.toLowerCase() as `0x${string}`, tags: [] }))).toBeUndefined();
  });

  it('accepts 12 tags that de-duplicate from more', () => {
    const d = validateDatanetDraft(draft({ tags: [...Array.from({ length: 12 }, (_, i) => `t${i}`), 'T0', 't1'] }));
    expect(d.tags).toHaveLength(12);
  });
});

describe('makeDatanet', () => {
  it('makes a local, version-0 text Datanet with a dn- id', () => {
    const d = makeDatanet(draft(), 1_700_000_000_000, new Uint8Array(16).fill(7));
    expect(d.id).toMatch(/^dn-[0-9a-f]{16}$/);
    expect(d).toMatchObject({ currentVersion: 0, dataType: 'text', origin: { kind: 'local' }, createdAt: 1_700_000_000_000, name: 'Rust compiler errors' });
  });
  it('derives the id from owner, name, time and entropy', () => {
    const a = makeDatanet(draft(), 1, new Uint8Array(16).fill(1));
    expect(makeDatanet(draft(), 1, new Uint8Array(16).fill(1)).id).toBe(a.id);
    expect(makeDatanet(draft(), 1, new Uint8Array(16).fill(2)).id).not.toBe(a.id);
    expect(makeDatanet(draft(), 2, new Uint8Array(16).fill(1)).id).not.toBe(a.id);
    expect(makeDatanet(draft({ name: 'Other name' }), 1, new Uint8Array(16).fill(1)).id).not.toBe(a.id);
  });
  it('rejects invalid drafts', () => {
    expect(() => makeDatanet(draft({ name: 'x' }), 1, new Uint8Array(16))).toThrow(/Name/);
  });
});
