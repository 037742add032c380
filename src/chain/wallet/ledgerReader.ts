/**
 * The ledger's view of the chain (`LedgerChainReader` of services/ledgerService), over a public client
 * on the configured RPC: `settled(paymentId)`, the `PaymentSettled` logs of a payer's payments, a
 * transaction's state, the treasury and the latest block time.
 */
import { createPublicClient, http, type PublicClient } from 'viem';
import type { Address, Hex } from '../../core/types.ts';
import type { PayoutMode } from '../../core/ledger.ts';
import { planClaim } from '../epochs.ts';
import { settlementAbi } from '../generated/Settlement.ts';
import { viemChain, type WalletChain } from './connect.ts';

export interface ReaderChain extends WalletChain {
  settlement: Address;
  deployedAtBlock?: bigint;
}

export type TxState = 'success' | 'reverted' | 'pending' | 'unknown';

export function createLedgerReader(chain: ReaderChain, client?: PublicClient) {
  const pc = client ?? (createPublicClient({ chain: viemChain(chain), transport: http(chain.rpcUrl, { retryCount: 1 }) }) as PublicClient);
  const fromBlock = chain.deployedAtBlock ?? 0n;
  return {
    client: pc,
    treasury: (): Promise<Address> => pc.readContract({ address: chain.settlement, abi: settlementAbi, functionName: 'treasury' }),
    settled: (ids: Hex[]): Promise<boolean[]> =>
      Promise.all(ids.map((id) => pc.readContract({ address: chain.settlement, abi: settlementAbi, functionName: 'settled', args: [id] }))),
    /**
     * The settling transaction and payout mode of each payment id with a `PaymentSettled` log of
     * `payer` (reconciliation by payer: a log naming another payer is never taken for ours).
     */
    async settlementOf(ids: Hex[], payer: Address): Promise<Map<Hex, { txHash: Hex; payoutMode: PayoutMode }>> {
      const out = new Map<Hex, { txHash: Hex; payoutMode: PayoutMode }>();
      if (ids.length === 0) return out;
      const logs = await pc.getContractEvents({
        address: chain.settlement,
        abi: settlementAbi,
        eventName: 'PaymentSettled',
        args: { paymentId: ids, payer },
        fromBlock,
        strict: true,
      });
      for (const l of logs) {
        if (l.args.payer.toLowerCase() !== payer.toLowerCase()) continue;
        const id = ids.find((x) => x.toLowerCase() === l.args.paymentId.toLowerCase());
        if (id) out.set(id, { txHash: l.transactionHash, payoutMode: l.args.payoutMode === 1 ? 'pooled' : 'direct' });
      }
      return out;
    },
    async transactionState(hash: Hex): Promise<TxState> {
      const receipt = await pc.getTransactionReceipt({ hash }).catch(() => undefined);
      if (receipt) return receipt.status === 'success' ? 'success' : 'reverted';
      const tx = await pc.getTransaction({ hash }).catch(() => undefined);
      return tx ? 'pending' : 'unknown';
    },
    async latestTimestamp(): Promise<bigint> {
      return (await pc.getBlock({ blockTag: 'latest' })).timestamp;
    },
    gasBalance: (account: Address): Promise<bigint> => pc.getBalance({ address: account }),
    planClaim: (account: Address) => planClaim(pc, { settlement: chain.settlement, fromBlock, account }),
  };
}
