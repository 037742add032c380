import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { TributaryDB } from './db.ts';
import { readKnownBalances, readKnownChain, readKnownToken, saveKnownBalances, saveKnownChain, saveKnownToken } from './knownChain.ts';

describe('what is known of the chain offline', () => {
  it('keeps the last chain config per setting and the last balances per chain and account (bigints exact)', async () => {
    const db = new TributaryDB(`known-${crypto.randomUUID()}`);
    const config = {
      chainId: 31337,
      name: 'Local chain (anvil)',
      rpcUrl: 'http://127.0.0.1:8545',
      token: '0x0000000000000000000000000000000000000001',
      registry: '0x0000000000000000000000000000000000000002',
      settlement: '0x0000000000000000000000000000000000000003',
      deployedAtBlock: 12n,
    } as const;
    expect(await readKnownChain(db, 'local')).toBeUndefined();
    await saveKnownChain(db, 'local', { config, reachedAt: 1000 });
    expect(await readKnownChain(db, 'local')).toEqual({ config, reachedAt: 1000 });
    expect(await readKnownChain(db, 'custom')).toBeUndefined();
    const account = '0xAbCdEf0000000000000000000000000000000001' as const;
    const balances = { token: 10n ** 24n + 7n, native: 3n, claimed: 0n, at: 2000 };
    await saveKnownBalances(db, 31337, account, balances);
    // the same account whatever its case; another chain knows nothing
    expect(await readKnownBalances(db, 31337, account.toLowerCase() as `0x${string}`)).toEqual(balances);
    expect(await readKnownBalances(db, 1, account)).toBeUndefined();
    await saveKnownToken(db, 161201, config.token, { symbol: 'OPEN', decimals: 18 });
    expect(await readKnownToken(db, 161201, config.token)).toEqual({ symbol: 'OPEN', decimals: 18 });
    expect(await readKnownToken(db, 31337, config.token)).toBeUndefined();
    db.close();
  });
});
