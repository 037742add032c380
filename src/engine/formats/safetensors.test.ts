import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isTributaryError } from '../../core/errors.ts';
import { f16ToF32, f32ToBf16, f32ToF16 } from './dtype.ts';
import {
  blobRangeReader,
  parseSafetensorsHeader,
  readSafetensors,
  readSafetensorsSync,
  SafetensorsReader,
  writeSafetensors,
  type RangeReader,
} from './safetensors.ts';

/** A raw file from a header object (padded) and a data region. */
function rawFile(header: unknown, data: Uint8Array | number = 0, headerText?: string): Uint8Array {
  const text = headerText ?? JSON.stringify(header);
  const hb = new TextEncoder().encode(text);
  const d = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + hb.length + d.length);
  new DataView(out.buffer).setUint32(0, hb.length, true);
  out.set(hb, 8);
  out.set(d, 8 + hb.length);
  return out;
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isTributaryError(e) ? e.code : `not-a-TributaryError: ${String(e)}`;
  }
  return undefined;
}

async function asyncCodeOf(f: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await f();
  } catch (e) {
    return isTributaryError(e) ? e.code : `not-a-TributaryError: ${String(e)}`;
  }
  return undefined;
}

function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

describe('writeSafetensors / readSafetensors', () => {
  it('round-trips F32 exactly and F16/BF16 within their precision, with metadata', async () => {
    const a = Float32Array.from({ length: 12 }, (_, i) => (i - 6) * 0.37);
    const file = writeSafetensors(
      [
        { name: 'a', shape: [3, 4], data: a },
        { name: 'h', shape: [12], data: a, dtype: 'F16' },
        { name: 'b', shape: [2, 6], data: a, dtype: 'BF16' },
        { name: 'i', shape: [3], data: [1, -2, 3], dtype: 'I32' },
        { name: 'q', shape: [4], data: [-128, 0, 5, 127], dtype: 'I8' },
        { name: 'u', shape: [2], data: [0, 255], dtype: 'U8' },
        { name: 'd', shape: [1], data: [Math.PI], dtype: 'F64' },
        { name: 'empty', shape: [0, 4], data: [] },
      ],
      { format: 'pt', note: 'test' },
    );
    expect(new DataView(file.buffer).getUint32(0, true) % 8).toBe(0);
    const { metadata, tensors } = await readSafetensors(file);
    expect(metadata).toEqual({ format: 'pt', note: 'test' });
    const by = new Map(tensors.map((t) => [t.name, t]));
    expect(Array.from(by.get('a')!.data)).toEqual(Array.from(a));
    expect(by.get('a')!.shape).toEqual([3, 4]);
    by.get('h')!.data.forEach((v, i) => expect(Math.abs(v - a[i]!)).toBeLessThanOrEqual(Math.abs(a[i]!) * 2 ** -11 + 1e-7));
    by.get('b')!.data.forEach((v, i) => expect(Math.abs(v - a[i]!)).toBeLessThanOrEqual(Math.abs(a[i]!) * 2 ** -8 + 1e-7));
    expect(by.get('b')!.dtype).toBe('BF16');
    expect(Array.from(by.get('i')!.data)).toEqual([1, -2, 3]);
    expect(Array.from(by.get('q')!.data)).toEqual([-128, 0, 5, 127]);
    expect(Array.from(by.get('u')!.data)).toEqual([0, 255]);
    expect(by.get('d')!.data[0]).toBeCloseTo(Math.PI, 6);
    expect(by.get('empty')!.data.length).toBe(0);
    expect(readSafetensorsSync(file).tensors.map((t) => t.name)).toEqual(tensors.map((t) => t.name));
  });

  it('reads a hand-made file with unaligned offsets and BF16/F16 bit patterns', () => {
    // F16 1.0 = 0x3C00, -2.0 = 0xC000; BF16 1.5 = 0x3FC0; I8 at an odd offset before them
    const data = new Uint8Array([0x7f, 0x00, 0x3c, 0x00, 0xc0, 0xc0, 0x3f]);
    const f = rawFile({ x: { dtype: 'I8', shape: [1], data_offsets: [0, 1] }, h: { dtype: 'F16', shape: [2], data_offsets: [1, 5] }, b: { dtype: 'BF16', shape: [1], data_offsets: [5, 7] } }, data);
    const t = readSafetensorsSync(f).tensors;
    expect(t.map((x) => [x.name, Array.from(x.data)])).toEqual([
      ['x', [127]],
      ['h', [1, -2]],
      ['b', [1.5]],
    ]);
  });

  it('reads tensor by tensor through a range reader (only the ranges asked for)', async () => {
    const file = writeSafetensors([
      { name: 'x', shape: [1000], data: new Float32Array(1000).fill(1) },
      { name: 'y', shape: [2], data: [7, 8] },
    ]);
    const reads: Array<[number, number]> = [];
    const src: RangeReader = {
      size: file.length,
      read: (s, e) => {
        reads.push([s, e]);
        return Promise.resolve(file.slice(s, e));
      },
    };
    const r = await SafetensorsReader.open(src, { name: 'm.safetensors' });
    expect(r.names).toEqual(['x', 'y']);
    expect(Array.from((await r.tensor('y')).data)).toEqual([7, 8]);
    const total = reads.reduce((a, [s, e]) => a + e - s, 0);
    expect(total).toBeLessThan(file.length / 2);
    expect(await asyncCodeOf(() => r.tensor('nope'))).toBe('model/missing-tensor');
    const fromBlob = await SafetensorsReader.open(blobRangeReader(new Blob([file])));
    expect((await fromBlob.tensor('x')).data.length).toBe(1000);
  });
});

