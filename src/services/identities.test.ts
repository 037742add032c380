import { describe, expect, it } from 'vitest';
import { privateKeyToAccount } from 'viem/accounts';
import { draft, makeEnv, rejection } from './services.testkit.ts';

describe('identities', () => {
  it('creates local keys and never returns a private key', async () => {
    const env = makeEnv();
    const a = await env.svc.createIdentity('  Alice  ');
    env.clock.now += 1;
    const b = await env.svc.createIdentity('');
    expect(a).toEqual({ address: a.address, label: 'Alice', kind: 'local', createdAt: env.clock.now - 1 });
    expect(b.label).toMatch(/^Identity 0x/);
    const listed = await env.svc.listIdentities();
    expect(listed.map((i) => i.address)).toEqual([a.address, b.address]);
    for (const i of listed) expect(Object.keys(i)).not.toContain('privateKey');
    const stored = await env.db.identities.get(a.address);
    expect(privateKeyToAccount(stored!.privateKey).address).toBe(a.address);
  });
});

describe('createDatanet', () => {
  it('stores a Datanet owned by a local identity', async () => {
    const env = makeEnv();
    const owner = await env.svc.createIdentity('Owner');
    const dn = await env.svc.createDatanet(draft(owner.address.toLowerCase() as typeof owner.address));
    expect(dn.id).toMatch(/^dn-[0-9a-f]{16}$/);
    expect(dn.owner).toBe(owner.address); // checksummed like the identity
    expect(dn.currentVersion).toBe(0);
    expect(dn.origin).toEqual({ kind: 'local' });
    expect(await env.db.datanets.get(dn.id)).toEqual(dn);
  });

  it('refuses an owner without a local key, and a bad draft', async () => {
    const env = makeEnv();
    const owner = await env.svc.createIdentity('Owner');
    const stranger = privateKeyToAccount(`0x${'11'.repeat(32)}`).address;
    expect((await rejection(env.svc.createDatanet(draft(stranger)))).code).toBe('identity/not-found');
    expect((await rejection(env.svc.createDatanet({ ...draft(owner.address), name: 'x' }))).code).toBe('datanet/invalid');
    const badChunking = { ...draft(owner.address), chunking: { unit: 'chars' as const, size: 50, overlap: 0 } };
    expect((await rejection(env.svc.createDatanet(badChunking))).code).toBe('datanet/invalid');
    expect(await env.db.datanets.count()).toBe(0);
  });
});
