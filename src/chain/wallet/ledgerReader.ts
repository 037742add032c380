/**
 * The ledger's view of the chain (`LedgerChainReader` of services/ledgerService), over a public client
 * on the configured RPC: `settled(receiptId)`, the `ReceiptSettled` / `SplitPooled` logs of a receipt,
 * a transaction's state, the treasury and the latest block time.
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
    async settlementOf(ids: Hex[]): Promise<Map<Hex, { txHash: Hex; payoutMode: PayoutMode }>> {
      const out = new Map<Hex, { txHash: Hex; payoutMode: PayoutMode }>();
      if (ids.length === 0) return out;
      const [settledLogs, pooledLogs] = await Promise.all([
        pc.getContractEvents({ address: chain.settlement, abi: settlementAbi, eventName: 'ReceiptSettled', args: { receiptId: ids }, fromBlock, strict: true }),
        pc.getContractEvents({ address: chain.settlement, abi: settlementAbi, eventName: 'SplitPooled', args: { receiptId: ids }, fromBlock, strict: true }),
      ]);
      const pooled = new Set(pooledLogs.map((l) => l.args.receiptId.toLowerCase()));
      for (const l of settledLogs) {
        const id = ids.find((x) => x.toLowerCase() === l.args.receiptId.toLowerCase());
        if (id) out.set(id, { txHash: l.transactionHash, payoutMode: pooled.has(id.toLowerCase()) ? 'pooled' : 'direct' });
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
    planClaim: (account: Address) => planClaim(pc, { settlement: chain.settlement, fromBlock, account }),
  };
}
