import { describeValue } from '../../core/describeValue.ts';
import { TributaryError } from '../../core/errors.ts';
import { bf16ArrayToF32, f16ArrayToF32, f32ToBf16, f32ToF16, f8e4m3ToF32, f8e5m2ToF32 } from './dtype.ts';

/**
 * safetensors (https://github.com/huggingface/safetensors): an 8-byte little-endian header length N,
 * N bytes of JSON `{ "__metadata__"?: {str: str}, name: { dtype, shape, data_offsets: [begin, end] } }`,
 * then the tensor bytes; offsets are relative to the end of the header and must tile the data region.
 */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL' | 'F8_E4M3' | 'F8_E5M2';

export const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
};

/** One tensor entry of a header. `begin`/`end` are absolute byte offsets in the file. */
export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** N, the JSON header's length */
  headerSize: number;
  /** absolute offset of the data region (8 + N) */
  dataStart: number;
  fileSize: number;
  metadata: Record<string, string>;
  /** tensors in file order */
  tensors: TensorInfo[];
  byName: Map<string, TensorInfo>;
}

/** A tensor converted to f32. */
export interface Tensor {
  name: string;
  /** the dtype stored in the file */
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
}

/** Reads byte ranges of a file that need not be in memory (a `File`, an HTTP range, a cache entry). */
export interface RangeReader {
  readonly size: number;
  /** bytes [start, end) */
  read(start: number, end: number): Promise<Uint8Array>;
}

export interface ReadOptions {
  /** refuse tensors holding NaN or +-Infinity (model/non-finite) */
  rejectNonFinite?: boolean;
  /** names the file in errors */
  name?: string;
}

/** Largest accepted JSON header (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

function bad(message: string, subject: string): TributaryError {
  return new TributaryError('model/safetensors', `${message} The file is not a valid safetensors file; download it again or re-export it.`, subject);
}

/**
 * Parses and validates a header. `bytes` must hold at least the first 8 + N bytes of the file;
 * `fileSize` is the whole file's size (default `bytes.length`).
 */
export function parseSafetensorsHeader(bytes: Uint8Array, opts: { fileSize?: number; name?: string } = {}): SafetensorsHeader {
  const subject = opts.name ?? 'model.safetensors';
  const fileSize = opts.fileSize ?? bytes.length;
  if (bytes.length < 8 || fileSize < 8) throw bad(`It is ${Math.min(bytes.length, fileSize)} bytes long, shorter than the 8-byte header length.`, subject);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  const n = hi * 4294967296 + lo;
  if (hi !== 0 || n > MAX_HEADER_BYTES) throw bad(`The header length (${n} bytes) is larger than the ${MAX_HEADER_BYTES}-byte limit.`, subject);
  if (8 + n > fileSize) throw bad(`The header length (${n} bytes) goes beyond the end of the file (${fileSize} bytes).`, subject);
  if (8 + n > bytes.length) throw bad(`Only ${bytes.length} bytes were given, but the header needs ${8 + n}.`, subject);

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw bad('The header is not valid UTF-8.', subject);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw bad(`The header is not JSON (${(e as Error).message}).`, subject);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('The header is not a JSON object.', subject);

  const dataStart = 8 + n;
  const dataLen = fileSize - dataStart;
  let metadata: Record<string, string> = {};
  const tensors: TensorInfo[] = [];
  for (const [name, entry] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw bad('"__metadata__" is not an object.', subject);
      const m: Record<string, string> = {};
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') throw bad(`"__metadata__.${k}" is not a string.`, subject);
        m[k] = v;
      }
      metadata = m;
      continue;
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw bad(`The entry of tensor "${name}" is not an object.`, subject);
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e.dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, e.dtype)) {
      throw bad(`Tensor "${name}" has the unknown dtype ${describeValue(e.dtype)} (known: ${Object.keys(DTYPE_BYTES).join(', ')}).`, subject);
    }
    const dtype = e.dtype as SafetensorsDtype;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw bad(`Tensor "${name}" has a shape that is not a list of non-negative integers.`, subject);
    }
    const shape = e.shape as number[];
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isSafeInteger(x) && (x as number) >= 0) || (off[0] as number) > (off[1] as number)) {
      throw bad(`Tensor "${name}" has data_offsets that are not [begin, end] with 0 <= begin <= end.`, subject);
    }
    const [b, en] = off as [number, number];
    let numel = 1;
    for (const d of shape) {
      numel *= d;
      if (!Number.isSafeInteger(numel)) throw bad(`Tensor "${name}" has a shape too large to address.`, subject);
    }
    const want = numel * DTYPE_BYTES[dtype];
    if (en - b !== want) {
      throw bad(`Tensor "${name}" (${dtype} [${shape.join(', ')}]) needs ${want} bytes but its data_offsets span ${en - b}.`, subject);
    }
    if (en > dataLen) throw bad(`Tensor "${name}" ends at byte ${en} of the data region, which has only ${dataLen} bytes (out of range).`, subject);
    tensors.push({ name, dtype, shape: shape.slice(), begin: dataStart + b, end: dataStart + en });
  }

  const sorted = tensors.slice().sort((x, y) => x.begin - y.begin || x.end - y.end);
  let pos = dataStart;
  let prev: TensorInfo | null = null;
  for (const t of sorted) {
    if (t.begin < pos) throw bad(`Tensor "${t.name}" overlaps tensor "${prev?.name ?? ''}" (bytes ${t.begin - dataStart}..${pos - dataStart}).`, subject);
    if (t.begin > pos) throw bad(`The bytes ${pos - dataStart}..${t.begin - dataStart} of the data region belong to no tensor (offsets must tile the data region).`, subject);
    pos = t.end;
    prev = t;
  }
  if (pos !== fileSize) throw bad(`The tensors cover ${pos - dataStart} bytes but the data region has ${dataLen}.`, subject);

  return { headerSize: n, dataStart, fileSize, metadata, tensors: sorted, byName: new Map(sorted.map((t) => [t.name, t])) };
}

