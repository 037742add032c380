import { describe, expect, it } from 'vitest';
import { resolveChain } from './ledgerChain.ts';

const ADDR = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const json = (body: unknown, status = 200) =>
  (async () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })) as unknown as typeof fetch;

describe('resolveChain', () => {
  it('reads the local chain from /chain.json, and says how to start it when it is missing', async () => {
    const c = await resolveChain({ kind: 'local' }, json({ chainId: 31337, rpcUrl: 'http://127.0.0.1:8545', token: ADDR, registry: ADDR, settlement: ADDR, deployedAtBlock: 1 }));
    expect(c).toMatchObject({ chainId: 31337, deployedAtBlock: 1n });
    const missing = (async () => new Response('not found', { status: 404, headers: { 'content-type': 'text/plain' } })) as unknown as typeof fetch;
    await expect(resolveChain({ kind: 'local' }, missing)).rejects.toMatchObject({ code: 'chain/config', message: expect.stringMatching(/npm start/) });
    await expect(resolveChain({ kind: 'local' }, json({ chainId: 1, rpcUrl: 'http://x', token: ADDR, registry: ADDR, settlement: ADDR }))).rejects.toMatchObject({ code: 'chain/config' });
  });

  it('builds the OpenLedger testnet (161201) from what the user entered, naming what is missing', async () => {
    const c = await resolveChain({ kind: 'openledger', openledger: { rpcUrl: 'https://rpc.example', token: ADDR, registry: ADDR, settlement: ADDR, deployedAtBlock: '42' } });
    expect(c).toMatchObject({ chainId: 161201, name: 'OpenLedger testnet', deployedAtBlock: 42n });
    await expect(resolveChain({ kind: 'openledger', openledger: { rpcUrl: '', token: ADDR, registry: ADDR, settlement: ADDR } })).rejects.toMatchObject({
      code: 'chain/config',
      subject: 'chain config RPC URL',
    });
  });

  it('accepts any EVM chain and refuses bad addresses or block numbers', async () => {
    const c = await resolveChain({ kind: 'custom', custom: { chainId: '8453', name: 'Base', rpcUrl: 'https://base.example', token: ADDR, registry: ADDR, settlement: ADDR } });
    expect(c).toMatchObject({ chainId: 8453, name: 'Base' });
    await expect(resolveChain({ kind: 'custom', custom: { chainId: '8453', name: '', rpcUrl: 'https://b', token: '0x12', registry: ADDR, settlement: ADDR } })).rejects.toMatchObject({
      code: 'chain/config',
    });
    await expect(
      resolveChain({ kind: 'custom', custom: { chainId: '1', name: '', rpcUrl: 'https://b', token: ADDR, registry: ADDR, settlement: ADDR, deployedAtBlock: 'soon' } }),
    ).rejects.toMatchObject({ code: 'chain/config' });
  });
});
