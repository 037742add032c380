/**
 * Test helpers for the service tests (Node + fake-indexeddb). Not imported by app code.
 */
import 'fake-indexeddb/auto';
import type { Address, PassageOptions, DatanetDraft, Moderation } from '../core/types.ts';
import { TributaryDB } from '../store/db.ts';
import { storageSummary } from '../store/storageSummary.ts';
import { DataService } from './DataService.ts';

/** 2026-03-10 09:00 UTC. */
export const T0 = Date.UTC(2026, 2, 10, 9, 0, 0);

export const TEST_PASSAGE_OPTIONS: PassageOptions = { unit: 'chars', size: 400, overlap: 0 };

export interface TestEnv {
  db: TributaryDB;
  svc: DataService;
  clock: { now: number };
  fetchLog: string[];
  /** URL -> response factory for the fake `fetch`. */
  routes: Map<string, () => Response | Promise<Response>>;
}

export function makeEnv(): TestEnv {
  const db = new TributaryDB(`test-${crypto.randomUUID()}`);
  const clock = { now: T0 };
  const routes = new Map<string, () => Response | Promise<Response>>();
  const fetchLog: string[] = [];
  const fakeFetch = (async (input: RequestInfo | URL) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    fetchLog.push(url);
    const route = routes.get(url);
    if (!route) return new Response('not found', { status: 404, statusText: 'Not Found' });
    return route();
  }) as typeof fetch;
  const svc = new DataService(db, {
    now: () => clock.now,
    randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
    fetch: fakeFetch,
  });
  return { db, svc, clock, fetchLog, routes };
}

/** A deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One paragraph of random words, 200..380 characters, ending with a full stop. */
export function paragraph(seed: number): string {
  const r = rng(seed);
  const target = 200 + Math.floor(r() * 180);
  const words: string[] = [];
  let length = 0;
  while (length < target) {
    const n = 3 + Math.floor(r() * 7);
    let w = '';
    for (let i = 0; i < n; i++) w += String.fromCharCode(97 + Math.floor(r() * 26));
    words.push(w);
    length += w.length + 1;
  }
  return `${words.join(' ')}.`;
}

/**
 * A text of `count` random paragraphs separated by blank lines. With TEST_PASSAGE_OPTIONS (400 chars, no
 * overlap) every paragraph is one chunk, so texts sharing paragraphs share chunks.
 */
export function paragraphs(seed: number, count = 6): string[] {
  return Array.from({ length: count }, (_, i) => paragraph(seed * 1000 + i));
}

export function text(seed: number, count = 6): string {
  return paragraphs(seed, count).join('\n\n');
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export interface Cast {
  owner: Address;
  alice: Address;
  bob: Address;
  carol: Address;
  dave: Address;
}

export async function makeCast(env: TestEnv): Promise<Cast> {
  const [owner, alice, bob, carol, dave] = await Promise.all(
    ['Owner', 'Alice', 'Bob', 'Carol', 'Dave'].map((label) => env.svc.createIdentity(label)),
  );
  return { owner: owner!.address, alice: alice!.address, bob: bob!.address, carol: carol!.address, dave: dave!.address };
}

export function draft(owner: Address, moderation: Moderation = 'quorum', name = 'Sourdough notes'): DatanetDraft {
  return {
    name,
    summary: 'Notes on bread.',
    descriptionMd: '# Bread\nAll about it.',
    tags: ['bread', 'baking'],
    licence: 'CC-BY-4.0',
    owner,
    rewardPolicy: { contributorsBps: 7000, ownerBps: 3000 },
    moderation,
    chunking: TEST_PASSAGE_OPTIONS,
  };
}

/** Preview one pasted text and submit it; fails the test when either step does not succeed. */
export async function contribute(env: TestEnv, datanetId: string, contributor: Address, body: string, title = 'Notes') {
  const [preview] = await env.svc.previewContributions(datanetId, contributor, [{ kind: 'text', title, text: body }]);
  if (!preview?.ok) throw new Error(`preview failed: ${JSON.stringify(preview)}`);
  const result = await env.svc.submitContributions([preview.previewId], contributor);
  const c = result.submitted[0];
  if (!c) throw new Error(`submit failed: ${JSON.stringify(result.failed)}`);
  return c;
}

export const counts = (env: { db: TributaryDB }) => storageSummary(env.db);

/** The rejection of `p` (fails when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string; subject?: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code: string; message: string; subject?: string };
  }
  throw new Error('expected a rejection');
}
