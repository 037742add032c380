import { describe, expect, it } from 'vitest';
import { TributaryError } from './errors.ts';

describe('TributaryError', () => {
  it('keeps the error it wraps as cause and takes its message as details', () => {
    const viem = new Error('execution reverted: Settlement__Expired()');
    const e = new TributaryError('chain/expired', 'The receipt expired; sign a new one.', 'receipt 7', { cause: viem });
    expect(e.cause).toBe(viem);
    expect(e.details).toBe('execution reverted: Settlement__Expired()');
    expect(e.message).toBe('receipt 7: The receipt expired; sign a new one.');
    expect(e.chain()).toEqual([e, viem]);
  });

  it('prefers explicit details, and a wrapped TributaryError passes its details up', () => {
    const inner = new TributaryError('webgpu/error', 'The GPU rejected a kernel.', undefined, { details: 'binding 2 too small' });
    expect(new TributaryError('engine/bad-weights', 'Load failed.', undefined, { cause: inner }).details).toBe('binding 2 too small');
    expect(new TributaryError('engine/bad-weights', 'Load failed.', undefined, { cause: inner, details: 'x' }).details).toBe('x');
  });

  it('has no cause or details when none are given', () => {
    const e = new TributaryError('file/empty', 'The file is empty.');
    expect(e.cause).toBeUndefined();
    expect(e.details).toBeUndefined();
    expect(e.chain()).toEqual([e]);
  });
});
