import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { isTributaryError } from '../core/errors.ts';
import { readPackArchive } from '../core/pack/readPack.ts';
import { writePack } from '../core/pack/writePack.ts';
import type { Passage, Contribution, Validation } from '../core/types.ts';
import { listPassages, listContributions, listValidations } from '../store/contributions.ts';
import { getSetting } from '../store/settings.ts';
import { listVersions } from '../store/versions.ts';
import { contribute, counts, draft, makeCast, makeEnv, rejection, text, type TestEnv } from './services.testkit.ts';

/** A response body of bytes. */
const body = (b: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(b);

/** A Datanet with two versions (c1; c1 + c2), a pending and a rejected contribution. */
async function source() {
  const env = makeEnv();
  const cast = await makeCast(env);
  const dn = await env.svc.createDatanet(draft(cast.owner));
  const c1 = await contribute(env, dn.id, cast.alice, text(1), 'One');
  await env.svc.castVote(c1.id, cast.bob, 'approve', '');
  await env.svc.castVote(c1.id, cast.carol, 'approve', 'Fine');
  env.clock.now += 60_000;
  const c2 = await contribute(env, dn.id, cast.dave, text(2), 'Two');
  await env.svc.castVote(c2.id, cast.bob, 'approve', '');
  await env.svc.castVote(c2.id, cast.alice, 'reject', 'Too short');
  await env.svc.castVote(c2.id, cast.carol, 'approve', '');
  const pending = await contribute(env, dn.id, cast.alice, text(3), 'Pending');
  const rejected = await contribute(env, dn.id, cast.bob, text(4), 'Rejected');
  await env.svc.castVote(rejected.id, cast.alice, 'reject', 'No');
  await env.svc.castVote(rejected.id, cast.carol, 'reject', 'No');
  return { env, cast, dn, c1, c2, pending, rejected };
}

async function snapshot(env: TestEnv, datanetId: string) {
  const contributions = (await listContributions(env.db, datanetId, 'accepted')).sort((a, b) => (a.id < b.id ? -1 : 1));
  const chunks: Passage[] = [];
  const validations: Validation[] = [];
  for (const c of contributions) {
    chunks.push(...(await listPassages(env.db, c.id)));
    validations.push(...(await listValidations(env.db, c.id)));
  }
  return { contributions, chunks, validations };
}

function flipByteInEntryData(zip: Uint8Array, entryName: string): Uint8Array {
  const out = zip.slice();
  const name = new TextEncoder().encode(entryName);
  for (let i = 0; i + 30 < out.length; i++) {
    if (out[i] !== 0x50 || out[i + 1] !== 0x4b || out[i + 2] !== 0x03 || out[i + 3] !== 0x04) continue;
    const nameLen = out[i + 26]! | (out[i + 27]! << 8);
    const extraLen = out[i + 28]! | (out[i + 29]! << 8);
    const n = out.subarray(i + 30, i + 30 + nameLen);
    if (n.length === name.length && n.every((b, k) => b === name[k])) {
      const at = i + 30 + nameLen + extraLen + 5;
      out[at] = out[at]! ^ 0x01;
      return out;
    }
  }
  throw new Error(`no entry ${entryName}`);
}

describe('exportPack / importPack', () => {
  it('round-trips a version into a fresh database', async () => {
    const { env, dn, c1, c2 } = await source();
    const progress: string[] = [];
    const exported = await env.svc.exportPack(dn.id, undefined, (p) => progress.push(p.stage));
    expect(exported.fileName).toMatch(/-v2-[0-9a-f]{8}\.tributary\.zip$/);
    expect(progress).toContain('writing');

    const fresh = makeEnv();
    fresh.clock.now = env.clock.now;
    const report = await fresh.svc.importPack(exported.bytes, 'sourdough.tributary.zip');
    expect(report).toEqual({
      datanetId: dn.id,
      name: dn.name,
      version: 2,
      manifestHash: exported.manifestHash,
      contributions: 2,
      chunks: c1.chunkCount + c2.chunkCount,
      skipped: 0,
    });
    const local = (await env.db.datanets.get(dn.id))!;
    expect(await fresh.db.datanets.get(dn.id)).toEqual({
      ...local,
      origin: { kind: 'pack', manifestHash: exported.manifestHash, source: 'sourdough.tributary.zip' },
    });
    expect(await listVersions(fresh.db, dn.id)).toEqual([await env.db.versions.get([dn.id, 2])]);
    const mine = await snapshot(env, dn.id);
    const theirs = await snapshot(fresh, dn.id);
    expect(theirs).toEqual(mine);
    expect(theirs.contributions.map((c: Contribution) => c.id).sort()).toEqual([c1.id, c2.id].sort());
    expect(await fresh.db.packs.get(exported.manifestHash)).toMatchObject({ datanetId: dn.id, version: 2 });
    // Imported validations do not change local reputations; nor do imports count as uploads.
    expect(await fresh.db.reputations.count()).toBe(0);
    expect(await fresh.db.uploads.count()).toBe(0);
    expect(await getSetting(fresh.db, `datanetSignature:${dn.id}`)).toMatch(/^0x[0-9a-f]+$/);

    // Without the owner's key, the kept signature lets the importer re-export the same pack.
    const again = await fresh.svc.exportPack(dn.id);
    expect(again.manifestHash).toBe(exported.manifestHash);
  });

  it('is idempotent, and an older version only adds its version record', async () => {
    const { env, dn } = await source();
    const v2 = await env.svc.exportPack(dn.id);
    const v1 = await env.svc.exportPack(dn.id, 1);
    const fresh = makeEnv();
    await fresh.svc.importPack(v2.bytes, 'v2');
    const afterFirst = await counts(fresh);

    const same = await fresh.svc.importPack(v2.bytes, 'v2 again');
    expect(same).toMatchObject({ contributions: 0, chunks: 0, skipped: 2 });
    expect(await counts(fresh)).toEqual(afterFirst);

    const older = await fresh.svc.importPack(v1.bytes, 'v1');
    expect(older).toMatchObject({ version: 1, contributions: 0, skipped: 1 });
    expect((await fresh.db.datanets.get(dn.id))?.currentVersion).toBe(2);
    expect((await listVersions(fresh.db, dn.id)).map((v) => v.version)).toEqual([2, 1]);
    // the v1 pack also brings the owner's publication signature of v1 (kept for re-export)
    expect(await counts(fresh)).toEqual({ ...afterFirst, versions: 2, packs: 2, settings: (afterFirst.settings ?? 0) + 1 });
  });

  it('imports v1 then v2: the newer version adds what is new', async () => {
    const { env, dn, c2 } = await source();
    const v1 = await env.svc.exportPack(dn.id, 1);
    const v2 = await env.svc.exportPack(dn.id, 2);
    const fresh = makeEnv();
    await fresh.svc.importPack(v1.bytes, 'v1');
    const r = await fresh.svc.importPack(v2.bytes, 'v2');
    expect(r).toMatchObject({ contributions: 1, chunks: c2.chunkCount, skipped: 1 });
    const dnB = await fresh.db.datanets.get(dn.id);
    expect(dnB).toMatchObject({ currentVersion: 2, origin: { kind: 'pack', manifestHash: v2.manifestHash, source: 'v2' } });
  });

  it('refuses to export a Datanet with nothing accepted', async () => {
    const env = makeEnv();
    const cast = await makeCast(env);
    const dn = await env.svc.createDatanet(draft(cast.owner));
    expect((await rejection(env.svc.exportPack(dn.id))).code).toBe('datanet/not-found');
    expect((await rejection(env.svc.exportPack('dn-nope'))).code).toBe('datanet/not-found');
  });

  it('writes nothing for a corrupted pack or a forged signature', async () => {
    const { env, dn } = await source();
    const good = await env.svc.exportPack(dn.id);
    // The target already holds data of its own, so "nothing written" is visible.
    const target = makeEnv();
    const cast = await makeCast(target);
    const own = await target.svc.createDatanet(draft(cast.owner, 'quorum', 'Local stuff'));
    await contribute(target, own.id, cast.alice, text(77));
    const before = await counts(target);

    for (const entry of ['chunks.jsonl', 'contributions.jsonl', 'datanet.json', 'manifest.json']) {
      const err = await rejection(target.svc.importPack(flipByteInEntryData(good.bytes, entry), `flipped ${entry}`));
      expect(isTributaryError(err), entry).toBe(true);
      expect(err.code, entry).toMatch(/^pack\//);
      expect(await counts(target), entry).toEqual(before);
    }
    const truncated = await rejection(target.svc.importPack(good.bytes.subarray(0, good.bytes.length - 40), 'truncated'));
    expect(truncated.code).toMatch(/^pack\//);

    const contents = await readPackArchive(good.bytes);
    const forgedDatanet = writePack({ ...contents, datanetSignature: contents.contributions[0]!.signature }, env.clock.now);
    expect((await rejection(target.svc.importPack(forgedDatanet.bytes, 'forged datanet'))).code).toBe('pack/signature');
    const [first, ...rest] = contents.contributions;
    const forgedContribution = writePack(
      { ...contents, contributions: [{ ...first!, signature: contents.validations[0]!.signature }, ...rest] },
      env.clock.now,
    );
    expect((await rejection(target.svc.importPack(forgedContribution.bytes, 'forged contribution'))).code).toBe('pack/signature');
    expect(await counts(target)).toEqual(before);
  });

  it('refuses a pack for an existing Datanet id with another owner', async () => {
    const { env, dn } = await source();
    const exported = await env.svc.exportPack(dn.id);
    const target = makeEnv();
    const cast = await makeCast(target);
    await target.db.datanets.add({ ...(await env.db.datanets.get(dn.id))!, owner: cast.owner });
    const before = await counts(target);
    expect((await rejection(target.svc.importPack(exported.bytes, 'x'))).code).toBe('pack/signature');
    expect(await counts(target)).toEqual(before);
  });

  it('random bytes never write anything and only reject with TributaryError', async () => {
    const target = makeEnv();
    const cast = await makeCast(target);
    await target.svc.createDatanet(draft(cast.owner));
    const before = await counts(target);
    const zipLike = fc.uint8Array({ maxLength: 600 }).map((tail) => new Uint8Array([0x50, 0x4b, 0x03, 0x04, ...tail]));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 2000 }), zipLike), async (bytes) => {
        let thrown: unknown;
        try {
          await target.svc.importPack(bytes, 'random');
        } catch (e) {
          thrown = e;
        }
        expect(isTributaryError(thrown)).toBe(true);
      }),
      { numRuns: 60 },
    );
    expect(await counts(target)).toEqual(before);
  });
});