/** Converts the raw bytes of one tensor to f32. */
export function decodeTensor(info: TensorInfo, raw: Uint8Array, opts: ReadOptions = {}): Tensor {
  const n = (info.end - info.begin) / DTYPE_BYTES[info.dtype];
  if (raw.length !== info.end - info.begin) {
    throw bad(`Tensor "${info.name}" was read as ${raw.length} bytes instead of ${info.end - info.begin}.`, opts.name ?? 'model.safetensors');
  }
  // copy into an aligned buffer so typed views are always possible
  const buf = new Uint8Array(raw.length);
  buf.set(raw);
  const ab = buf.buffer;
  let data: Float32Array;
  switch (info.dtype) {
    case 'F32':
      data = new Float32Array(ab, 0, n);
      break;
    case 'F16':
      data = f16ArrayToF32(new Uint16Array(ab, 0, n));
      break;
    case 'BF16':
      data = bf16ArrayToF32(new Uint16Array(ab, 0, n));
      break;
    case 'F64':
      data = Float32Array.from(new Float64Array(ab, 0, n));
      break;
    case 'I8':
      data = Float32Array.from(new Int8Array(ab, 0, n));
      break;
    case 'U8':
    case 'BOOL':
      data = Float32Array.from(new Uint8Array(ab, 0, n));
      break;
    case 'I16':
      data = Float32Array.from(new Int16Array(ab, 0, n));
      break;
    case 'U16':
      data = Float32Array.from(new Uint16Array(ab, 0, n));
      break;
    case 'I32':
      data = Float32Array.from(new Int32Array(ab, 0, n));
      break;
    case 'U32':
      data = Float32Array.from(new Uint32Array(ab, 0, n));
      break;
    case 'I64':
      data = Float32Array.from(new BigInt64Array(ab, 0, n), (x) => Number(x));
      break;
    case 'U64':
      data = Float32Array.from(new BigUint64Array(ab, 0, n), (x) => Number(x));
      break;
    case 'F8_E4M3':
      data = Float32Array.from(buf, f8e4m3ToF32);
      break;
    case 'F8_E5M2':
      data = Float32Array.from(buf, f8e5m2ToF32);
      break;
  }
  if (opts.rejectNonFinite) {
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) {
        throw new TributaryError(
          'model/non-finite',
          `tensor "${info.name}" holds ${data[i]} at element ${i}; the weights are corrupt or were saved from a diverged training run.`,
          opts.name ?? 'model.safetensors',
        );
      }
    }
  }
  return { name: info.name, dtype: info.dtype, shape: info.shape.slice(), data };
}

/** A RangeReader over bytes in memory. */
export function bytesRangeReader(bytes: Uint8Array): RangeReader {
  return { size: bytes.length, read: (s, e) => Promise.resolve(bytes.subarray(s, e)) };
}

/** A RangeReader over a Blob / File (reads only the ranges asked for). */
export function blobRangeReader(blob: Blob): RangeReader {
  return { size: blob.size, read: async (s, e) => new Uint8Array(await blob.slice(s, e).arrayBuffer()) };
}

/** Opens a safetensors file for reading tensor by tensor (only the header is read up front). */
export class SafetensorsReader {
  private constructor(
    private readonly source: RangeReader,
    readonly header: SafetensorsHeader,
    private readonly name: string,
  ) {}

