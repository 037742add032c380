/**
 * The same Llama-family model written as an ONNX graph (with `onnx-proto`), as an independent reference for the
 * engine: onnxruntime runs it, and the engine's logits must match. Only standard ONNX ops (opset 17), written out:
 * - RMSNorm: `x / Sqrt(ReduceMean(x·x) + eps) · w`
 * - RoPE: `x·cos + rotate_half(x)·sin` with `cos`/`sin` (`[T, headDim]`, HF `cat(freqs, freqs)` layout) as graph inputs
 * - attention: `Softmax(Q·Kᵀ/√d + mask)·V` with an additive mask input `[T, S]`; GQA by Reshape/Expand of KV heads
 * - SwiGLU: `(g · Sigmoid(g)) · u`
 * Linear weights are stored transposed (`[in, out]`) for `MatMul`. With `withPast`, every layer also takes
 * `past_k{i}`/`past_v{i}` (`[nKv, P, headDim]`) and returns `present_k{i}`/`present_v{i}` (for decode benchmarks).
 *
 * Inputs: `input_ids` int64 `[T]`, `cos`/`sin` float `[T, headDim]`, `mask` float `[T, S]`. Output: `logits` `[T, vocab]`
 * (`[1, vocab]` with `lastOnly`).
 *
 * @example
 * const bytes = buildLlamaOnnx(config, weights);
 * const session = await ort.InferenceSession.create(bytes);
 */
import onnxProto from 'onnx-proto';
import type { LlamaConfig, LlamaWeights } from '../../../engine/model/types.ts';

const { onnx } = onnxProto;
type INodeProto = onnxProto.onnx.INodeProto;
type ITensorProto = onnxProto.onnx.ITensorProto;
type IValueInfoProto = onnxProto.onnx.IValueInfoProto;

const FLOAT = 1;
const INT64 = 7;

export interface LlamaOnnxOptions {
  withPast?: boolean;
  /** output only the last token's logits (`[1, vocab]`), as a generation engine needs */
  lastOnly?: boolean;
}

