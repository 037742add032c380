import { describe, expect, it } from 'vitest';
import { readPackArchive } from '../core/pack/readPack.ts';
import { writePack } from '../core/pack/writePack.ts';
import { SPANS_FILE } from '../attribution/indexFiles.ts';
import { buildIndexFiles, sourceFromPack } from '../attribution/packIndexes.ts';
import { contribute, counts, draft, makeCast, makeEnv, rejection, text } from './services.testkit.ts';

describe('importing a pack with prebuilt indexes', () => {
  it('accepts matching indexes and refuses a mismatched one, writing nothing', async () => {
    const env = makeEnv();
    const cast = await makeCast(env);
    const dn = await env.svc.createDatanet(draft(cast.owner, 'owner'));
    const c1 = await contribute(env, dn.id, cast.alice, text(1), 'One');
    await env.svc.castVote(c1.id, cast.owner, 'approve', '');
    const contents = await readPackArchive((await env.svc.exportPack(dn.id)).bytes);
    const files = await buildIndexFiles(sourceFromPack(contents));
    const good = writePack(contents, env.clock.now, { indexes: files });

    // a second Datanet's index under the first one's name: hashes in the manifest match, the content does not
    const dn2 = await env.svc.createDatanet(draft(cast.owner, 'owner', 'Other notes'));
    const c2 = await contribute(env, dn2.id, cast.bob, text(2), 'Two');
    await env.svc.castVote(c2.id, cast.owner, 'approve', '');
    const other = await readPackArchive((await env.svc.exportPack(dn2.id)).bytes);
    const wrong = writePack(contents, env.clock.now, { indexes: new Map([[SPANS_FILE, (await buildIndexFiles(sourceFromPack(other))).get(SPANS_FILE)!]]) });

    const target = makeEnv();
    const before = await counts(target);
    const err = await rejection(target.svc.importPack(wrong.bytes, 'wrong index'));
    expect(err.code).toBe('attribution/index-mismatch');
    expect(err.message).toContain(SPANS_FILE);
    expect(await counts(target)).toEqual(before);

    const report = await target.svc.importPack(good.bytes, 'good');
    expect(report).toBeTruthy();
    expect(await counts(target)).not.toEqual(before);
  });
});