describe('validation', () => {
  const ok = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };

  it('accepts a valid file', () => {
    expect(codeOf(() => parseSafetensorsHeader(rawFile(ok, 8)))).toBeUndefined();
  });

  it.each([
    ['shorter than 8 bytes', new Uint8Array(5), /shorter than the 8-byte/],
    ['header length beyond the file', (() => {
      const f = rawFile(ok, 8);
      new DataView(f.buffer).setUint32(0, 1000, true);
      return f;
    })(), /beyond the end of the file/],
    ['header length over 2^32', (() => {
      const f = rawFile(ok, 8);
      new DataView(f.buffer).setUint32(4, 1, true);
      return f;
    })(), /limit/],
    ['non-JSON header', rawFile(null, 0, '{"w": nope}'), /not JSON/],
    ['non-UTF-8 header', (() => {
      const f = rawFile(null, 0, '{"\u00e9": 1}');
      f[10] = 0xff;
      return f;
    })(), /UTF-8/],
    ['header not an object', rawFile([1, 2]), /not a JSON object/],
    ['unknown dtype', rawFile({ w: { dtype: 'Q4_K', shape: [2], data_offsets: [0, 8] } }, 8), /unknown dtype "Q4_K"/],
    ['shape/dtype size differs from the byte range', rawFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8), /needs 12 bytes but its data_offsets span 8/],
    ['negative shape', rawFile({ w: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, 8), /shape/],
    ['bad offsets', rawFile({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, 8), /data_offsets/],
    ['offsets out of range', rawFile({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 4), /out of range/],
    [
      'overlapping tensors',
      rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12),
      /overlaps/,
    ],
    ['a gap between tensors', rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, 12), /belong to no tensor/],
    ['trailing bytes no tensor covers', rawFile(ok, 12), /cover 8 bytes but the data region has 12/],
    ['metadata not strings', rawFile({ __metadata__: { a: 1 }, ...ok }, 8), /__metadata__/],
  ])('refuses %s', (_label, file, message) => {
    expect(codeOf(() => parseSafetensorsHeader(file))).toBe('model/safetensors');
    expect(messageOf(() => parseSafetensorsHeader(file))).toMatch(message);
  });

  it('errors name the file', () => {
    expect(messageOf(() => parseSafetensorsHeader(new Uint8Array(3), { name: 'adapter_model.safetensors' }))).toMatch(/^adapter_model\.safetensors: /);
  });

  it('rejectNonFinite refuses NaN and Infinity, naming the tensor', () => {
    const f = writeSafetensors([
      { name: 'fine', shape: [2], data: [1, 2] },
      { name: 'bad', shape: [3], data: [0, NaN, 1] },
    ]);
    expect(codeOf(() => readSafetensorsSync(f))).toBeUndefined();
    expect(codeOf(() => readSafetensorsSync(f, { rejectNonFinite: true }))).toBe('model/non-finite');
    expect(messageOf(() => readSafetensorsSync(f, { rejectNonFinite: true }))).toMatch(/"bad" holds NaN at element 1/);
    const inf = writeSafetensors([{ name: 'h', shape: [1], data: [1e6], dtype: 'F16' }]); // overflows f16 -> Infinity
    expect(codeOf(() => readSafetensorsSync(inf, { rejectNonFinite: true }))).toBe('model/non-finite');
  });

  it('a truncated file is refused (async reader too)', async () => {
    const f = writeSafetensors([{ name: 'x', shape: [16], data: new Float32Array(16) }]);
    for (const cut of [0, 4, 8, 20, f.length - 1]) {
      expect(await asyncCodeOf(() => readSafetensors(f.subarray(0, cut)))).toBe('model/safetensors');
    }
  });
});