function bytesOf(a: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** `[rows, cols]` → `[cols, rows]` */
function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

export function buildLlamaOnnx(c: LlamaConfig, w: LlamaWeights, opts: LlamaOnnxOptions = {}): Uint8Array {
  const nodes: INodeProto[] = [];
  const inits: ITensorProto[] = [];
  let uid = 0;
  const name = (p: string): string => `${p}_${uid++}`;
  const node = (opType: string, input: string[], attrs: Record<string, number | number[]> = {}, nOut = 1): string[] => {
    const output = Array.from({ length: nOut }, () => name(opType));
    const attribute = Object.entries(attrs).map(([n, v]) =>
      Array.isArray(v) ? { name: n, type: onnx.AttributeProto.AttributeType.INTS, ints: v } : Number.isInteger(v) ? { name: n, type: onnx.AttributeProto.AttributeType.INT, i: v } : { name: n, type: onnx.AttributeProto.AttributeType.FLOAT, f: v },
    );
    nodes.push({ opType, input, output, attribute, name: name('n') });
    return output;
  };
  const op = (opType: string, input: string[], attrs: Record<string, number | number[]> = {}): string => node(opType, input, attrs)[0]!;
  const fInit = (n: string, data: Float32Array, dims: number[]): string => {
    inits.push({ name: n, dims, dataType: FLOAT, rawData: bytesOf(data) });
    return n;
  };
  const iInit = (vals: number[]): string => {
    const n = name('const_i64');
    inits.push({ name: n, dims: [vals.length], dataType: INT64, rawData: bytesOf(BigInt64Array.from(vals.map((v) => BigInt(v)))) });
    return n;
  };
  const scalar = (v: number): string => {
    const n = name('const_f');
    inits.push({ name: n, dims: [], dataType: FLOAT, rawData: bytesOf(Float32Array.of(v)) });
    return n;
  };
  const linear = (x: string, m: { rows: number; cols: number; data: Float32Array }, wName: string, bias?: Float32Array): string => {
    const y = op('MatMul', [x, fInit(wName, transpose(m.data, m.rows, m.cols), [m.cols, m.rows])]);
    return bias ? op('Add', [y, fInit(wName + '.bias', bias, [bias.length])]) : y;
  };
  const eps = scalar(c.rmsNormEps);
  const rmsNorm = (x: string, weight: Float32Array, wName: string): string => {
    const ms = op('ReduceMean', [op('Mul', [x, x])], { axes: [-1], keepdims: 1 });
    const r = op('Sqrt', [op('Add', [ms, eps])]);
    return op('Mul', [op('Div', [x, r]), fInit(wName, weight, [weight.length])]);
  };
  const hd = c.headDim;
  const half = hd / 2;
  const nH = c.numHeads;
  const nKv = c.numKvHeads;
  const group = nH / nKv;
  const sliceLo = [iInit([0]), iInit([half]), iInit([-1])];
  const sliceHi = [iInit([half]), iInit([hd]), iInit([-1])];
  /** x: [heads, T, hd] → x·cos + rotate_half(x)·sin */
  const rope = (x: string): string => {
    const x1 = op('Slice', [x, ...sliceLo]);
    const x2 = op('Slice', [x, ...sliceHi]);
    const rot = op('Concat', [op('Neg', [x2]), x1], { axis: -1 });
    return op('Add', [op('Mul', [x, 'cos']), op('Mul', [rot, 'sin'])]);
  };
  const shapeHeads = (n: number): string => iInit([-1, n, hd]);
  const perm = { perm: [1, 0, 2] };
  const invSqrt = scalar(1 / Math.sqrt(hd));
  const [expandShape, kv4, kvH] = group === 1 ? ['', '', ''] : [iInit([1, group, 1, 1]), iInit([nKv, 1, -1, hd]), iInit([nH, -1, hd])];
  const flatQ = iInit([-1, nH * hd]);

  const inputs: IValueInfoProto[] = [
    { name: 'input_ids', type: { tensorType: { elemType: INT64, shape: { dim: [{ dimParam: 'T' }] } } } },
    { name: 'cos', type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'T' }, { dimValue: hd }] } } } },
    { name: 'sin', type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'T' }, { dimValue: hd }] } } } },
    { name: 'mask', type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'T' }, { dimParam: 'S' }] } } } },
  ];
  const outputs: IValueInfoProto[] = [
    { name: 'logits', type: { tensorType: { elemType: FLOAT, shape: { dim: [opts.lastOnly ? { dimValue: 1 } : { dimParam: 'T' }, { dimValue: c.vocabSize }] } } } },
  ];
  const kvInfo = (n: string, len: string): IValueInfoProto => ({
    name: n,
    type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimValue: nKv }, { dimParam: len }, { dimValue: hd }] } } },
  });

  let x = op('Gather', [fInit('embed_tokens', w.embed.data, [c.vocabSize, c.hiddenSize]), 'input_ids'], { axis: 0 });
  w.layers.forEach((L, i) => {
    const p = `layers.${i}.`;
    const h = rmsNorm(x, L.inputNorm, p + 'input_layernorm');
    const q = rope(op('Transpose', [op('Reshape', [linear(h, L.q, p + 'q_proj', L.qBias), shapeHeads(nH)])], perm));
    let k = rope(op('Transpose', [op('Reshape', [linear(h, L.k, p + 'k_proj', L.kBias), shapeHeads(nKv)])], perm));
    let v = op('Transpose', [op('Reshape', [linear(h, L.v, p + 'v_proj', L.vBias), shapeHeads(nKv)])], perm);
    if (opts.withPast) {
      inputs.push(kvInfo(`past_k${i}`, 'P'), kvInfo(`past_v${i}`, 'P'));
      k = op('Concat', [`past_k${i}`, k], { axis: 1 });
      v = op('Concat', [`past_v${i}`, v], { axis: 1 });
      nodes.push({ opType: 'Identity', input: [k], output: [`present_k${i}`], name: name('n') });
      nodes.push({ opType: 'Identity', input: [v], output: [`present_v${i}`], name: name('n') });
      outputs.push(kvInfo(`present_k${i}`, 'S'), kvInfo(`present_v${i}`, 'S'));
    }
    const expand = (t: string): string => (group === 1 ? t : op('Reshape', [op('Expand', [op('Reshape', [t, kv4]), expandShape]), kvH]));
    const kAll = expand(k);
    const vAll = expand(v);
    const scores = op('Add', [op('Mul', [op('MatMul', [q, op('Transpose', [kAll], { perm: [0, 2, 1] })]), invSqrt]), 'mask']);
    const ctx = op('MatMul', [op('Softmax', [scores], { axis: -1 }), vAll]);
    const attn = op('Reshape', [op('Transpose', [ctx], perm), flatQ]);
    x = op('Add', [x, linear(attn, L.o, p + 'o_proj')]);
    const h2 = rmsNorm(x, L.postAttentionNorm, p + 'post_attention_layernorm');
    const g = linear(h2, L.gate, p + 'gate_proj');
    const u = linear(h2, L.up, p + 'up_proj');
    const act = op('Mul', [op('Mul', [g, op('Sigmoid', [g])]), u]);
    x = op('Add', [x, linear(act, L.down, p + 'down_proj')]);
  });
  if (opts.lastOnly) x = op('Slice', [x, iInit([-1]), iInit([2 ** 31 - 1]), iInit([0])]);
  const hN = rmsNorm(x, w.finalNorm, 'norm');
  const head = c.tieWordEmbeddings ? w.embed : w.lmHead!;
  const logits = linear(hN, head, 'lm_head');
  nodes.push({ opType: 'Identity', input: [logits], output: ['logits'], name: name('n') });

  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'tributary',
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'llama', node: nodes, initializer: inits, input: inputs, output: outputs },
  });
  return onnx.ModelProto.encode(model).finish();
}

/**
 * The graph's `cos`, `sin` (`[T, headDim]`) and `mask` (`[T, P+T]`) inputs for tokens at positions `P .. P+T-1`,
 * computed in f64 from the engine's `invFreq` (the same frequencies, independently applied).
 */
export function ropeAndMaskInputs(invFreq: Float32Array, T: number, past: number): { cos: Float32Array; sin: Float32Array; mask: Float32Array } {
  const half = invFreq.length;
  const hd = 2 * half;
  const cos = new Float32Array(T * hd);
  const sin = new Float32Array(T * hd);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      const a = (past + t) * invFreq[i]!;
      cos[t * hd + i] = cos[t * hd + i + half] = Math.cos(a);
      sin[t * hd + i] = sin[t * hd + i + half] = Math.sin(a);
    }
  }
  const S = past + T;
  const mask = new Float32Array(T * S);
  for (let t = 0; t < T; t++) for (let s = past + t + 1; s < S; s++) mask[t * S + s] = -1e9;
  return { cos, sin, mask };
}
