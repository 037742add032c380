import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublicClient, http, parseEther, recoverTypedDataAddress, UserRejectedRequestError } from 'viem';
import { startAnvil, type AnvilInstance } from '../../node/chain/anvil.ts';
import { anvilDevAccounts } from '../devAccounts.ts';
import { ensureChain, requestAccounts, walletClientFor } from './connect.ts';
import { DEV_WALLET_LABEL, walletOptions } from './discovery.ts';
import { createDevWallet } from './devWallet.ts';
import { createLocalKeyProvider } from './localKeyProvider.ts';
import { toWalletError } from './walletErrors.ts';

describe('local key provider (EIP-1193) on a real anvil', () => {
  let anvil: AnvilInstance;
  beforeAll(async () => {
    anvil = await startAnvil();
  });
  afterAll(async () => {
    await anvil?.stop();
  });

  it('connects, signs typed data, sends transactions through viem custom(provider), and rejects on demand', async () => {
    const [a0, a1] = anvilDevAccounts(2);
    const provider = createLocalKeyProvider({ privateKeys: [a0!.privateKey, a1!.privateKey], rpcUrl: anvil.rpcUrl });
    expect(await provider.request({ method: 'eth_accounts' })).toEqual([]);
    const chain = { chainId: anvil.chainId, name: 'Local', rpcUrl: anvil.rpcUrl };
    expect(await requestAccounts(provider)).toEqual([a0!.address]);
    await ensureChain(provider, chain);
    const wallet = walletClientFor(provider, a0!.address, chain);

    const typed = {
      domain: { name: 'T', version: '1', chainId: anvil.chainId },
      types: { Thing: [{ name: 'n', type: 'uint256' }] },
      primaryType: 'Thing',
      message: { n: 7n },
    } as const;
    const signature = await wallet.signTypedData({ account: a0!.address, ...typed });
    expect(await recoverTypedDataAddress({ ...typed, signature })).toBe(a0!.address);

    const pub = createPublicClient({ transport: http(anvil.rpcUrl) });
    const before = await pub.getBalance({ address: a1!.address });
    const hash = await wallet.sendTransaction({ account: a0!.address, chain: wallet.chain, to: a1!.address, value: parseEther('1') });
    expect((await pub.waitForTransactionReceipt({ hash })).status).toBe('success');
    expect((await pub.getBalance({ address: a1!.address })) - before).toBe(parseEther('1'));

    provider.rejectNext();
    const err = await wallet.signTypedData({ account: a0!.address, ...typed }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserRejectedRequestError);
    expect(toWalletError(err, { action: 'Signing' }).code).toBe('wallet/rejected');

    // Switching accounts emits accountsChanged.
    const seen: unknown[] = [];
    provider.on('accountsChanged', (a) => seen.push(a));
    provider.selectAccount(1);
    expect(seen).toEqual([[a1!.address]]);
    expect(await provider.request({ method: 'eth_accounts' })).toEqual([a1!.address]);
  });

  it('refuses another chain with 4902, which ensureChain reports as wrong chain', async () => {
    const [a0] = anvilDevAccounts(1);
    const provider = createLocalKeyProvider({ privateKeys: [a0!.privateKey], rpcUrl: anvil.rpcUrl });
    await expect(ensureChain(provider, { chainId: 161201, name: 'OpenLedger testnet', rpcUrl: 'http://127.0.0.1:1' })).rejects.toMatchObject({
      code: 'wallet/wrong-chain',
    });
  });

  it('offers the dev wallet on the local chain only, labelled as such', async () => {
    expect(walletOptions([], 31337, undefined).map((w) => w.name)).toContain(DEV_WALLET_LABEL);
    expect(walletOptions([], 161201, undefined).map((w) => w.name)).not.toContain(DEV_WALLET_LABEL);
    expect(walletOptions([], 161201, undefined).find((w) => w.kind === 'walletconnect')?.disabledReason).toMatch(/projectId/);
    expect(walletOptions([], 161201, 'abc').find((w) => w.kind === 'walletconnect')?.disabledReason).toBeUndefined();
    await expect(createDevWallet(anvil.rpcUrl, 161201)).rejects.toMatchObject({ code: 'wallet/unavailable' });
    const dev = await createDevWallet(anvil.rpcUrl, 31337, 3);
    expect(dev.accounts).toHaveLength(10);
    expect(dev.account()).toBe(anvilDevAccounts(4)[3]!.address);
  });
});
