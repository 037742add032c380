import { describe, expect, it } from 'vitest';
import type { ContributionPreview } from '../workerApi/dataApi.ts';
import { hashPassageList, sha256Text } from '../core/hash.ts';
import { UPLOAD_LIMITS, utcDay } from '../core/limits.ts';
import { normalizeForHash } from '../core/normalize.ts';
import { contributionPayloadOf, verifyContribution } from '../core/signing.ts';
import { listPassages, listContributions } from '../store/contributions.ts';
import { uploadsToday } from '../store/uploads.ts';
import { contribute, counts, draft, makeCast, makeEnv, paragraph, paragraphs, rejection, text, utf8, type TestEnv } from './services.testkit.ts';

async function setup() {
  const env = makeEnv();
  const cast = await makeCast(env);
  const dn = await env.svc.createDatanet(draft(cast.owner));
  return { env, cast, dn };
}

function ok(p: ContributionPreview | undefined) {
  if (!p?.ok) throw new Error(`expected an ok preview, got ${JSON.stringify(p)}`);
  return p;
}

function failed(p: ContributionPreview | undefined) {
  if (!p || p.ok) throw new Error(`expected a refused preview, got ${JSON.stringify(p)}`);
  return p;
}


async function previewOne(env: TestEnv, dnId: string, who: `0x${string}`, body: string, title = 'Notes') {
  const [p] = await env.svc.previewContributions(dnId, who, [{ kind: 'text', title, text: body }]);
  return p;
}

describe('preview and submit', () => {
  it('previews pasted text without writing, then signs and stores it', async () => {
    const { env, cast, dn } = await setup();
    const before = await counts(env);
    const stages = new Set<string>();
    const [p] = await env.svc.previewContributions(dn.id, cast.alice, [{ kind: 'text', title: ' ', text: `  ${text(1)}\r\n` }], (e) =>
      stages.add(e.stage),
    );
    const preview = ok(p);
    expect(preview.title).toBe('Pasted text');
    expect(preview.mediaType).toBe('text/plain');
    expect(preview.chunks).toHaveLength(6);
    expect(preview.newChunkCount).toBe(6);
    expect([...stages]).toEqual(expect.arrayContaining(['reading', 'chunking', 'hashing', 'checking']));
    expect(await counts(env)).toEqual(before);

    const result = await env.svc.submitContributions([preview.previewId], cast.alice);
    expect(result.failed).toEqual([]);
    const c = result.submitted[0]!;
    expect(c).toMatchObject({ datanetId: dn.id, contributor: cast.alice, status: 'pending', chunkCount: 6, sourceBytes: preview.sourceBytes });
    expect(c.textHash).toBe(preview.textHash);
    expect(c.minhash.length).toBeGreaterThan(0);
    expect(await verifyContribution(contributionPayloadOf(c), c.signature)).toBe(true);
    const chunks = await listPassages(env.db, c.id);
    expect(chunks.map((ch) => ch.index)).toEqual([0, 1, 2, 3, 4, 5]);
    // The signed chunksHash is over the exact text of each passage; dedupeHash is the lossy duplicate key.
    for (const ch of chunks) {
      expect(ch.hash).toBe(sha256Text(ch.text));
      expect(ch.dedupeHash).toBe(sha256Text(normalizeForHash(ch.text)));
    }
    expect(preview.chunks.map((pc) => [pc.hash, pc.dedupeHash])).toEqual(chunks.map((ch) => [ch.hash, ch.dedupeHash]));
    expect(hashPassageList(chunks.map((ch) => ch.hash))).toBe(c.chunksHash);
    expect(await env.db.contributions.get(c.id)).toEqual(c);
    expect(await uploadsToday(env.db, dn.id, cast.alice, utcDay(env.clock.now))).toEqual({ files: 1, bytes: preview.sourceBytes });
    // A submitted preview is gone.
    const again = await env.svc.submitContributions([preview.previewId], cast.alice);
    expect(again.failed[0]?.error.code).toBe('contribution/not-found');
  });

  it('extracts .md, .jsonl and .csv files', async () => {
    const { env, cast, dn } = await setup();
    const md = `# Crumb\n\n${paragraphs(2, 3).join('\n\n')}\n`;
    const jsonl = paragraphs(3, 3)
      .map((t) => JSON.stringify({ text: t, id: 1 }))
      .join('\n');
    const csv = `question,answer\n${paragraphs(4, 3)
      .map((t, i) => `q${i},"${t}"`)
      .join('\n')}\n`;
    const previews = await env.svc.previewContributions(dn.id, cast.alice, [
      { kind: 'file', name: 'crumb.md', bytes: utf8(md) },
      { kind: 'file', name: 'faq.jsonl', bytes: utf8(jsonl) },
      { kind: 'file', name: 'table.csv', bytes: utf8(csv) },
    ]);
    const [a, b, c] = previews.map(ok);
    expect(a!.mediaType).toBe('text/markdown');
    expect(b!.mediaType).toBe('application/jsonl');
    expect(c!.mediaType).toBe('text/csv');
    expect(b!.chunks.map((x) => x.text).join(' ')).toContain(paragraphs(3, 3)[0]!.slice(0, 40));
    expect(c!.chunks.map((x) => x.text).join(' ')).toContain('answer: ');
    const result = await env.svc.submitContributions(
      previews.map((p) => ok(p).previewId),
      cast.alice,
    );
    expect(result.submitted.map((s) => s.title)).toEqual(['crumb.md', 'faq.jsonl', 'table.csv']);
    expect(await listContributions(env.db, dn.id, 'pending')).toHaveLength(3);
  });

  it('reports file errors per source, naming the file', async () => {
    const { env, cast, dn } = await setup();
    const previews = await env.svc.previewContributions(dn.id, cast.alice, [
      { kind: 'file', name: 'photo.png', bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47]) },
      { kind: 'file', name: 'empty.txt', bytes: new Uint8Array() },
      { kind: 'text', title: 'Blank', text: '   \n ' },
      { kind: 'file', name: 'big.txt', bytes: new Uint8Array(UPLOAD_LIMITS.maxFileBytes + 1).fill(97) },
      { kind: 'file', name: 'fine.txt', bytes: utf8(text(5)) },
    ]);
    expect(previews.map((p) => (p.ok ? 'ok' : p.error.code))).toEqual([
      'file/unsupported-type',
      'file/empty',
      'file/no-text',
      'file/too-large',
      'ok',
    ]);
    expect(failed(previews[2]).error.subject).toBe('Blank');
    expect(failed(previews[3]).error.subject).toBe('big.txt');
  });

  it('refuses unknown Datanets and submitting as someone without a local key', async () => {
    const { env, cast, dn } = await setup();
    expect((await rejection(env.svc.previewContributions('dn-0000000000000000', cast.alice, []))).code).toBe('datanet/not-found');
    const p = ok(await previewOne(env, dn.id, cast.alice, text(6)));
    const stranger = '0x000000000000000000000000000000000000dEaD';
    const r = await env.svc.submitContributions([p.previewId], stranger);
    expect(r.failed[0]?.error.code).toBe('identity/not-found');
    const r2 = await env.svc.submitContributions([p.previewId], cast.bob);
    expect(r2.failed[0]?.error.code).toBe('identity/not-found');
    expect(await env.db.contributions.count()).toBe(0);
  });
});

