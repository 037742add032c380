/** splitFee / buildDatanetFee with hostile input (issue 10): always a `ledger/invalid` TributaryError, never a RangeError. */
import { describe, expect, it } from 'vitest';
import { isTributaryError } from './errors.ts';
import { splitFee, type DatanetShare } from './feeSplit.ts';
import type { Address, Hex } from './types.ts';

const addr = (n: number) => `0x${n.toString(16).padStart(40, '0')}` as Address;
const cid = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex;
const policy = { contributorsBps: 8000, ownerBps: 2000 };
const share = (id: string, weight: bigint, contributions: DatanetShare['contributions']): DatanetShare => ({ datanetId: id, owner: addr(0xd), rewardPolicy: policy, weight, contributions });
const one = [{ contributionId: cid(1), contributor: addr(1), weight: 1n }];

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return isTributaryError(e) ? e.code : `untyped ${(e as Error).name}`;
  }
  return 'accepted';
}

describe('hostile fee splits', () => {
  it.each([
    ['a negative fee', () => splitFee({ fee: -5n, treasury: addr(0xe), datanets: [share('a', 1n, one)] })],
    ['a fee that is not a bigint', () => splitFee({ fee: 5 as unknown as bigint, treasury: addr(0xe), datanets: [share('a', 1n, one)] })],
    ['the same Datanet twice', () => splitFee({ fee: 100n, treasury: addr(0xe), datanets: [share('a', 1n, one), share('a', 2n, one)] })],
    ['the same contribution twice', () => splitFee({ fee: 100n, treasury: addr(0xe), datanets: [share('a', 1n, [...one, { ...one[0]!, weight: 2n }])] })],
    ['the same contribution twice, differing in case', () => splitFee({ fee: 100n, treasury: addr(0xe), datanets: [share('a', 1n, [...one, { ...one[0]!, contributionId: cid(1).toUpperCase().replace('0X', '0x') as Hex }])] })],
    ['all Datanet weights zero', () => splitFee({ fee: 100n, treasury: addr(0xe), datanets: [share('a', 0n, one), share('b', 0n, one)] })],
    ['a negative Datanet weight', () => splitFee({ fee: 100n, treasury: addr(0xe), datanets: [share('a', -1n, one), share('b', 2n, one)] })],
    ['a negative contribution weight', () => splitFee({ fee: 100n, treasury: addr(0xe), datanets: [share('a', 1n, [{ ...one[0]!, weight: -3n }])] })],
    ['treasury bps NaN', () => splitFee({ fee: 100n, treasury: addr(0xe), treasuryBps: Number.NaN, datanets: [share('a', 1n, one)] })],
  ])('%s → ledger/invalid', (_, f) => {
    expect(code(f)).toBe('ledger/invalid');
  });

  it('zero contribution weights still split exactly (all to the owner)', () => {
    const { splits } = splitFee({ fee: 1000n, treasury: addr(0xe), datanets: [share('a', 1n, [{ ...one[0]!, weight: 0n }])] });
    expect(splits.reduce((a, s) => a + s.amount, 0n)).toBe(1000n);
  });
});