describe('importPackFromUrl', () => {
  it('downloads an archive with progress', async () => {
    const { env, dn } = await source();
    const exported = await env.svc.exportPack(dn.id);
    const target = makeEnv();
    target.routes.set(
      'https://packs.example/sourdough.zip',
      () => new Response(body(exported.bytes), { headers: { 'content-length': String(exported.bytes.length) } }),
    );
    const events: { stage: string; done: number; total: number }[] = [];
    const report = await target.svc.importPackFromUrl('https://packs.example/sourdough.zip', (p) => events.push(p));
    expect(report.contributions).toBe(2);
    const downloads = events.filter((e) => e.stage === 'downloading');
    expect(downloads.at(-1)).toMatchObject({ done: exported.bytes.length, total: exported.bytes.length });
    expect((await target.db.datanets.get(dn.id))?.origin).toEqual({
      kind: 'pack',
      manifestHash: exported.manifestHash,
      source: 'https://packs.example/sourdough.zip',
    });
  });

  it('reads a folder pack through its manifest.json, and refuses a changed file', async () => {
    const { env, dn } = await source();
    const contents = await readPackArchive((await env.svc.exportPack(dn.id)).bytes);
    const { files } = writePack(contents, env.clock.now);
    const target = makeEnv();
    for (const [path, bytes] of files) target.routes.set(`https://host.example/packs/sourdough/${path}`, () => new Response(body(bytes)));
    const before = await counts(target);
    const chunksUrl = 'https://host.example/packs/sourdough/chunks.jsonl';
    const original = files.get('chunks.jsonl')!;
    const changed = original.slice();
    changed[10] = changed[10]! ^ 0x20;
    target.routes.set(chunksUrl, () => new Response(body(changed)));
    const bad = await rejection(target.svc.importPackFromUrl('https://host.example/packs/sourdough/manifest.json'));
    expect(bad.code).toBe('pack/hash-mismatch');
    expect(await counts(target)).toEqual(before);

    target.routes.set(chunksUrl, () => new Response(body(original)));
    const report = await target.svc.importPackFromUrl('https://host.example/packs/sourdough/manifest.json');
    expect(report.contributions).toBe(2);
    expect(target.fetchLog).toContain(chunksUrl);
  });

  it('turns HTTP and network errors into pack/fetch naming the URL', async () => {
    const target = makeEnv();
    const missing = await rejection(target.svc.importPackFromUrl('https://packs.example/missing.zip'));
    expect(missing).toMatchObject({ code: 'pack/fetch', subject: 'https://packs.example/missing.zip' });
    expect(missing.message).toContain('HTTP 404');
    target.routes.set('https://packs.example/down.zip', () => {
      throw new TypeError('fetch failed');
    });
    const down = await rejection(target.svc.importPackFromUrl('https://packs.example/down.zip'));
    expect(down.code).toBe('pack/fetch');
    expect(down.message).toContain('fetch failed');
    const folder = await rejection(target.svc.importPackFromUrl('https://packs.example/gone/manifest.json'));
    expect(folder.code).toBe('pack/fetch');
    expect((await rejection(target.svc.importPackFromUrl('not a url'))).code).toBe('pack/fetch');
  });
});

