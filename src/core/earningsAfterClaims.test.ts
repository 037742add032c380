import { describe, expect, it } from 'vitest';
import { earningsAfterClaims } from './earningsAfterClaims.ts';

describe('earningsAfterClaims', () => {
  it('moves what was claimed from the pool to the wallet, exactly', () => {
    expect(earningsAfterClaims(5n, 11_314_285_714_285_714_286n, 0n)).toEqual({ inWallet: 5n, inPool: 11_314_285_714_285_714_286n, claimedHere: 0n });
    expect(earningsAfterClaims(5n, 11_314_285_714_285_714_286n, 11_314_285_714_285_714_286n)).toEqual({ inWallet: 11_314_285_714_285_714_291n, inPool: 0n, claimedHere: 11_314_285_714_285_714_286n });
    expect(earningsAfterClaims(0n, 100n, 40n)).toEqual({ inWallet: 40n, inPool: 60n, claimedHere: 40n });
  });
  it('never shows a negative pool when claims cover credits this ledger does not hold', () => {
    expect(earningsAfterClaims(1n, 100n, 250n)).toEqual({ inWallet: 101n, inPool: 0n, claimedHere: 100n });
  });
});
