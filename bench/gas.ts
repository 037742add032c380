/**
 * Gas benchmark of Tributary settlement (`npm run bench -- gas`), on a fresh anvil in this run:
 * - batch settlement of 1, 10, 100 signed payments × 5, 20, 50 recipients each, DIRECT and POOLED, every
 *   split paying a distinct address that never held the token (the worst case for DIRECT);
 * - aggregation: 100 answer fees over 20 contributors settled as 100 payments (one signature each, the
 *   per-answer way) vs ONE payment committing to all 100 fees (one signature), same run;
 * - the naive baseline: one ERC-20 `transfer` transaction per recipient (same chain, same run);
 * - epoch root post, first and repeat claims; `claimFor` (a local key's EIP-712 authorisation, submitted by
 *   another account, paying a wallet address) vs `claim` on the same tree, first and repeat;
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
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { claimAuthorizationTypedData, claimForArgs } from '../src/chain/claimAuthorization.ts';
import type { Address } from '../src/core/types.ts';
import { buildEpochTree, cumulativeFromCredits, fetchPooledCredits } from '../src/chain/epochs.ts';
import { settlementAbi } from '../src/chain/generated/Settlement.ts';
import { testTokenAbi } from '../src/chain/generated/TestToken.ts';
import { startLocalStack, type DevWallet, type LocalStack } from '../src/node/chain/localStack.ts';
import { crossoverRecipients, estimatePayoutGas, type PayoutGasConstants } from '../src/chain/payout.ts';
import { settlementDomain, toContractPayment, type PaymentInput, type SettlementDomain } from '../src/chain/payment.ts';
import { freshBytes32, mined, signPayment } from '../src/node/chain/chain.testkit.ts';
import { buildPayment, type FeeForPayment } from '../src/core/payment.ts';

const PAYMENT_COUNTS = [1, 10, 100] as const;
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

async function sendPayments(ctx: Ctx, payments: PaymentInput[]): Promise<{ gas: number; calldataBytes: number }> {
  const signatures = await Promise.all(payments.map((p) => signPayment(ctx.payer, p, ctx.domain)));
  const hash = await ctx.payer.writeContract({ address: ctx.settlement, abi: settlementAbi, functionName: 'settleBatch', args: [payments.map(toContractPayment), signatures] });
  const receipt = await mined(ctx.stack.publicClient, hash);
  const tx = await ctx.stack.publicClient.getTransaction({ hash });
  return { gas: Number(receipt.gasUsed), calldataBytes: (tx.input.length - 2) / 2 };
}

/** One payment per inner list (each one fee paying its recipients), settled in one transaction. */
async function settleGas(ctx: Ctx, recipientsPerPayment: Address[][], mode: 0 | 1): Promise<{ gas: number; calldataBytes: number }> {
  const payments: PaymentInput[] = recipientsPerPayment.map((recipients) => {
    const splits = recipients.map((recipient, j) => ({ recipient, role: 0 as const, amount: 1_000_000_000n + BigInt(j) }));
    const total = splits.reduce((s, x) => s + x.amount, 0n);
    return { payer: ctx.payer.account.address, nonce: freshBytes32(), total, deadline: ctx.deadline, payoutMode: mode, feesRoot: freshBytes32(), feeCount: 1, splits };
  });
  return sendPayments(ctx, payments);
}

