/**
 * The attribution worker's service with an ONNX sentence encoder chosen by URL (the project's tiny encoder, served
 * from memory through a real fetch `Response`; nothing downloaded): download progress, the index built and stored
 * under that encoder, answers traced with it, and a bad URL refused with a typed error that stores nothing.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sha256Text } from '../../core/hash.ts';
import { loadTokenizer } from '../../engine/tokenizer/index.ts';
import { configureOrtForNode } from '../../node/engine/reference/ortReference.ts';
import { tinyEncoderFolder } from '../../node/attribution/tinySentenceEncoder.ts';
import { contribute, draft, makeCast, makeEnv, rejection } from '../services.testkit.ts';
import { AttributionService } from './AttributionService.ts';

const TOKENIZER = readFileSync('public/models/tributary-demo/tokenizer.json', 'utf8');
const tiny = tinyEncoderFolder(TOKENIZER, loadTokenizer(TOKENIZER).vocabSize);
const BASE = 'https://encoders.test/tiny/';

/** A server holding the tiny encoder's folder under BASE (404 for anything else), counting requests. */
function server(): { fetch: typeof fetch; requests: string[] } {
  const requests: string[] = [];
  const f = async (input: RequestInfo | URL): Promise<Response> => {
    const url = String(input);
    requests.push(url);
    const bytes = url.startsWith(BASE) ? tiny.files.get(url.slice(BASE.length)) : undefined;
    return bytes ? new Response(bytes.slice(), { status: 200, headers: { 'content-length': String(bytes.length) } }) : new Response('not found', { status: 404 });
  };
  return { fetch: f as typeof fetch, requests };
}

describe('AttributionService with an ONNX sentence encoder chosen by URL', () => {
  it('downloads it with progress, indexes with it, traces answers with it, and refuses a bad URL with a typed error', async () => {
    const env = makeEnv();
    const cast = await makeCast(env);
    const dn = await env.svc.createDatanet(draft(cast.owner, 'owner'));
    const a = await contribute(env, dn.id, cast.alice, 'The Quenby lighthouse was rebuilt in 1874 by the stonemason Hollis Drave.', 'Lighthouse');
    const b = await contribute(env, dn.id, cast.bob, 'Sourdough starter wants equal weights of flour and water every day.', 'Bread');
    await env.svc.castVote(a.id, cast.owner, 'approve', '');
    await env.svc.castVote(b.id, cast.owner, 'approve', '');
    const srv = server();
    const svc = new AttributionService({ db: env.db, modelRef: async (id) => ({ id, hash: sha256Text(id) }), onnxRuntime: async () => configureOrtForNode(), fetch: srv.fetch });

    // a folder without the files: typed error, nothing stored
    const before = await env.db.attributionIndexes.count();
    expect((await rejection(svc.ensureIndexes([dn.id], undefined, undefined, { kind: 'onnx', url: 'https://encoders.test/nothing/' }))).code).toBe('encoder/missing-file');
    expect(await env.db.attributionIndexes.count()).toBe(before);

    const progress: { phase: string; file?: string; done: number; total: number }[] = [];
    const [summary] = await svc.ensureIndexes([dn.id], (p) => progress.push(p), undefined, { kind: 'onnx', url: BASE });
    expect(summary!.encoder).toMatchObject({ id: 'onnx:tributary-tiny-encoder#mean-norm@128', dims: 32 });
    const model = progress.filter((p) => p.phase === 'download' && p.file === 'model.onnx');
    expect(model.at(-1)).toMatchObject({ done: tiny.files.get('model.onnx')!.length, total: tiny.files.get('model.onnx')!.length });
    expect(progress.some((p) => p.phase === 'embedding')).toBe(true);
    const stored = (await env.db.attributionIndexes.toArray()).filter((x) => x.kind === 'embeddings');
    expect(stored.map((r) => r.encoder)).toEqual([summary!.encoder]);

    // traced with it: downloaded once, the stored index reused, the record names the encoder
    const asked = srv.requests.length;
    const r = await svc.attributeAnswer({ prompt: 'Who rebuilt the Quenby lighthouse?', answer: 'The Quenby lighthouse was rebuilt in 1874 by Hollis Drave.', modelId: 'demo', datanetIds: [dn.id], encoder: { kind: 'onnx', url: BASE } });
    expect(srv.requests.length).toBe(asked);
    const emb = r.methods.find((m) => m.method === 'embedding')!;
    expect(emb.status).toBe('used');
    expect(emb.detail).toMatch(/ONNX sentence encoder \(onnx:tributary-tiny-encoder/);
    expect(r.record.methods.find((m) => m.method === 'embedding')!.params).toContain(summary!.encoder!.hash);
    expect(r.record.credits[0]!.contributionId).toBe(a.id.toLowerCase());

    // an answer traced with a broken URL still gets its record, the report saying why embeddings could not run
    const broken = await svc.attributeAnswer({ prompt: 'q', answer: 'Sourdough starter wants flour.', modelId: 'demo', datanetIds: [dn.id], encoder: { kind: 'onnx', url: 'https://encoders.test/nothing/' } });
    expect(broken.methods.find((m) => m.method === 'embedding')).toMatchObject({ status: 'unavailable' });
    expect(broken.methods.find((m) => m.method === 'embedding')!.detail).toMatch(/encoder\.json/);
  });
});
