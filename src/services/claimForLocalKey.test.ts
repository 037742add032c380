// A local key's claim to a wallet through the ledger service, on a real anvil: the worker signs the
// authorisation with the key it keeps; a wallet submits it, or the key itself when it holds gas; a used
// authorisation is refused; a wallet account (no local key) is told to claim from its wallet.
import 'fake-indexeddb/auto';
import { parseEther } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimForArgs } from '../chain/claimAuthorization.ts';
import { planClaim } from '../chain/epochs.ts';
import { settlementAbi } from '../chain/generated/Settlement.ts';
import { testTokenAbi } from '../chain/generated/TestToken.ts';
import { settlementDomain, toContractPayment, type PaymentInput } from '../chain/payment.ts';
import { postLatestEpochRoot } from '../chain/rootPoster.ts';
import { sendClaimForWithKey } from '../chain/wallet/claimForWithWallet.ts';
import { createLedgerReader } from '../chain/wallet/ledgerReader.ts';
import type { Address, Hex } from '../core/types.ts';
import { freshAddress, freshBytes32, mined, signPayment } from '../node/chain/chain.testkit.ts';
import { startLocalStack, type LocalStack } from '../node/chain/localStack.ts';
import { TributaryDB } from '../store/db.ts';
import { LedgerService, type LedgerChainRef } from './ledgerService.ts';

describe('a local key claims to a wallet (claimFor) through the ledger service', () => {
  let stack: LocalStack;
  let chain: LedgerChainRef;
  let db: TributaryDB;
  let svc: LedgerService;
  const key = generatePrivateKey();
  const local = privateKeyToAccount(key).address;

  const balanceOf = (a: Address) => stack.publicClient.readContract({ address: chain.token, abi: testTokenAbi, functionName: 'balanceOf', args: [a] });
  const claimedOf = (a: Address) => stack.publicClient.readContract({ address: chain.settlement, abi: settlementAbi, functionName: 'claimed', args: [a] });

  async function pool(amount: bigint): Promise<void> {
    const payer = stack.wallets[1]!;
    const p: PaymentInput = {
      payer: payer.account.address,
      nonce: freshBytes32(),
      total: amount,
      deadline: (await stack.publicClient.getBlock()).timestamp + 3600n,
      payoutMode: 1,
      feesRoot: freshBytes32(),
      feeCount: 1,
      splits: [{ recipient: local, role: 0, amount }],
    };
    const sig = await signPayment(payer, p, settlementDomain(chain.chainId, chain.settlement));
    await mined(stack.publicClient, await payer.writeContract({ address: chain.settlement, abi: settlementAbi, functionName: 'settleBatch', args: [[toContractPayment(p)], [sig]] }));
    await postLatestEpochRoot(stack.publicClient, stack.wallets[0]!, { settlement: chain.settlement, fromBlock: stack.deployment.deployedAtBlock });
  }

  beforeAll(async () => {
    stack = await startLocalStack({ accounts: 3 });
    const d = stack.deployment;
    chain = { chainId: d.chainId, name: 'Local', rpcUrl: stack.anvil.rpcUrl, token: d.token, settlement: d.settlement, deployedAtBlock: d.deployedAtBlock };
    db = new TributaryDB(`claim-for-${crypto.randomUUID()}`);
    await db.identities.add({ address: local, label: 'Me', kind: 'local', privateKey: key, createdAt: 1 });
    svc = new LedgerService(db, {
      now: Date.now,
      randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
      reader: (c) => createLedgerReader(c),
      sendClaimAsLocalKey: (c, privateKey, signed) => sendClaimForWithKey(c, privateKey, signed),
    });
    await mined(stack.publicClient, await stack.wallets[1]!.writeContract({ address: d.token, abi: testTokenAbi, functionName: 'approve', args: [d.settlement, 10n ** 30n] }));
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('the worker signs for the local key; the connected wallet submits; the wallet address is paid', async () => {
    await pool(4_000n);
    const wallet = stack.wallets[2]!;
    const recipient = freshAddress();
    const signed = await svc.authorizeClaim(chain, local, recipient);
    expect(signed).toMatchObject({ payout: 4_000n, authorization: { account: local, recipient, claimedBefore: 0n, cumulativeAmount: 4_000n } });
    const id = await svc.beginClaim(chain.chainId, local, signed.epoch, signed.authorization.cumulativeAmount, signed.payout, recipient);
    const hash = await wallet.writeContract({ address: chain.settlement, abi: settlementAbi, functionName: 'claimFor', args: claimForArgs(signed.authorization, signed.proof, signed.signature) });
    await mined(stack.publicClient, hash);
    await svc.claimFinished(id, { txHash: hash });
    expect(await balanceOf(recipient)).toBe(4_000n);
    expect(await claimedOf(local)).toBe(4_000n);
    expect(await db.claims.get(id)).toMatchObject({ account: local, recipient, amount: 4_000n, status: 'confirmed', txHash: hash });
    // Nothing left: no authorisation is signed for nothing.
    await expect(svc.authorizeClaim(chain, local, recipient)).rejects.toMatchObject({ code: 'chain/nothing-to-claim' });
  });

  it('a local key with gas sends its own claim; the same authorisation cannot be sent again', async () => {
    await pool(250n);
    expect(await svc.gasBalance(chain, local)).toBe(0n);
    const recipient = freshAddress();
    const signed = await svc.authorizeClaim(chain, local, recipient);
    expect(signed.authorization.claimedBefore).toBe(4_000n);
    // Without gas the key cannot send it (and nothing changes).
    await expect(svc.submitClaimWithLocalKey(chain, signed)).rejects.toMatchObject({ code: 'chain/insufficient-funds' });
    await mined(stack.publicClient, await stack.wallets[2]!.sendTransaction({ to: local, value: parseEther('0.01') }));
    expect(await svc.gasBalance(chain, local)).toBe(parseEther('0.01'));
    const hash = await svc.submitClaimWithLocalKey(chain, signed);
    expect((await stack.publicClient.getTransaction({ hash })).from.toLowerCase()).toBe(local.toLowerCase());
    expect(await balanceOf(recipient)).toBe(250n);
    expect(await claimedOf(local)).toBe(4_250n);
    await expect(svc.submitClaimWithLocalKey(chain, signed)).rejects.toMatchObject({ code: 'chain/bad-signature' });
    // A tampered copy (more for the recipient) is refused before anything is sent.
    await expect(svc.submitClaimWithLocalKey(chain, { ...signed, authorization: { ...signed.authorization, cumulativeAmount: 9_999n } })).rejects.toMatchObject({ code: 'chain/bad-signature' });
  });

  it('refuses accounts without a local key and unusable recipients, without signing', async () => {
    await pool(10n);
    await expect(svc.authorizeClaim(chain, stack.accounts[2]!.address, freshAddress())).rejects.toMatchObject({ code: 'identity/not-found' });
    await expect(svc.authorizeClaim(chain, local, '0x0000000000000000000000000000000000000000')).rejects.toMatchObject({ code: 'chain/claim-invalid' });
    await expect(svc.authorizeClaim(chain, local, chain.settlement)).rejects.toMatchObject({ code: 'chain/claim-invalid' });
    await expect(svc.authorizeClaim(chain, local, 'not an address' as Hex)).rejects.toMatchObject({ code: 'chain/claim-invalid' });
    const plan = await planClaim(stack.publicClient, { settlement: chain.settlement, fromBlock: stack.deployment.deployedAtBlock, account: local });
    expect(plan.claimable).toBe(10n);
  });
});
