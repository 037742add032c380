/**
 * A tiny WebAssembly binary emitter: just what the SIMD kernels need (i32/f32/v128 locals, loads/stores, loops,
 * a handful of SIMD ops). No toolchain, no binary blob in the repository: the module is assembled at run time and
 * checked with `WebAssembly.validate`.
 */

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
type ValType = typeof I32 | typeof F32 | typeof V128;

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const str = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** Builds one function body. Locals are declared up front; params come first in index order. */
export class Fn {
  readonly code: number[] = [];
  private readonly locals: ValType[] = [];
  constructor(
    readonly name: string,
    readonly params: ValType[],
  ) {}
  local(t: ValType): number {
    this.locals.push(t);
    return this.params.length + this.locals.length - 1;
  }
  private e(...b: number[]): this {
    this.code.push(...b);
    return this;
  }
  get(i: number): this {
    return this.e(0x20, ...uleb(i));
  }
  set(i: number): this {
    return this.e(0x21, ...uleb(i));
  }
  tee(i: number): this {
    return this.e(0x22, ...uleb(i));
  }
  i32(v: number): this {
    return this.e(0x41, ...sleb(v));
  }
  f32(v: number): this {
    return this.e(0x43, ...new Uint8Array(Float32Array.of(v).buffer));
  }
  add(): this {
    return this.e(0x6a);
  }
  sub(): this {
    return this.e(0x6b);
  }
  mul(): this {
    return this.e(0x6c);
  }
  div(): this {
    return this.e(0x6e); // i32.div_u
  }
  and(): this {
    return this.e(0x71);
  }
  ltU(): this {
    return this.e(0x49);
  }
  /** discards the top of the stack */
  drop(): this {
    return this.e(0x1a);
  }
  /** `c ? a : b` for the stack `a b c` */
  select(): this {
    return this.e(0x1b);
  }
  geU(): this {
    return this.e(0x4f);
  }
  f32add(): this {
    return this.e(0x92);
  }
  f32mul(): this {
    return this.e(0x94);
  }
  f32div(): this {
    return this.e(0x95);
  }
  f32max(): this {
    return this.e(0x97);
  }
  /** f32.convert_i32_u */
  f32ConvertI32U(): this {
    return this.e(0xb3);
  }
  f32sqrt(): this {
    return this.e(0x91);
  }
  leU(): this {
    return this.e(0x4d);
  }
  f32load(offset = 0): this {
    return this.e(0x2a, 2, ...uleb(offset));
  }
  f32store(offset = 0): this {
    return this.e(0x38, 2, ...uleb(offset));
  }
  block(): this {
    return this.e(0x02, 0x40);
  }
  loop(): this {
    return this.e(0x03, 0x40);
  }
  end(): this {
    return this.e(0x0b);
  }
  br(depth: number): this {
    return this.e(0x0c, ...uleb(depth));
  }
  brIf(depth: number): this {
    return this.e(0x0d, ...uleb(depth));
  }
  private simd(op: number, ...imm: number[]): this {
    return this.e(0xfd, ...uleb(op), ...imm);
  }
  v128load(offset = 0): this {
    return this.simd(0x00, 4, ...uleb(offset));
  }
  /** one f32 from memory in all four lanes */
  v128load32splat(offset = 0): this {
    return this.simd(0x09, 2, ...uleb(offset));
  }
  /** one 32-bit value from memory into lane 0, the other lanes zero */
  v128load32zero(offset = 0): this {
    return this.simd(0x5c, 2, ...uleb(offset));
  }
  /** 8 signed bytes → i16x8 */
  v128load8x8s(offset = 0): this {
    return this.simd(0x01, 3, ...uleb(offset));
  }
  v128store(offset = 0): this {
    return this.simd(0x0b, 4, ...uleb(offset));
  }
  shuffle(lanes: number[]): this {
    return this.simd(0x0d, ...lanes);
  }
  i8x16splat(): this {
    return this.simd(0x0f);
  }
  i32x4splat(): this {
    return this.simd(0x11);
  }
  f32x4splat(): this {
    return this.simd(0x13);
  }
  i32x4extract(lane: number): this {
    return this.simd(0x1b, lane);
  }
  f32x4extract(lane: number): this {
    return this.simd(0x1f, lane);
  }
  v128and(): this {
    return this.simd(0x4e);
  }
  i8x16shrU(): this {
    return this.simd(0x6d);
  }
  i8x16sub(): this {
    return this.simd(0x71);
  }
  i16x8extendLowI8s(): this {
    return this.simd(0x87);
  }
  i16x8extendHighI8s(): this {
    return this.simd(0x88);
  }
  i32x4extendLowI16s(): this {
    return this.simd(0xa7);
  }
  i32x4extendHighI16s(): this {
    return this.simd(0xa8);
  }
  i32x4shl(): this {
    return this.simd(0xab);
  }
  i32x4add(): this {
    return this.simd(0xae);
  }
  f32x4nearest(): this {
    return this.simd(0x6a);
  }
  f32x4add(): this {
    return this.simd(0xe4);
  }
  f32x4sub(): this {
    return this.simd(0xe5);
  }
  f32x4mul(): this {
    return this.simd(0xe6);
  }
  f32x4div(): this {
    return this.simd(0xe7);
  }
  f32x4min(): this {
    return this.simd(0xe8);
  }
  f32x4max(): this {
    return this.simd(0xe9);
  }
  /** relaxed SIMD `a·b + c` (fused or not, as the hardware does it); needs the relaxed-SIMD feature */
  f32x4relaxedMadd(): this {
    return this.simd(0x105);
  }
  i16x8splat(): this {
    return this.simd(0x10);
  }
  i16x8add(): this {
    return this.simd(0x8e);
  }
  i16x8shrU(): this {
    return this.simd(0x8d);
  }
  i32x4shrS(): this {
    return this.simd(0xac);
  }
  f32x4abs(): this {
    return this.simd(0xe0);
  }
  /** i8x16.narrow_i16x8_s (saturating) */
  i8x16narrowI16x8s(): this {
    return this.simd(0x65);
  }
  /** i16x8.narrow_i32x4_s (saturating) */
  i16x8narrowI32x4s(): this {
    return this.simd(0x85);
  }
  i16x8extendLowI8u(): this {
    return this.simd(0x89);
  }
  i16x8extendHighI8u(): this {
    return this.simd(0x8a);
  }
  i32x4extaddPairwiseI16s(): this {
    return this.simd(0x7e);
  }
  i32x4sub(): this {
    return this.simd(0xb1);
  }
  i32x4neg(): this {
    return this.simd(0xa1);
  }
  /** i32x4.dot_i16x8_s: lane i = a[2i]·b[2i] + a[2i+1]·b[2i+1] */
  i32x4dotI16x8s(): this {
    return this.simd(0xba);
  }
  /**
   * relaxed SIMD `i16x8.relaxed_dot_i8x16_i7x16_s(a, b)`: lane i = a[2i]·b[2i] + a[2i+1]·b[2i+1], a signed, b in 0..127
   * (then exact on every engine). (Node 20's `i32x4.relaxed_dot_i8x16_i7x16_add_s`, behind its flag, returns twice the
   * dot and drops the addend: the kernels use this one and `i32x4.extadd_pairwise_i16x8_s`.)
   */
  i16x8relaxedDotI8x16I7x16S(): this {
    return this.simd(0x112);
  }
  /** v128.load8x8_u: 8 unsigned bytes → i16x8 */
  v128load8x8u(offset = 0): this {
    return this.simd(0x02, 3, ...uleb(offset));
  }
  i32store(offset = 0): this {
    return this.e(0x36, 2, ...uleb(offset));
  }
  i32load(offset = 0): this {
    return this.e(0x28, 2, ...uleb(offset));
  }
  f32lt(): this {
    return this.e(0x5d);
  }
  i32x4truncSatF32x4s(): this {
    return this.simd(0xf8);
  }
  f32x4convertI32s(): this {
    return this.simd(0xfa);
  }
  body(): number[] {
    const groups: number[][] = [];
    for (const t of this.locals) groups.push([1, t]);
    const b = [...vec(groups), ...this.code, 0x0b];
    return [...uleb(b.length), ...b];
  }
}

/**
 * A module importing `env.mem` (a memory; a shared one of at most `sharedMaxPages` pages when given, for threads) and
 * exporting the given functions (all returning nothing).
 */
export function emitModule(fns: Fn[], sharedMaxPages?: number): Uint8Array<ArrayBuffer> {
  const types = fns.map((f) => [0x60, ...vec(f.params.map((p) => [p])), 0]);
  const limits = sharedMaxPages === undefined ? [0x00, 0x01] : [0x03, 0x01, ...uleb(sharedMaxPages)];
  const imports = vec([[...str('env'), ...str('mem'), 0x02, ...limits]]);
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, vec(fns.map((_, i) => uleb(i)))),
    ...section(7, vec(fns.map((f, i) => [...str(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(fns.map((f) => f.body()))),
  ];
  return Uint8Array.from(bytes);
}
