import { BaseError, ContractFunctionExecutionError, ContractFunctionRevertedError, encodeErrorResult, HttpRequestError, UserRejectedRequestError } from 'viem';
import { describe, expect, it } from 'vitest';
import { TributaryError } from '../core/errors.ts';
import { decodeChainError, decodeRevertData, TRIBUTARY_ERRORS_ABI } from './errors.ts';
import { settlementAbi } from './generated/Settlement.ts';

const id = `0x${'ab'.repeat(32)}` as const;
const who = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as const;

function reverted(errorName: string, args: readonly unknown[]) {
  const data = encodeErrorResult({ abi: TRIBUTARY_ERRORS_ABI, errorName, args } as never);
  const cause = new ContractFunctionRevertedError({ abi: settlementAbi, data, functionName: 'settleBatch' });
  return new ContractFunctionExecutionError(cause, { abi: settlementAbi, functionName: 'settleBatch', args: [] });
}

describe('decodeChainError', () => {
  it.each<[string, readonly unknown[], string, RegExp]>([
    ['InvalidSignature', [id, who], 'chain/bad-signature', /sign it again/],
    ['PaymentExpired', [id, 5n], 'chain/expired', /expired/],
    ['AlreadySettled', [id], 'chain/already-settled', /already settled/],
    ['SplitSumMismatch', [id, 10n, 11n], 'chain/payment-invalid', /add up to 11, not its total 10/],
    ['ClaimExceedsRootTotal', [11n, 10n], 'chain/root-mismatch', /declared total 10/],
    ['InvalidOwnerSignature', [id, who], 'chain/bad-signature', /owner's consent/],
    ['NotPendingOwner', [id, who], 'chain/not-authorized', /only the account/],
    ['NothingToClaim', [who, 5n, 5n], 'chain/nothing-to-claim', /Nothing new/],
    ['InvalidProof', [who, 5n], 'chain/bad-proof', /refresh and claim again/],
    ['ERC20InsufficientBalance', [who, 1n, 2n], 'chain/insufficient-funds', /Not enough tokens/],
    ['ERC20InsufficientAllowance', [who, 1n, 2n], 'chain/insufficient-funds', /approve/],
    ['AccessControlUnauthorizedAccount', [who, id], 'chain/not-authorized', /lacks the role/],
    ['NotDatanetOwner', [id, who], 'chain/not-authorized', /owner/],
    ['VersionNotIncreasing', [id, 1, 2], 'chain/registry', /not after/],
    ['ReentrancyGuardReentrantCall', [], 'chain/reverted', /called back/],
  ])('%s -> %s', (name, args, code, message) => {
    const e = decodeChainError(reverted(name, args));
    expect(e).toBeInstanceOf(TributaryError);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    // raw revert data decodes the same
    expect(decodeRevertData(encodeErrorResult({ abi: TRIBUTARY_ERRORS_ABI, errorName: name, args } as never))?.code).toBe(code);
  });

  it('wallet rejection, unreachable RPC, pass-through and unknown errors', () => {
    expect(decodeChainError(new UserRejectedRequestError(new Error('User denied'))).code).toBe('wallet/rejected');
    expect(decodeChainError(new BaseError('wrapped', { cause: Object.assign(new Error('no'), { code: 4001 }) as never })).code).toBe('wallet/rejected');
    expect(decodeChainError(new HttpRequestError({ url: 'http://127.0.0.1:8545', details: 'ECONNREFUSED' })).code).toBe('chain/unreachable');
    const mine = new TributaryError('chain/expired', 'x');
    expect(decodeChainError(mine)).toBe(mine);
    expect(decodeChainError(new Error('boom'))).toMatchObject({ code: 'chain/reverted', message: 'boom' });
    expect(decodeRevertData('0xdeadbeef')).toBeUndefined();
  });
});