describe('duplicates', () => {
  it('refuses an exact duplicate, naming the existing contribution', async () => {
    const { env, cast, dn } = await setup();
    const first = await contribute(env, dn.id, cast.alice, text(10), 'Original');
    // Case and whitespace layout do not make a text new.
    const p = failed(await previewOne(env, dn.id, cast.bob, text(10).toUpperCase().replace(/\n\n/g, '\n\n\n'), 'Copy'));
    expect(p.error.code).toBe('duplicate/exact');
    expect(p.error.message).toContain('"Original"');
    expect(p.error.message).toContain(first.id);
    expect(p.error.subject).toBe('Copy');
  });

  it('refuses a near duplicate, naming it with the similarity', async () => {
    const { env, cast, dn } = await setup();
    const first = await contribute(env, dn.id, cast.alice, text(11, 8), 'Original');
    const edited = text(11, 8).replace(/\b(\w+)\b/, 'changed').replace(/ (\w+)\.$/, ' different.');
    const p = failed(await previewOne(env, dn.id, cast.bob, edited, 'Edited'));
    expect(p.error.code).toBe('duplicate/near');
    expect(p.error.message).toContain('"Original"');
    expect(p.error.message).toContain(first.id);
    expect(p.error.message).toMatch(/\d+ % similar/);
  });

  it('leaves out passages already in the Datanet, and refuses when nothing new is left', async () => {
    const { env, cast, dn } = await setup();
    const base = paragraphs(12, 6);
    const first = await contribute(env, dn.id, cast.alice, base.join('\n\n'), 'Original');
    const mixed = [base[0]!, ...paragraphs(13, 5), base[3]!].join('\n\n');
    const preview = ok(await previewOne(env, dn.id, cast.bob, mixed, 'Mixed'));
    const dups = preview.chunks.filter((c) => c.duplicateOf);
    expect(dups.map((c) => c.index)).toEqual([0, 6]);
    expect(dups[0]!.duplicateOf).toEqual({ contributionId: first.id, title: 'Original' });
    expect(preview.newChunkCount).toBe(5);

    const { submitted } = await env.svc.submitContributions([preview.previewId], cast.bob);
    const c = submitted[0]!;
    expect(c.chunkCount).toBe(5);
    const chunks = await listPassages(env.db, c.id);
    expect(chunks.map((x) => x.index)).toEqual([0, 1, 2, 3, 4]);
    expect(chunks.map((x) => x.text)).toEqual(paragraphs(13, 5));
    expect(c.chunksHash).toBe(hashPassageList(chunks.map((x) => x.hash)));

    const onlyOld = failed(await previewOne(env, dn.id, cast.bob, [base[4]!, base[1]!].join('\n\n'), 'Reshuffled'));
    expect(onlyOld.error.code).toBe('duplicate/exact');
    expect(onlyOld.error.message).toContain(first.id);
  });

  it('treats a passage differing only in case or spacing as a duplicate passage', async () => {
    const { env, cast, dn } = await setup();
    const base = paragraphs(14, 6);
    const first = await contribute(env, dn.id, cast.alice, base.join('\n\n'), 'Original');
    const shouted = base[2]!.toUpperCase().replace(' ', '  ');
    const mixed = [...paragraphs(15, 5), shouted].join('\n\n');
    const preview = ok(await previewOne(env, dn.id, cast.bob, mixed, 'Mixed'));
    const dups = preview.chunks.filter((c) => c.duplicateOf);
    expect(dups.map((c) => c.index)).toEqual([5]);
    expect(dups[0]!.duplicateOf).toEqual({ contributionId: first.id, title: 'Original' });
    const stored = (await listPassages(env.db, first.id))[2]!;
    expect(dups[0]!.dedupeHash).toBe(stored.dedupeHash);
    expect(dups[0]!.hash).not.toBe(stored.hash);
  });

  it('catches duplicates within one batch', async () => {
    const { env, cast, dn } = await setup();
    const base = paragraphs(20, 8);
    const previews = await env.svc.previewContributions(dn.id, cast.alice, [
      { kind: 'text', title: 'A', text: base.join('\n\n') },
      { kind: 'text', title: 'B', text: base.join('\n\n').toUpperCase() },
      { kind: 'text', title: 'C', text: `${base.join('\n\n')} extra` },
      { kind: 'text', title: 'D', text: [base[2]!, paragraph(999)].join('\n\n') },
    ]);
    const [a, b, c, d] = previews;
    const aOk = ok(a);
    expect(failed(b).error).toMatchObject({ code: 'duplicate/exact', subject: 'B' });
    expect(failed(b).error.message).toContain('"A"');
    expect(failed(c).error).toMatchObject({ code: 'duplicate/near', subject: 'C' });
    const dOk = ok(d);
    expect(dOk.chunks[0]!.duplicateOf?.title).toBe('A');
    expect(dOk.newChunkCount).toBe(1);
    // Submitted together, the shared passage is stored once.
    const r = await env.svc.submitContributions([aOk.previewId, dOk.previewId], cast.alice);
    expect(r.submitted.map((s) => s.chunkCount)).toEqual([8, 1]);
  });

  it('does not let rejected contributions block a re-upload', async () => {
    const { env, cast, dn } = await setup();
    const first = await contribute(env, dn.id, cast.alice, text(30), 'First try');
    await env.svc.castVote(first.id, cast.bob, 'reject', 'Off topic');
    await env.svc.castVote(first.id, cast.carol, 'reject', 'Off topic');
    expect((await env.db.contributions.get(first.id))?.status).toBe('rejected');
    const again = ok(await previewOne(env, dn.id, cast.alice, text(30), 'Second try'));
    expect(again.chunks.every((c) => !c.duplicateOf)).toBe(true);
    const r = await env.svc.submitContributions([again.previewId], cast.alice);
    expect(r.submitted).toHaveLength(1);
  });

  it('re-checks at submission: a preview overtaken by another submission writes nothing', async () => {
    const { env, cast, dn } = await setup();
    const p1 = ok(await previewOne(env, dn.id, cast.alice, text(40), 'Mine'));
    const p2 = ok(await previewOne(env, dn.id, cast.bob, text(40), 'Theirs'));
    expect((await env.svc.submitContributions([p1.previewId], cast.alice)).submitted).toHaveLength(1);
    const before = await counts(env);
    const r = await env.svc.submitContributions([p2.previewId], cast.bob);
    expect(r.failed[0]?.error.code).toBe('duplicate/exact');
    expect(await counts(env)).toEqual(before);
  });
});