/** `fees` answer fees over `contributors`: settled one payment per fee, or all in one aggregated payment. */
async function aggregationGas(ctx: Ctx, fees: number, contributors: Address[], mode: 0 | 1, aggregated: boolean): Promise<{ gas: number; signatures: number }> {
  const all: FeeForPayment[] = Array.from({ length: fees }, (_, i) => {
    const credited = [contributors[i % contributors.length]!, contributors[(i * 7 + 3) % contributors.length]!, contributors[(i * 13 + 5) % contributors.length]!];
    const splits = [...new Set(credited)].map((recipient, j) => ({ recipient, role: 0 as const, amount: 1_000_000n + BigInt(i * 10 + j) }));
    return { id: freshBytes32(), subject: freshBytes32(), fee: splits.reduce((s, x) => s + x.amount, 0n), splits };
  });
  const modeName = mode === 0 ? 'direct' : 'pooled';
  const payments = aggregated
    ? [buildPayment({ payer: ctx.payer.account.address, nonce: freshBytes32(), deadline: ctx.deadline, payoutMode: modeName, fees: all })]
    : all.map((f) => buildPayment({ payer: ctx.payer.account.address, nonce: freshBytes32(), deadline: ctx.deadline, payoutMode: modeName, fees: [f] }));
  return { gas: (await sendPayments(ctx, payments)).gas, signatures: payments.length };
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

/** `claimFor`: `key` signs the authorisation to `recipient`, `from` submits it. */
async function claimForGas(ctx: Ctx, tree: ReturnType<typeof buildEpochTree>, key: PrivateKeyAccount, recipient: Address, from: DevWallet): Promise<{ gas: number; calldataBytes: number }> {
  const { cumulativeAmount, proof } = tree.proofFor(key.address);
  const claimedBefore = await ctx.stack.publicClient.readContract({ address: ctx.settlement, abi: settlementAbi, functionName: 'claimed', args: [key.address] });
  const auth = { account: key.address, recipient, cumulativeAmount, claimedBefore, deadline: ctx.deadline };
  const signature = await key.signTypedData(claimAuthorizationTypedData(auth, ctx.domain));
  const hash = await from.writeContract({ address: ctx.settlement, abi: settlementAbi, functionName: 'claimFor', args: claimForArgs(auth, proof as Hex[], signature) });
  const receipt = await mined(ctx.stack.publicClient, hash);
  const tx = await ctx.stack.publicClient.getTransaction({ hash });
  return { gas: Number(receipt.gasUsed), calldataBytes: (tx.input.length - 2) / 2 };
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

    // --- the table: R payments × N recipients, every split a distinct new address
    const table: {
      payments: number;
      recipientsPerPayment: number;
      mode: 'DIRECT' | 'POOLED';
      paidRecipients: number;
      gasUsed: number;
      gasPerRecipient: number;
      calldataBytes: number;
      fitsIn30MBlock: boolean;
    }[] = [];
    for (const R of PAYMENT_COUNTS) {
      for (const N of RECIPIENT_COUNTS) {
        for (const mode of ['DIRECT', 'POOLED'] as const) {
          const recipients = Array.from({ length: R }, () => Array.from({ length: N }, randomAddress));
          const { gas, calldataBytes } = await settleGas(ctx, recipients, MODES[mode]);
          table.push({
            payments: R,
            recipientsPerPayment: N,
            mode,
            paidRecipients: R * N,
            gasUsed: gas,
            gasPerRecipient: Math.round(gas / (R * N)),
            calldataBytes,
            fitsIn30MBlock: gas <= 30_000_000,
          });
          console.log(`  ${mode.padEnd(6)} ${String(R).padStart(3)} payments × ${String(N).padStart(2)} recipients: ${gas.toLocaleString('en')} gas, ${Math.round(gas / (R * N)).toLocaleString('en')} per recipient`);
        }
      }
    }

    // --- aggregation: 100 answer fees over 20 contributors (repeat recipients, as answers credit the same people)
    const aggregation: { mode: 'DIRECT' | 'POOLED'; perFeePayments: { gas: number; signatures: number }; aggregated: { gas: number; signatures: number }; ratio: number }[] = [];
    for (const mode of ['DIRECT', 'POOLED'] as const) {
      const people = Array.from({ length: 20 }, randomAddress);
      const perFee = await aggregationGas(ctx, 100, people, MODES[mode], false);
      const one = await aggregationGas(ctx, 100, Array.from({ length: 20 }, randomAddress), MODES[mode], true);
      aggregation.push({ mode, perFeePayments: perFee, aggregated: one, ratio: Number((perFee.gas / one.gas).toFixed(2)) });
      console.log(`  aggregation ${mode}: 100 fees as 100 payments ${perFee.gas.toLocaleString('en')} gas (100 signatures) vs one payment ${one.gas.toLocaleString('en')} gas (1 signature): ×${(perFee.gas / one.gas).toFixed(2)}`);
    }

    // --- marginal costs for the crossover: one payment, n distinct recipients
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
    // local keys (no gas) whose claims go to wallets that never held the token, like `claimants` above
    const localKeys = Array.from({ length: 20 }, () => privateKeyToAccount(generatePrivateKey()));
    const keyWallets = localKeys.map(() => randomAddress());
    await settleGas(ctx, [[...claimants, ...funded, ...localKeys.map((k) => k.address)]], MODES.POOLED);
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
    const firstClaimsFor: number[] = [];
    let claimForCalldata = 0;
    for (const [i, k] of localKeys.entries()) {
      const c = await claimForGas(ctx, post1.tree, k, keyWallets[i]!, claimer);
      firstClaimsFor.push(c.gas);
      claimForCalldata = Math.max(claimForCalldata, c.calldataBytes);
    }
    await settleGas(ctx, [[...claimants, ...localKeys.map((k) => k.address)]], MODES.POOLED);
    const post2 = await postRootGas(ctx);
    const repeatClaims: number[] = [];
    for (const a of claimants) repeatClaims.push((await claimGas(ctx, post2.tree, a, claimer)).gas);
    const repeatClaimsFor: number[] = [];
    for (const [i, k] of localKeys.entries()) repeatClaimsFor.push((await claimForGas(ctx, post2.tree, k, keyWallets[i]!, claimer)).gas);

    // --- results
    const batchCase = (mode: 'DIRECT' | 'POOLED', N: number) => table.find((r) => r.payments === 100 && r.recipientsPerPayment === N && r.mode === mode)!;
    // headline: the most expensive per recipient of the 100-payment POOLED cases (fewest recipients each)
    const headline = RECIPIENT_COUNTS.map((N) => batchCase('POOLED', N)).reduce((a, b) => (b.gasPerRecipient > a.gasPerRecipient ? b : a));
    const gasPerRecipientNaive = Math.round(mean(naiveNew));
    const gasFirstClaim = Math.round(mean(firstClaims));
    const gasRepeatClaim = Math.round(mean(repeatClaims));
    const gasFirstClaimFor = Math.round(mean(firstClaimsFor));
    const gasRepeatClaimFor = Math.round(mean(repeatClaimsFor));
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

    const values = [headline.gasPerRecipient, gasPerRecipientNaive, gasFirstClaim, gasRepeatClaim, gasFirstClaimFor, gasRepeatClaimFor, constants.perSplit, constants.directTransferNew];
    if (!values.every((v) => Number.isFinite(v) && v > 0)) throw new Error(`could not measure: ${JSON.stringify(values)}`);

    const result = {
      measuredAt: new Date().toISOString(),
      chain: 'anvil 1.7.1 (npm @foundry-rs/anvil), default hardfork, chain id 31337',
      compiler: readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../src/chain/generated/Settlement.ts'), 'utf8').split('\n')[0]!.replace(/^.*\((.*)\)\.$/, '$1'),
      note:
        'gas = transaction gasUsed (21k base + calldata included). Every paid recipient is a distinct address that never held the token. ' +
        `gas_per_recipient_batch is SETTLEMENT ONLY: the 100-payment POOLED batch with ${headline.recipientsPerPayment} recipients per payment, the costliest per recipient of the 100-payment POOLED cases (all cases are in the table). ` +
        'aggregation: 100 answer fees over 20 contributors, one payment (one signature) per fee vs one payment for all 100 (the app settles this way). ' +
        'with_claims adds the amortised root post and one first claim per recipient (pessimistic: each recipient claims after this single batch).',
      gas_per_recipient_batch: headline.gasPerRecipient,
      gas_per_recipient_batch_by_recipients: Object.fromEntries(RECIPIENT_COUNTS.map((N) => [N, batchCase('POOLED', N).gasPerRecipient])),
      gas_per_recipient_batch_with_claims: withClaims(headline),
      gas_per_recipient_batch_direct: batchCase('DIRECT', headline.recipientsPerPayment).gasPerRecipient,
      gas_100_fees_one_payment_pooled: aggregation.find((a) => a.mode === 'POOLED')!.aggregated.gas,
      gas_100_fees_100_payments_pooled: aggregation.find((a) => a.mode === 'POOLED')!.perFeePayments.gas,
      ratio_per_fee_over_aggregated_pooled: aggregation.find((a) => a.mode === 'POOLED')!.ratio,
      aggregation,
      gas_per_recipient_naive: gasPerRecipientNaive,
      gas_per_recipient_naive_returning: Math.round(mean(naiveReturning)),
      gas_first_claim: gasFirstClaim,
      gas_first_claim_funded_account: Math.round(mean(firstClaimsFunded)),
      gas_repeat_claim: gasRepeatClaim,
      gas_first_claim_for: gasFirstClaimFor,
      gas_repeat_claim_for: gasRepeatClaimFor,
      claim_for_over_claim_first: gasFirstClaimFor - gasFirstClaim,
      claim_for_over_claim_repeat: gasRepeatClaimFor - gasRepeatClaim,
      claim_for_calldata_bytes: claimForCalldata,
      claim_for_note:
        'claimFor: a local key signs a ClaimAuthorization (EIP-712), another account submits it, the tokens go to a wallet address that never held the token (first) or holds it (repeat); claim on the same tree pays the account itself (also never held the token on its first claim). The difference is the signature (calldata + ecrecover + struct hash) and the ClaimedFor event.',
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
  gas per recipient, 100-payment POOLED batch (${headline.recipientsPerPayment}/payment), settlement only: ${result.gas_per_recipient_batch} (goal ≤ ${GOAL_PER_RECIPIENT}: ${result.goals.gas_per_recipient_batch_met ? 'met' : 'NOT met'})
  … with root post + one first claim each: ${result.gas_per_recipient_batch_with_claims}
  naive one-transfer-per-recipient: ${gasPerRecipientNaive} (×${result.ratio_naive_over_batch} the batch)
  first claim: ${gasFirstClaim} (goal ≤ ${GOAL_FIRST_CLAIM}: ${result.goals.gas_first_claim_met ? 'met' : 'NOT met'}; tree of ${post1.leaves} leaves, proof ${proofLength} hashes), repeat claim: ${gasRepeatClaim}, root post: ${rootPost}
  claimFor (local key's signature, submitted by another account, paid to a wallet): first ${gasFirstClaimFor} (+${gasFirstClaimFor - gasFirstClaim} over claim), repeat ${gasRepeatClaimFor} (+${gasRepeatClaimFor - gasRepeatClaim})
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
