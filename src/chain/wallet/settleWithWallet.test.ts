import { createWalletClient, http, recoverTypedDataAddress, type WalletClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { isCanonicalSignature } from '../../core/signing.ts';
import type { Address, Hex } from '../../core/types.ts';
import { paymentTypedData, settlementDomain, type PaymentInput } from '../payment.ts';
import { signPayment, type WalletContext } from './settleWithWallet.ts';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const payer = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b693690');
const settlement = '0x5FbDB2315678afecb367f032d93F642f64180aa3' as Address;

/** The same signature in the encodings some wallets answer with: v ∈ {0, 1}, or high-s with the other v. */
const lowV = (sig: Hex): Hex => `${sig.slice(0, 130)}${(Number.parseInt(sig.slice(130), 16) - 27).toString(16).padStart(2, '0')}` as Hex;
const highS = (sig: Hex): Hex => {
  const s = N - BigInt(`0x${sig.slice(66, 130)}`);
  const v = Number.parseInt(sig.slice(130), 16) === 27 ? 28 : 27;
  return `${sig.slice(0, 66)}${s.toString(16).padStart(64, '0')}${v.toString(16)}` as Hex;
};

/** A real local-key wallet whose answers are re-encoded by `reencode` (as a non-canonical wallet would). */
function walletAnswering(reencode: (sig: Hex) => Hex): WalletContext {
  const real = createWalletClient({ account: payer, transport: http('http://127.0.0.1:1') });
  const wallet = new Proxy(real, {
    get(target, key, receiver) {
      // Signs with the payer's local key (the RPC is never asked), then re-encodes the answer.
      if (key === 'signTypedData') return async ({ account: _account, ...args }: Parameters<typeof payer.signTypedData>[0] & { account?: unknown }) => reencode(await payer.signTypedData(args));
      return Reflect.get(target, key, receiver) as unknown;
    },
  }) as WalletClient;
  // The public client and token are not used when only signing.
  return { wallet, publicClient: undefined as never, account: payer.address, chainId: 31337, token: { address: settlement, symbol: 'tOPEN', decimals: 18 } as never };
}

const payment: PaymentInput = {
  payer: payer.address,
  nonce: `0x${'ab'.repeat(32)}`,
  total: 1000n,
  deadline: 2_000_000_000n,
  payoutMode: 0,
  feesRoot: `0x${'cd'.repeat(32)}`,
  feeCount: 2,
  splits: [{ recipient: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', role: 0, amount: 1000n }],
};

describe('signPayment: wallet signatures enter in canonical form', () => {
  for (const [name, reencode] of [
    ['v ∈ {0, 1}', lowV],
    ['high-s', highS],
    ['already canonical', (s: Hex) => s],
  ] as const) {
    it(`a wallet answering ${name} gives a canonical signature that still recovers to the payer`, async () => {
      const sig = await signPayment(walletAnswering(reencode), settlement, payment);
      expect(isCanonicalSignature(sig)).toBe(true);
      const recovered = await recoverTypedDataAddress({ ...paymentTypedData(payment, settlementDomain(31337, settlement)), signature: sig });
      expect(recovered).toBe(payer.address);
    });
  }

  it('a wallet answering something that is not a signature gets a typed error', async () => {
    await expect(signPayment(walletAnswering(() => '0x1234'), settlement, payment)).rejects.toMatchObject({ name: 'TributaryError' });
  });
});