describe('daily limits', () => {
  it('refuses the 21st file of the day, in a batch and across previews, writing nothing of it', async () => {
    const { env, cast, dn } = await setup();
    const sources = Array.from({ length: 21 }, (_, i) => ({ kind: 'text' as const, title: `T${i}`, text: text(100 + i, 1) }));
    const previews = await env.svc.previewContributions(dn.id, cast.alice, sources);
    expect(previews.slice(0, 20).every((p) => p.ok)).toBe(true);
    expect(failed(previews[20]).error).toMatchObject({ code: 'limit/daily-files', subject: 'T20' });

    // Two previews made before either was submitted: the limit is checked again at submission.
    const first15 = previews.slice(0, 15).map((p) => ok(p).previewId);
    const later = await env.svc.previewContributions(dn.id, cast.alice, sources.slice(15, 21));
    expect(later.every((p) => p.ok)).toBe(true);
    expect((await env.svc.submitContributions(first15, cast.alice)).submitted).toHaveLength(15);
    const before = await counts(env);
    const r = await env.svc.submitContributions(
      later.map((p) => ok(p).previewId),
      cast.alice,
    );
    expect(r.submitted).toHaveLength(5);
    expect(r.failed).toHaveLength(1);
    expect(r.failed[0]!.error.code).toBe('limit/daily-files');
    const after = await counts(env);
    expect(after.contributions).toBe(before.contributions! + 5);
    expect(after.uploads).toBe(20);
    expect(await env.db.contributions.filter((c) => c.title === 'T20').count()).toBe(0);

    // Another contributor, or the next UTC day, starts afresh.
    expect((await previewOne(env, dn.id, cast.bob, text(200, 1)))?.ok).toBe(true);
    env.clock.now += 24 * 3600 * 1000;
    expect((await previewOne(env, dn.id, cast.alice, text(201, 1)))?.ok).toBe(true);
  });

  it('refuses a file that takes the day over the byte limit', async () => {
    const { env, cast, dn } = await setup();
    const day = utcDay(env.clock.now);
    const usedBytes = UPLOAD_LIMITS.maxBytesPerDay - 1000;
    await env.db.uploads.add({ datanetId: dn.id, contributor: cast.alice, day, bytes: usedBytes, contributionId: `0x${'ab'.repeat(32)}`, createdAt: env.clock.now });
    const small = 'tiny but new text about bread crust and oven spring.';
    const previews = await env.svc.previewContributions(dn.id, cast.alice, [
      { kind: 'text', title: 'Small', text: small },
      { kind: 'file', name: 'large.txt', bytes: utf8(text(300)) },
    ]);
    expect(previews[0]?.ok).toBe(true);
    expect(failed(previews[1]).error).toMatchObject({ code: 'limit/daily-bytes', subject: 'large.txt' });
  });
});

describe('atomicity', () => {
  it('a write failing mid-transaction leaves nothing of the contribution', async () => {
    const { env, cast, dn } = await setup();
    const p = ok(await previewOne(env, dn.id, cast.alice, text(50)));
    const before = await counts(env);
    const table = env.db.chunks;
    const original = table.bulkAdd.bind(table);
    // Duplicate the first chunk: its primary key [contributionId, 0] collides after the contribution was added.
    (table as { bulkAdd: unknown }).bulkAdd = (items: Parameters<typeof original>[0]) => original([...items, items[0]!] as never);
    const r = await env.svc.submitContributions([p.previewId], cast.alice);
    expect(r.failed[0]?.error.code).toBe('storage/failed');
    expect(await counts(env)).toEqual(before);
    expect(await env.db.contributions.count()).toBe(0);
    expect(await env.db.uploads.count()).toBe(0);
    // The preview is kept: once the fault is gone it can be submitted.
    (table as { bulkAdd: unknown }).bulkAdd = original;
    expect((await env.svc.submitContributions([p.previewId], cast.alice)).submitted).toHaveLength(1);
  });
});
