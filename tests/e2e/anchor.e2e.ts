/**
 * Anchoring end to end, in headless Chromium against the `npm start` stack (local anvil chain +
 * deployed contracts + the built app), with the injected EIP-1193 test wallet (tests/e2e/wallet.ts)
 * holding anvil dev account #3. The wallet's account creates a Datanet (signed in the wallet), local
 * identities contribute and approve it to version 1, and the owner registers the Datanet and anchors
 * version 1 in `DatanetRegistry`; the registry, read from Node, holds the root the page shows.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPublicClient, http, type PublicClient } from 'viem';
import { datanetKey } from '../../src/chain/wallet/anchorWithWallet.ts';
import { anvilDevAccounts } from '../../src/chain/devAccounts.ts';
import { datanetRegistryAbi } from '../../src/chain/generated/DatanetRegistry.ts';
import type { Hex } from '../../src/core/types.ts';
import { createDatanet, createIdentity, eventually, navigate, openApp, previewContribution, readTables, submitPreviewed, switchIdentity } from './app.ts';
import { openProfile, screenshotOnFailure, type BrowserProfile } from './browser.ts';
import { installTestWallet, TEST_WALLET_NAME, type TestWallet } from './wallet.ts';

const appUrl = inject('appUrl');
const chain = inject('chain');

const OWNER = anvilDevAccounts(4)[3]!;
const ZERO_ROOT = `0x${'0'.repeat(64)}`;

const DATANET = {
  name: 'Tide Tables by Hand',
  summary: 'How harbour masters predicted tides before computers.',
  description: 'Harmonic constants, tide-predicting machines and pencil arithmetic.',
  tags: 'maritime, tides',
};
const ENTRY_TITLE = 'Reading a tide gauge';
const ENTRY =
  'A tide gauge is read at the same minute every hour, against a staff painted in feet and tenths. The reader ' +
  'notes the height, the wind and any swell that makes the float jump, because a single gusty reading can shift ' +
  'the fitted constants for a month. Twelve readings a day over a year give the main harmonic terms.';

describe('anchoring a wallet-owned Datanet in DatanetRegistry', () => {
  let profile: BrowserProfile;
  let wallet: TestWallet;
  let pc: PublicClient;
  let datanetPath = '';
  let datanetId = '';
  // the registry key binds the id to its owner (DatanetRegistry.datanetKeyOf)
  const key = () => datanetKey({ id: datanetId, owner: OWNER.address });
  const registry = () => chain.registry;

  beforeAll(async () => {
    pc = createPublicClient({ transport: http(chain.rpcUrl) }) as PublicClient;
    profile = await openProfile();
    wallet = await installTestWallet(profile.page, { privateKeys: [OWNER.privateKey], rpcUrl: chain.rpcUrl, chainId: chain.chainId });
    await openApp(profile.page, appUrl);
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') {
      await screenshotOnFailure(profile, ctx.task.name);
      console.log('wallet requests (last 15):', wallet.requests.slice(-15), 'page errors:', profile.errors);
    }
  });
  afterAll(async () => {
    await profile?.close();
  });

  it('creates a Datanet owned by the connected wallet, signed in the wallet', async () => {
    const { page } = profile;
    await navigate(page, 'Ledger'); // shows the connected account
    const header = page.getByRole('banner');
    await header.getByRole('button', { name: 'Connect wallet' }).click();
    await page.getByRole('dialog', { name: 'Wallet' }).getByRole('button', { name: TEST_WALLET_NAME }).click();
    await eventually(async () => expect(await page.getByTestId('wallet-account').textContent()).toBe(OWNER.address));
    expect(await page.locator('#identity-select option:checked').textContent()).toContain(`Wallet · ${TEST_WALLET_NAME}`);

    const signed0 = wallet.requests.filter((m) => m === 'eth_signTypedData_v4').length;
    datanetPath = await createDatanet(page, DATANET);
    datanetId = decodeURIComponent(datanetPath.split('/').pop()!);
    expect(datanetId).toMatch(/^dn-[0-9a-f]{16}$/);
    expect(wallet.requests.filter((m) => m === 'eth_signTypedData_v4').length).toBe(signed0 + 1);
    const { datanets, settings } = await readTables(page, ['datanets', 'settings']);
    expect(datanets.find((d) => d.id === datanetId)?.owner).toBe(OWNER.address);
    expect(settings.find((s) => s.key === `datanetSignature:${datanetId}`)?.value).toMatch(/^0x[0-9a-f]{130}$/);

    // The owner sees the On chain panel: not registered, nothing to anchor yet.
    const panel = page.getByTestId('onchain-panel');
    await eventually(async () => expect(await panel.getByTestId('anchor-registered').textContent()).toBe('Not yet'));
    await panel.getByText('Nothing to anchor yet').waitFor();
  });

  it('local identities contribute and approve it: version 1', async () => {
    const { page } = profile;
    await createIdentity(page, 'Dana');
    await previewContribution(page, DATANET.name, { pasteTitle: ENTRY_TITLE, pasteText: ENTRY });
    await submitPreviewed(page);
    await createIdentity(page, 'Eve');
    await createIdentity(page, 'Frank');
    await navigate(page, 'Validate');
    const card = page.getByRole('article', { name: ENTRY_TITLE });
    await switchIdentity(page, 'Eve');
    await card.getByRole('button', { name: 'Approve' }).click();
    await eventually(async () => expect(await card.textContent()).toMatch(/1 of at least 2 votes/));
    await switchIdentity(page, 'Frank');
    await card.getByRole('button', { name: 'Approve' }).click();
    await page.getByText(/Accepted.*version 1/i).waitFor();

    // A Datanet owned by a local key: the panel explains that anchoring needs the owner's wallet.
    await switchIdentity(page, 'Dana');
    await createDatanet(page, { name: 'Dana Local Notes', summary: 'Owned by a local key.', description: 'Local.', tags: 'notes' });
    await page.getByTestId('anchor-needs-wallet').filter({ hasText: "anchoring needs the owner's wallet" }).waitFor();
    expect(await page.getByRole('button', { name: 'Register on chain' }).count()).toBe(0);
  });

  it("registers and anchors version 1 through the owner's wallet; a rejected request anchors nothing", async () => {
    const { page } = profile;
    await switchIdentity(page, TEST_WALLET_NAME);
    // In-app navigation (no reload: the wallet stays connected as it is).
    await navigate(page, 'Datanets');
    await page.getByRole('link', { name: DATANET.name }).first().click();
    await page.getByRole('heading', { level: 1, name: DATANET.name }).waitFor();
    const panel = page.getByTestId('onchain-panel');

    await panel.getByRole('button', { name: 'Register on chain' }).click();
    await panel.getByTestId('anchor-result').filter({ hasText: `Registered "${DATANET.name}"` }).waitFor({ timeout: 60_000 });
    expect(await pc.readContract({ address: registry(), abi: datanetRegistryAbi, functionName: 'ownerOf', args: [key()] })).toBe(OWNER.address);
    await eventually(async () => expect(await panel.getByTestId('anchor-registered').textContent()).toBe('Yes, by you'));

    const localRoot = ((await panel.getByTestId('local-root').textContent()) ?? '').trim() as Hex;
    const [version1] = (await readTables(page, ['versions'])).versions.filter((v) => v.datanetId === datanetId && v.version === 1);
    expect(localRoot).toBe(version1!.merkleRoot);

    // Rejected in the wallet: nothing anchored.
    const sends0 = wallet.requests.filter((m) => m === 'eth_sendTransaction').length;
    wallet.rejectNext('eth_sendTransaction');
    await panel.getByRole('button', { name: 'Anchor version 1' }).click();
    await panel.getByRole('alert').filter({ hasText: 'You rejected the request in your wallet' }).waitFor();
    expect(await panel.getByRole('alert').textContent()).toContain('Nothing was anchored.');
    expect(wallet.requests.filter((m) => m === 'eth_sendTransaction').length).toBe(sends0 + 1);
    const d0 = await pc.readContract({ address: registry(), abi: datanetRegistryAbi, functionName: 'datanet', args: [key()] });
    expect(d0.latestVersion).toBe(0);
    expect((await pc.readContract({ address: registry(), abi: datanetRegistryAbi, functionName: 'versionOf', args: [key(), 1] })).merkleRoot).toBe(ZERO_ROOT);

    // Accepted: the root on chain is the one shown on the page, and this browser's.
    await panel.getByRole('button', { name: 'Anchor version 1' }).click();
    await panel.getByTestId('anchor-result').filter({ hasText: "the root on chain equals this browser's version 1 root" }).waitFor({ timeout: 60_000 });
    const shown = await eventually(async () => {
      const t = ((await panel.getByTestId('anchored-root').textContent()) ?? '').trim();
      expect(t).toMatch(/^0x[0-9a-f]{64}$/);
      return t;
    });
    const onChain = await pc.readContract({ address: registry(), abi: datanetRegistryAbi, functionName: 'versionOf', args: [key(), 1] });
    expect(onChain.merkleRoot).toBe(shown);
    expect(onChain.merkleRoot).toBe(localRoot);
    expect(onChain.contributionCount).toBe(version1!.contributionIds.length);
    const d1 = await pc.readContract({ address: registry(), abi: datanetRegistryAbi, functionName: 'datanet', args: [key()] });
    expect(d1).toEqual({ owner: OWNER.address, latestVersion: 1, pendingOwner: '0x0000000000000000000000000000000000000000', name: DATANET.name });
    expect(await panel.getByTestId('anchor-match').textContent()).toContain("Equals this browser's version 1 root");
    await panel.getByText(/Up to date/).waitFor();
    expect(await panel.getByRole('button', { name: /^Anchor version/ }).count()).toBe(0);
  });

  it('exports a pack of the wallet-owned Datanet with the signature made at creation', async () => {
    const { page } = profile;
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export pack' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^tide-tables-by-hand-v1-[0-9a-f]{8}\.tributary\.zip$/);
  });
});