  static async open(source: Uint8Array | RangeReader, opts: { name?: string } = {}): Promise<SafetensorsReader> {
    const reader = source instanceof Uint8Array ? bytesRangeReader(source) : source;
    const name = opts.name ?? 'model.safetensors';
    const first = await reader.read(0, Math.min(8, reader.size));
    if (first.length < 8) throw bad(`It is ${reader.size} bytes long, shorter than the 8-byte header length.`, name);
    const dv = new DataView(first.buffer, first.byteOffset, 8);
    const n = dv.getUint32(4, true) * 4294967296 + dv.getUint32(0, true);
    if (n > MAX_HEADER_BYTES) throw bad(`The header length (${n} bytes) is larger than the ${MAX_HEADER_BYTES}-byte limit.`, name);
    if (8 + n > reader.size) throw bad(`The header length (${n} bytes) goes beyond the end of the file (${reader.size} bytes).`, name);
    const head = await reader.read(0, 8 + n);
    return new SafetensorsReader(reader, parseSafetensorsHeader(head, { fileSize: reader.size, name }), name);
  }

  get names(): string[] {
    return this.header.tensors.map((t) => t.name);
  }

  info(name: string): TensorInfo | undefined {
    return this.header.byName.get(name);
  }

  async tensor(name: string, opts: Omit<ReadOptions, 'name'> = {}): Promise<Tensor> {
    const info = this.header.byName.get(name);
    if (!info) throw new TributaryError('model/missing-tensor', `the file has no tensor named "${name}".`, this.name);
    const raw = await this.source.read(info.begin, info.end);
    return decodeTensor(info, raw, { ...opts, name: this.name });
  }
}

/** Reads every tensor of a safetensors file, converted to f32. */
export async function readSafetensors(source: Uint8Array | RangeReader, opts: ReadOptions = {}): Promise<{ metadata: Record<string, string>; tensors: Tensor[] }> {
  const r = await SafetensorsReader.open(source, opts.name ? { name: opts.name } : {});
  const tensors: Tensor[] = [];
  for (const t of r.header.tensors) tensors.push(await r.tensor(t.name, opts));
  return { metadata: r.header.metadata, tensors };
}

/** The same as `readSafetensors` for bytes in memory, synchronously. */
export function readSafetensorsSync(bytes: Uint8Array, opts: ReadOptions = {}): { metadata: Record<string, string>; tensors: Tensor[] } {
  const h = parseSafetensorsHeader(bytes, opts.name ? { name: opts.name } : {});
  return { metadata: h.metadata, tensors: h.tensors.map((t) => decodeTensor(t, bytes.subarray(t.begin, t.end), opts)) };
}

/** A tensor to write: values as f32 (or integers), stored as `dtype` (default F32). */
export interface TensorToWrite {
  name: string;
  shape: number[];
  data: Float32Array | Float64Array | Int32Array | Int8Array | Uint8Array | number[];
  dtype?: 'F32' | 'F16' | 'BF16' | 'F64' | 'I32' | 'I16' | 'I8' | 'U8';
}

/** Writes a safetensors file (header padded with spaces to 8 bytes, tensors in the given order). */
export function writeSafetensors(tensors: readonly TensorToWrite[], metadata?: Record<string, string>): Uint8Array<ArrayBuffer> {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header['__metadata__'] = { ...metadata };
  const seen = new Set<string>();
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const t of tensors) {
    if (t.name === '__metadata__' || seen.has(t.name)) throw new TributaryError('model/safetensors', `cannot write two tensors named "${t.name}" (or one named __metadata__).`);
    seen.add(t.name);
    const dtype = t.dtype ?? 'F32';
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel !== t.data.length) {
      throw new TributaryError('model/safetensors', `tensor "${t.name}" has ${t.data.length} values but shape [${t.shape.join(', ')}] needs ${numel}.`);
    }
    const bytes = new Uint8Array(numel * DTYPE_BYTES[dtype]);
    const dv = new DataView(bytes.buffer);
    for (let i = 0; i < numel; i++) {
      const v = Number(t.data[i]);
      switch (dtype) {
        case 'F32':
          dv.setFloat32(i * 4, v, true);
          break;
        case 'F64':
          dv.setFloat64(i * 8, v, true);
          break;
        case 'F16':
          dv.setUint16(i * 2, f32ToF16(v), true);
          break;
        case 'BF16':
          dv.setUint16(i * 2, f32ToBf16(v), true);
          break;
        case 'I32':
          dv.setInt32(i * 4, v, true);
          break;
        case 'I16':
          dv.setInt16(i * 2, v, true);
          break;
        case 'I8':
          dv.setInt8(i, v);
          break;
        case 'U8':
          dv.setUint8(i, v);
          break;
      }
    }
    header[t.name] = { dtype, shape: t.shape.slice(), data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
    parts.push(bytes);
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  let hb = enc.encode(json);
  const pad = (8 - (hb.length % 8)) % 8;
  if (pad) {
    json += ' '.repeat(pad);
    hb = enc.encode(json);
  }
  const out = new Uint8Array(8 + hb.length + offset);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, hb.length, true);
  dv.setUint32(4, 0, true);
  out.set(hb, 8);
  let p = 8 + hb.length;
  for (const b of parts) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}
