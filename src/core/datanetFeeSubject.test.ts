import { keccak256, toHex } from 'viem';
import { describe, expect, it } from 'vitest';
import { datanetFeeSubject } from './datanetFeeSubject.ts';

describe('datanetFeeSubject', () => {
  it("is viem's keccak256 of the subject text (what the contract and older records hold)", () => {
    for (const [id, version] of [['dn-1', 1], ['datanet with spaces and ü', 42], ['', 0]] as const) {
      expect(datanetFeeSubject(id, version)).toBe(keccak256(toHex(`pay-datanet|${id}|${version}`)));
    }
  });

  it('differs by Datanet and by version', () => {
    expect(datanetFeeSubject('dn-1', 1)).not.toBe(datanetFeeSubject('dn-1', 2));
    expect(datanetFeeSubject('dn-1', 1)).not.toBe(datanetFeeSubject('dn-2', 1));
  });
});
