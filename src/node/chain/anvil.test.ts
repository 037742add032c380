import { describe, expect, it } from 'vitest';
import { anvilBinaryPath, freePort, startAnvil } from './anvil.ts';

async function chainId(url: string): Promise<string> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }) });
  return ((await res.json()) as { result: string }).result;
}

describe('startAnvil', () => {
  it('starts the npm anvil on a free port, answers, and stops', async () => {
    expect(anvilBinaryPath()).toMatch(/anvil$/);
    const a = await startAnvil();
    expect(a.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await chainId(a.rpcUrl)).toBe('0x7a69');
    await a.stop();
    await expect(chainId(a.rpcUrl)).rejects.toThrow();
    await a.stop(); // idempotent
  });

  it('honours a given port and chain id; a taken port fails clearly', async () => {
    const port = await freePort();
    const a = await startAnvil({ port, chainId: 161201 });
    try {
      expect(a.rpcUrl).toBe(`http://127.0.0.1:${port}`);
      expect(await chainId(a.rpcUrl)).toBe('0x275b1');
      await expect(startAnvil({ port, startTimeoutMs: 5000 })).rejects.toThrow(/anvil/);
    } finally {
      await a.stop();
    }
  });
});