describe('ensureDemoData', () => {
  it('imports the listed packs once', async () => {
    const { env, dn } = await source();
    const exported = await env.svc.exportPack(dn.id);
    const target = makeEnv();
    target.routes.set('https://app.example/demo/index.json', () =>
      Response.json({ packs: [{ file: 'sourdough.tributary.zip', datanetId: dn.id }] }),
    );
    target.routes.set('https://app.example/demo/sourdough.tributary.zip', () => new Response(body(exported.bytes)));
    expect(await target.svc.ensureDemoData('https://app.example/')).toBe(1);
    expect(await target.db.datanets.get(dn.id)).toBeDefined();
    expect(await getSetting(target.db, 'demoDataLoaded')).toBe(true);
    const fetched = target.fetchLog.length;
    expect(await target.svc.ensureDemoData('https://app.example/')).toBe(0);
    expect(target.fetchLog).toHaveLength(fetched);
  });

  it('skips Datanets already present and reports a broken index', async () => {
    const { env, dn } = await source();
    const exported = await env.svc.exportPack(dn.id);
    const target = makeEnv();
    await target.svc.importPack(exported.bytes, 'by hand');
    target.routes.set('https://app.example/demo/index.json', () => Response.json({ packs: [{ file: 'x.zip', datanetId: dn.id }] }));
    expect(await target.svc.ensureDemoData('https://app.example/')).toBe(0);
    expect(target.fetchLog).toEqual(['https://app.example/demo/index.json']);

    const other = makeEnv();
    other.routes.set('https://app.example/demo/index.json', () => new Response('{"packs": 3}'));
    expect((await rejection(other.svc.ensureDemoData('https://app.example/'))).code).toBe('pack/manifest');
    expect(await getSetting(other.db, 'demoDataLoaded')).toBeUndefined();
  });
});

describe('crashForTesting', () => {
  it('resolves, then throws from a timer', async () => {
    const env = makeEnv();
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void) => {
      expect(fn).toThrow('crash requested for testing');
      return 0;
    }) as unknown as typeof setTimeout);
    await env.svc.crashForTesting();
    expect(spy).toHaveBeenCalledOnce();
    spy.mockRestore();
  });
});
