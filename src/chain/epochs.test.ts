import fc from 'fast-check';
import { getAddress, keccak256, toHex } from 'viem';
import { describe, expect, it } from 'vitest';
import { TributaryError } from '../core/errors.ts';
import type { Address } from '../core/types.ts';
import { buildEpochTree, cumulativeFromCredits, verifyEpochProof } from './epochs.ts';

const addr = (i: number) => getAddress(keccak256(toHex(`account-${i}`)).slice(0, 42)) as Address;

describe('buildEpochTree', () => {
  it('proves every account with a positive amount, leaves out zeros, sums the total', () => {
    const m = new Map<Address, bigint>([
      [addr(1), 100n],
      [addr(2), 0n],
      [addr(3), 5n],
    ]);
    const t = buildEpochTree(m);
    expect(t.total).toBe(105n);
    expect(t.entries).toHaveLength(2);
    expect(t.has(addr(2))).toBe(false);
    expect(() => t.proofFor(addr(2))).toThrow(expect.objectContaining({ code: 'chain/nothing-to-claim' }));
    for (const a of [addr(1), addr(3)]) {
      const { cumulativeAmount, proof } = t.proofFor(a);
      expect(verifyEpochProof(t.root, a, cumulativeAmount, proof)).toBe(true);
      expect(verifyEpochProof(t.root, a, cumulativeAmount + 1n, proof)).toBe(false);
    }
    // lower-case lookups work too
    expect(t.proofFor(addr(1).toLowerCase() as Address).cumulativeAmount).toBe(100n);
  });

  it('a single account: the root is its leaf and the proof is empty', () => {
    const t = buildEpochTree(new Map([[addr(7), 42n]]));
    expect(t.proofFor(addr(7)).proof).toEqual([]);
    expect(verifyEpochProof(t.root, addr(7), 42n, [])).toBe(true);
  });

  it('refuses nothing to post, negative or non-bigint amounts, bad or repeated addresses with a typed error', () => {
    const refused = (input: Map<Address, bigint>, message: RegExp) => {
      let thrown: unknown;
      try {
        buildEpochTree(input);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(TributaryError);
      expect(thrown).toMatchObject({ code: 'chain/epoch-input' });
      expect((thrown as Error).message).toMatch(message);
    };
    refused(new Map(), /no account/i);
    refused(new Map([[addr(1), 0n]]), /no account/i);
    refused(new Map([[addr(1), -1n]]), /≥ 0/);
    // A number where a bigint is promised (a caller that lost the type): refused, not mis-summed.
    refused(new Map([[addr(1), 1.5 as unknown as bigint]]), /≥ 0/);
    refused(new Map([['0x12' as Address, 1n]]), /not an address/i);
    refused(
      new Map([
        [addr(1), 1n],
        [addr(1).toLowerCase() as Address, 2n],
      ]),
      /twice/,
    );
  });

  it('property: the root depends only on the set of (account, amount), every proof verifies', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 40 }), fc.array(fc.bigInt({ min: 1n, max: 1n << 200n }), { minLength: 40, maxLength: 40 }), (ids, amounts) => {
        const pairs = ids.map((id, i) => [addr(id), amounts[i]!] as const);
        const a = buildEpochTree(new Map(pairs));
        const b = buildEpochTree(new Map([...pairs].reverse()));
        expect(a.root).toBe(b.root);
        for (const [account, amount] of pairs) {
          const p = a.proofFor(account);
          expect(p.cumulativeAmount).toBe(amount);
          expect(verifyEpochProof(a.root, account, amount, p.proof)).toBe(true);
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('cumulativeFromCredits', () => {
  it('adds up credits per account, whatever the address case', () => {
    const m = cumulativeFromCredits([
      { recipient: addr(1), amount: 3n },
      { recipient: addr(1).toLowerCase() as Address, amount: 4n },
      { recipient: addr(2), amount: 0n },
    ]);
    expect(m.get(addr(1))).toBe(7n);
    expect(m.get(addr(2))).toBe(0n);
  });
});
