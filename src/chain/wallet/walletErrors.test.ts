import { describe, expect, it } from 'vitest';
import { encodeErrorResult, UserRejectedRequestError } from 'viem';
import { TributaryError } from '../../core/errors.ts';
import { settlementAbi } from '../generated/Settlement.ts';
import { ProviderRpcError } from './localKeyProvider.ts';
import { isUserRejection, toWalletError } from './walletErrors.ts';

describe('toWalletError', () => {
  it('maps a plain EIP-1193 4001 (not wrapped by viem) and viem’s UserRejectedRequestError to wallet/rejected', () => {
    const raw = toWalletError(new ProviderRpcError(4001, 'User rejected the request.'), { action: 'Connecting the wallet', unchanged: 'Nothing changed.' });
    expect(raw.code).toBe('wallet/rejected');
    expect(raw.message).toBe('You rejected the request in your wallet: connecting the wallet was cancelled. Nothing changed.');
    expect(isUserRejection(new UserRejectedRequestError(new Error('no')))).toBe(true);
    expect(toWalletError(new UserRejectedRequestError(new Error('no')), { action: 'Signing' }).code).toBe('wallet/rejected');
  });

  it('maps 4902 to wrong chain and 4100 to not connected', () => {
    expect(toWalletError(new ProviderRpcError(4902, 'Unrecognized chain'), { action: 'Switching' }).code).toBe('wallet/wrong-chain');
    expect(toWalletError(new ProviderRpcError(4100, 'Unauthorized'), { action: 'Sending' }).code).toBe('wallet/not-connected');
  });

  it('decodes a custom error carried as revert data, and names the action', () => {
    const data = encodeErrorResult({ abi: settlementAbi, errorName: 'AlreadySettled', args: [`0x${'ab'.repeat(32)}`] });
    const err = toWalletError(Object.assign(new Error('execution reverted'), { code: 3, data }), { action: 'Settling 1 receipt' });
    expect(err.code).toBe('chain/already-settled');
    expect(err.message).toMatch(/^Settling 1 receipt failed: .*already settled/);
  });

  it('passes a TributaryError through unchanged', () => {
    const e = new TributaryError('chain/insufficient-funds', 'Not enough tokens.');
    expect(toWalletError(e, { action: 'x' })).toBe(e);
  });
});
