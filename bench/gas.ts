/**
 * Gas benchmark of Tributary settlement (`npm run bench -- gas`), on a fresh anvil in this run:
 * - batch settlement of 1, 10, 100 receipts × 5, 20, 50 recipients each, DIRECT and POOLED, every split
 *   paying a distinct address that never held the token (the worst case for DIRECT);
 * - the naive baseline: one ERC-20 `transfer` transaction per recipient (same chain, same run);
 * - epoch root post, first and repeat claims;
 * - the DIRECT vs POOLED crossover (src/chain/payout.ts) from marginal costs measured here.
 *
 * Gas is each transaction's `gasUsed` (21k base, calldata and refunds included).
 * Writes bench/results/gas.json; exits non-zero when something could not be measured.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { getAddress, toHex, type Hex } from 'viem';
import type { Address } from '../src/core/types.ts';
import { buildEpochTree, cumulativeFromCredits, fetchPooledCredits } from '../src/chain/epochs.ts';
import { settlementAbi } from '../src/chain/generated/Settlement.ts';
import { testTokenAbi } from '../src/chain/generated/TestToken.ts';
import { startLocalStack, type DevWallet, type LocalStack } from '../src/node/chain/localStack.ts';
import { crossoverRecipients, estimatePayoutGas, type PayoutGasConstants } from '../src/chain/payout.ts';
import { settlementDomain, toContractReceipt, type ReceiptInput, type SettlementDomain } from '../src/chain/receipt.ts';
import { freshReceiptId, mined, signReceipt } from '../src/node/chain/chain.testkit.ts';

const RECEIPT_COUNTS = [1, 10, 100] as const;
const RECIPIENT_COUNTS = [5, 20, 50] as const;
const MODES = { DIRECT: 0, POOLED: 1 } as const;
const GOAL_PER_RECIPIENT = 30_000;
const GOAL_FIRST_CLAIM = 90_000;

const randomAddress = (): Address => getAddress(toHex(randomBytes(20)));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Least-squares slope and intercept of y over x. */
function fit(points: [number, number][]): { slope: number; intercept: number } {
  const mx = mean(points.map((p) => p[0]));
  const my = mean(points.map((p) => p[1]));
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

interface Ctx {
  stack: LocalStack;
  payer: DevWallet;
  poster: DevWallet;
  settlement: Address;
  token: Address;
  domain: SettlementDomain;
  deadline: bigint;
}

async function settleGas(ctx: Ctx, recipientsPerReceipt: Address[][], mode: number): Promise<{ gas: number; calldataBytes: number }> {
  const receipts: ReceiptInput[] = recipientsPerReceipt.map((recipients) => {
    const splits = recipients.map((recipient, j) => ({ recipient, role: 0 as const, amount: 1_000_000_000n + BigInt(j) }));
    return { receiptId: freshReceiptId(), payer: ctx.payer.account.address, fee: splits.reduce((s, x) => s + x.amount, 0n), deadline: ctx.deadline, splits };
  });
  const signatures = await Promise.all(receipts.map((r) => signReceipt(ctx.payer, r, ctx.domain)));
  const hash = await ctx.payer.writeContract({ address: ctx.settlement, abi: settlementAbi, functionName: 'settleBatch', args: [receipts.map(toContractReceipt), signatures, mode] });
  const receipt = await mined(ctx.stack.publicClient, hash);
  const tx = await ctx.stack.publicClient.getTransaction({ hash });
  return { gas: Number(receipt.gasUsed), calldataBytes: (tx.input.length - 2) / 2 };
}

async function transferGas(ctx: Ctx, to: Address): Promise<number> {
  const hash = await ctx.payer.writeContract({ address: ctx.token, abi: testTokenAbi, functionName: 'transfer', args: [to, 1_000_000_000n] });
  return Number((await mined(ctx.stack.publicClient, hash)).gasUsed);
}

async function postRootGas(ctx: Ctx): Promise<{ gas: number; leaves: number; tree: ReturnType<typeof buildEpochTree> }> {
  const latest = await ctx.stack.publicClient.getBlockNumber({ cacheTime: 0 });
  const credits = await fetchPooledCredits(ctx.stack.publicClient, { settlement: ctx.settlement, fromBlock: ctx.stack.deployment.deployedAtBlock, toBlock: latest, maxBlockRange: 1_000_000n });
  const tree = buildEpochTree(cumulativeFromCredits(credits));
  const hash = await ctx.poster.writeContract({ address: ctx.settlement, abi: settlementAbi, functionName: 'postEpochRoot', args: [latest, tree.root, tree.total], gas: 200_000n });
  return { gas: Number((await mined(ctx.stack.publicClient, hash)).gasUsed), leaves: tree.entries.length, tree };
}

async function claimGas(ctx: Ctx, tree: ReturnType<typeof buildEpochTree>, account: Address, from: DevWallet): Promise<{ gas: number; proofLength: number }> {
  const { cumulativeAmount, proof } = tree.proofFor(account);
  const hash = await from.writeContract({ address: ctx.settlement, abi: settlementAbi, functionName: 'claim', args: [account, cumulativeAmount, proof as Hex[]] });
  return { gas: Number((await mined(ctx.stack.publicClient, hash)).gasUsed), proofLength: proof.length };
}

export async function main(): Promise<void> {
  const started = Date.now();
  const stack = await startLocalStack({ accounts: 4, anvil: { gasLimit: 4_000_000_000n } });
  try {
    const [poster, payer, claimer] = [stack.wallets[0]!, stack.wallets[1]!, stack.wallets[2]!];
    const { settlement, token } = stack.deployment;
    const ctx: Ctx = {
      stack,
      payer,
      poster,
      settlement,
      token,
      domain: settlementDomain(stack.deployment.chainId, settlement),
      deadline: (await stack.publicClient.getBlock()).timestamp + 86_400n,
    };
    await mined(stack.publicClient, await payer.writeContract({ address: token, abi: testTokenAbi, functionName: 'approve', args: [settlement, 2n ** 255n] }));
    // warm-up: the first settlement ever sets the pool total and touches fresh contract slots
    await settleGas(ctx, [[randomAddress()]], MODES.POOLED);
    await settleGas(ctx, [[randomAddress()]], MODES.DIRECT);

    // --- naive baseline: one transfer transaction per recipient
    const naiveNew: number[] = [];
    const naiveReturning: number[] = [];
    for (let i = 0; i < 30; i++) {
      const to = randomAddress();
      naiveNew.push(await transferGas(ctx, to));
      naiveReturning.push(await transferGas(ctx, to));
    }

    // --- the table: R receipts × N recipients, every split a distinct new address
    const table: {
      receipts: number;
      recipientsPerReceipt: number;
      mode: 'DIRECT' | 'POOLED';
      paidRecipients: number;
      gasUsed: number;
      gasPerRecipient: number;
      calldataBytes: number;
      fitsIn30MBlock: boolean;
    }[] = [];
    for (const R of RECEIPT_COUNTS) {
      for (const N of RECIPIENT_COUNTS) {
        for (const mode of ['DIRECT', 'POOLED'] as const) {
          const recipients = Array.from({ length: R }, () => Array.from({ length: N }, randomAddress));
          const { gas, calldataBytes } = await settleGas(ctx, recipients, MODES[mode]);
          table.push({
            receipts: R,
            recipientsPerReceipt: N,
            mode,
            paidRecipients: R * N,
            gasUsed: gas,
            gasPerRecipient: Math.round(gas / (R * N)),
            calldataBytes,
            fitsIn30MBlock: gas <= 30_000_000,
          });
          console.log(`  ${mode.padEnd(6)} ${String(R).padStart(3)} receipts × ${String(N).padStart(2)} recipients: ${gas.toLocaleString('en')} gas, ${Math.round(gas / (R * N)).toLocaleString('en')} per recipient`);
        }
      }
    }

    // --- marginal costs for the crossover: one receipt, n distinct recipients
    const sizes = [1, 2, 5, 10, 20, 40];
    const directNewPts: [number, number][] = [];
    const directReturningPts: [number, number][] = [];
    const pooledPts: [number, number][] = [];
    for (const n of sizes) {
      const people = Array.from({ length: n }, randomAddress);
      directNewPts.push([n, (await settleGas(ctx, [people], MODES.DIRECT)).gas]);
      directReturningPts.push([n, (await settleGas(ctx, [people], MODES.DIRECT)).gas]);
      pooledPts.push([n, (await settleGas(ctx, [Array.from({ length: n }, randomAddress)], MODES.POOLED)).gas]);
    }
    const directNew = fit(directNewPts);
    const directReturning = fit(directReturningPts);
    const pooled = fit(pooledPts);

    // --- epoch root and claims: the tree holds every pooled recipient of this run
    const claimants = Array.from({ length: 20 }, randomAddress);
    const funded = Array.from({ length: 10 }, randomAddress);
    for (const f of funded) await transferGas(ctx, f); // these already hold the token
    await settleGas(ctx, [[...claimants, ...funded]], MODES.POOLED);
    const post1 = await postRootGas(ctx);
    const firstClaims: number[] = [];
    const firstClaimsFunded: number[] = [];
    let proofLength = 0;
    for (const a of claimants) {
      const c = await claimGas(ctx, post1.tree, a, claimer);
      firstClaims.push(c.gas);
      proofLength = Math.max(proofLength, c.proofLength);
    }
    for (const a of funded) firstClaimsFunded.push((await claimGas(ctx, post1.tree, a, claimer)).gas);
    await settleGas(ctx, [claimants], MODES.POOLED);
    const post2 = await postRootGas(ctx);
    const repeatClaims: number[] = [];
    for (const a of claimants) repeatClaims.push((await claimGas(ctx, post2.tree, a, claimer)).gas);

    // --- results
    const batchCase = (mode: 'DIRECT' | 'POOLED', N: number) => table.find((r) => r.receipts === 100 && r.recipientsPerReceipt === N && r.mode === mode)!;
    // headline: the most expensive per recipient of the 100-receipt POOLED cases (fewest recipients each)
    const headline = RECIPIENT_COUNTS.map((N) => batchCase('POOLED', N)).reduce((a, b) => (b.gasPerRecipient > a.gasPerRecipient ? b : a));
    const gasPerRecipientNaive = Math.round(mean(naiveNew));
    const gasFirstClaim = Math.round(mean(firstClaims));
    const gasRepeatClaim = Math.round(mean(repeatClaims));
    const rootPost = Math.round(mean([post1.gas, post2.gas]));
    const withClaims = (row: (typeof table)[number]) => Math.round(row.gasPerRecipient + rootPost / row.paidRecipients + gasFirstClaim);

    const constants: PayoutGasConstants = {
      perSplit: Math.round(pooled.slope),
      directTransferNew: Math.round(directNew.slope - pooled.slope),
      directTransferReturning: Math.round(directReturning.slope - pooled.slope),
      pooledBatch: Math.max(0, Math.round(pooled.intercept - directReturning.intercept)),
      rootPost,
      firstClaim: gasFirstClaim,
      repeatClaim: gasRepeatClaim,
    };
    const crossover = [1, 2, 4, 7, 14, 30].map((settlementsPerClaim) => ({
      settlementsPerClaim,
      newRecipients: crossoverRecipients({ returning: false, settlementsPerClaim }, constants),
      returningRecipients: crossoverRecipients({ returning: true, settlementsPerClaim }, constants),
    }));

    const values = [headline.gasPerRecipient, gasPerRecipientNaive, gasFirstClaim, gasRepeatClaim, constants.perSplit, constants.directTransferNew];
    if (!values.every((v) => Number.isFinite(v) && v > 0)) throw new Error(`could not measure: ${JSON.stringify(values)}`);

    const result = {
      measuredAt: new Date().toISOString(),
      chain: 'anvil 1.7.1 (npm @foundry-rs/anvil), default hardfork, chain id 31337',
      compiler: readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../src/chain/generated/Settlement.ts'), 'utf8').split('\n')[0]!.replace(/^.*\((.*)\)\.$/, '$1'),
      note:
        'gas = transaction gasUsed (21k base + calldata included). Every paid recipient is a distinct address that never held the token. ' +
        `gas_per_recipient_batch is SETTLEMENT ONLY: the 100-receipt POOLED batch with ${headline.recipientsPerReceipt} recipients per receipt, the costliest per recipient of the 100-receipt POOLED cases (all cases are in the table). ` +
        'with_claims adds the amortised root post and one first claim per recipient (pessimistic: each recipient claims after this single batch).',
      gas_per_recipient_batch: headline.gasPerRecipient,
      gas_per_recipient_batch_by_recipients: Object.fromEntries(RECIPIENT_COUNTS.map((N) => [N, batchCase('POOLED', N).gasPerRecipient])),
      gas_per_recipient_batch_with_claims: withClaims(headline),
      gas_per_recipient_batch_direct: batchCase('DIRECT', headline.recipientsPerReceipt).gasPerRecipient,
      gas_per_recipient_naive: gasPerRecipientNaive,
      gas_per_recipient_naive_returning: Math.round(mean(naiveReturning)),
      gas_first_claim: gasFirstClaim,
      gas_first_claim_funded_account: Math.round(mean(firstClaimsFunded)),
      gas_repeat_claim: gasRepeatClaim,
      gas_root_post: rootPost,
      claim_tree_leaves: post1.leaves,
      claim_proof_length: proofLength,
      ratio_naive_over_batch: Number((gasPerRecipientNaive / headline.gasPerRecipient).toFixed(2)),
      goals: {
        gas_per_recipient_batch_max: GOAL_PER_RECIPIENT,
        gas_per_recipient_batch_met: headline.gasPerRecipient <= GOAL_PER_RECIPIENT,
        gas_first_claim_max: GOAL_FIRST_CLAIM,
        gas_first_claim_met: gasFirstClaim <= GOAL_FIRST_CLAIM,
      },
      table: table.map((r) => ({ ...r, gasPerRecipientWithClaims: r.mode === 'POOLED' ? withClaims(r) : null, ratioNaiveOverBatch: Number((gasPerRecipientNaive / r.gasPerRecipient).toFixed(2)) })),
      crossover: {
        model: 'src/chain/payout.ts estimatePayoutGas: system-wide gas (payer + root poster + claimers) of the part that differs between modes',
        fits: { directNew, directReturning, pooled },
        constants,
        pooledFromRecipients: crossover,
        example: { batch: { distinctRecipients: 20, returningRecipients: 0 }, ...estimatePayoutGas({ distinctRecipients: 20 }, constants) },
      },
      seconds: Math.round((Date.now() - started) / 1000),
    };
    const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'gas.json');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);

    console.log(`
  gas per recipient, 100-receipt POOLED batch (${headline.recipientsPerReceipt}/receipt), settlement only: ${result.gas_per_recipient_batch} (goal ≤ ${GOAL_PER_RECIPIENT}: ${result.goals.gas_per_recipient_batch_met ? 'met' : 'NOT met'})
  … with root post + one first claim each: ${result.gas_per_recipient_batch_with_claims}
  naive one-transfer-per-recipient: ${gasPerRecipientNaive} (×${result.ratio_naive_over_batch} the batch)
  first claim: ${gasFirstClaim} (goal ≤ ${GOAL_FIRST_CLAIM}: ${result.goals.gas_first_claim_met ? 'met' : 'NOT met'}; tree of ${post1.leaves} leaves, proof ${proofLength} hashes), repeat claim: ${gasRepeatClaim}, root post: ${rootPost}
  crossover (POOLED from n distinct recipients): ${crossover.map((c) => `${c.settlementsPerClaim} batches/claim: new ${c.newRecipients ?? 'never'}, returning ${c.returningRecipients ?? 'never'}`).join('; ')}
  -> ${out}`);
  } finally {
    await stack.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