describe('robustness (fast-check)', () => {
  const valid = writeSafetensors(
    [
      { name: 'model.embed_tokens.weight', shape: [4, 3], data: Float32Array.from({ length: 12 }, (_, i) => i) },
      { name: 'b', shape: [5], data: [1, 2, 3, 4, 5], dtype: 'BF16' },
    ],
    { format: 'pt' },
  );

  it('random headers never crash: they parse or throw a TributaryError', () => {
    const entry = fc.record(
      {
        dtype: fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'I8', 'U8', 'F64', 'BOOL', 'I64', 'X'), fc.anything()),
        shape: fc.oneof(fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: 3 }), fc.anything()),
        data_offsets: fc.oneof(fc.tuple(fc.integer({ min: -2, max: 64 }), fc.integer({ min: -2, max: 64 })), fc.anything()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(entry, fc.anything())), fc.integer({ min: 0, max: 64 }), (header, dataLen) => {
        const file = rawFile(header, dataLen);
        const code = codeOf(() => readSafetensorsSync(file, { rejectNonFinite: true }));
        expect(code === undefined || code === 'model/safetensors' || code === 'model/non-finite').toBe(true);
      }),
      { numRuns: 1500, seed: 5 },
    );
  });

  it('mutated valid files (flipped bytes, truncation, changed length) never crash', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(valid.length),
        fc.boolean(),
        (flips, cut, truncate) => {
          const f = valid.slice();
          for (const [i, v] of flips) f[i] = v;
          const file = truncate ? f.subarray(0, cut) : f;
          const code = codeOf(() => readSafetensorsSync(file, { rejectNonFinite: true }));
          expect(code === undefined || code === 'model/safetensors' || code === 'model/non-finite').toBe(true);
        },
      ),
      { numRuns: 3000, seed: 6 },
    );
  });

  it('write -> read round-trips random F32 tensors', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ name: fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s !== '__metadata__'), values: fc.array(fc.float({ noNaN: true }), { maxLength: 20 }) }), {
          selector: (t) => t.name,
          maxLength: 5,
        }),
        (list) => {
          const file = writeSafetensors(list.map((t) => ({ name: t.name, shape: [t.values.length], data: Float32Array.from(t.values) })));
          const back = readSafetensorsSync(file).tensors;
          const by = new Map(back.map((t) => [t.name, Array.from(t.data)]));
          for (const t of list) expect(by.get(t.name)).toEqual(Array.from(Float32Array.from(t.values)));
        },
      ),
      { numRuns: 200, seed: 8 },
    );
  });
});

describe('f16 / bf16 conversion', () => {
  it('f32 -> f16 -> f32 matches known values and rounds to nearest even', () => {
    expect(f32ToF16(1)).toBe(0x3c00);
    expect(f32ToF16(-2)).toBe(0xc000);
    expect(f32ToF16(65504)).toBe(0x7bff);
    expect(f32ToF16(65520)).toBe(0x7c00); // rounds up to infinity
    expect(f32ToF16(2 ** -24)).toBe(1); // smallest subnormal
    expect(f32ToF16(2 ** -26)).toBe(0);
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(Number.isNaN(f16ToF32(f32ToF16(NaN)))).toBe(true);
    for (let h = 0; h < 0x7c00; h += 7) expect(f32ToF16(f16ToF32(h))).toBe(h);
    expect(f32ToBf16(1.5)).toBe(0x3fc0);
    expect(f32ToBf16(1 + 2 ** -8)).toBe(0x3f80); // tie -> even
  });
});
