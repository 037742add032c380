// The devnet as `npm start` and e2e use it: chain JSON written, dev accounts funded, and a pooled
// settlement gets an epoch root posted automatically so the recipient can claim.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicClient, createWalletClient, http, type PublicClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChainConfig, toViemChain, type ChainConfig } from '../../src/chain/chains.ts';
import { anvilDevAccounts } from '../../src/chain/devAccounts.ts';
import { planClaim } from '../../src/chain/epochs.ts';
import { settlementAbi } from '../../src/chain/generated/Settlement.ts';
import { testTokenAbi } from '../../src/chain/generated/TestToken.ts';
import { settlementDomain, toContractPayment, type PaymentInput } from '../../src/chain/payment.ts';
import { freshAddress, freshBytes32, mined, signPayment } from '../../src/node/chain/chain.testkit.ts';
import { startDevnet, type Devnet } from './devnet.ts';

let devnet: Devnet;
let config: ChainConfig;
let publicClient: PublicClient;
const out = join(mkdtempSync(join(tmpdir(), 'devnet-')), 'chain.json');

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, outFile: out, rootIntervalMs: 200 });
  config = parseChainConfig(JSON.parse(readFileSync(out, 'utf8')));
  publicClient = createPublicClient({ chain: toViemChain(config), transport: http(config.rpcUrl), pollingInterval: 50, cacheTime: 0 }) as PublicClient;
}, 60_000);

afterAll(async () => {
  await devnet?.stop();
});

describe('devnet', () => {
  it('writes the chain JSON the app reads', () => {
    expect(config).toMatchObject({
      chainId: 31337,
      rpcUrl: devnet.rpcUrl,
      token: devnet.deployment.token,
      registry: devnet.deployment.registry,
      settlement: devnet.deployment.settlement,
      deployedAtBlock: devnet.deployment.deployedAtBlock,
      treasury: anvilDevAccounts(1)[0]!.address,
    });
  });

  it('funds the first 10 dev accounts with 1,000,000 tOPEN', async () => {
    for (const a of anvilDevAccounts(10)) {
      expect(await publicClient.readContract({ address: config.token, abi: testTokenAbi, functionName: 'balanceOf', args: [a.address] })).toBe(10n ** 24n);
    }
  });

  it('posts an epoch root after a pooled settlement, so the recipient can claim', async () => {
    const payerKey = anvilDevAccounts(3)[2]!.privateKey;
    const wallet = createWalletClient({ chain: toViemChain(config), transport: http(config.rpcUrl), account: privateKeyToAccount(payerKey), pollingInterval: 50 });
    await mined(publicClient, await wallet.writeContract({ address: config.token, abi: testTokenAbi, functionName: 'approve', args: [config.settlement, 10n ** 24n] }));
    const contributor = freshAddress();
    const payment: PaymentInput = {
      payer: wallet.account.address,
      nonce: freshBytes32(),
      total: 1000n,
      deadline: BigInt(Math.floor(Date.now() / 1000) + 3600),
      payoutMode: 1,
      feesRoot: freshBytes32(),
      feeCount: 1,
      splits: [
        { recipient: contributor, role: 0, amount: 990n },
        { recipient: config.treasury!, role: 4, amount: 10n },
      ],
    };
    const signature = await signPayment(wallet, payment, settlementDomain(config.chainId, config.settlement));
    await mined(publicClient, await wallet.writeContract({ address: config.settlement, abi: settlementAbi, functionName: 'settleBatch', args: [[toContractPayment(payment)], [signature]] }));

    let plan: Awaited<ReturnType<typeof planClaim>> | undefined;
    for (let i = 0; i < 50 && !plan; i++) {
      await new Promise((r) => setTimeout(r, 200));
      plan = await planClaim(publicClient, { settlement: config.settlement, fromBlock: config.deployedAtBlock!, account: contributor }).catch(() => undefined);
    }
    expect(plan?.claimable).toBe(990n);
    await mined(publicClient, await wallet.writeContract({ address: config.settlement, abi: settlementAbi, functionName: 'claim', args: [contributor, plan!.cumulativeAmount, plan!.proof] }));
    expect(await publicClient.readContract({ address: config.token, abi: testTokenAbi, functionName: 'balanceOf', args: [contributor] })).toBe(990n);
  }, 30_000);
});
