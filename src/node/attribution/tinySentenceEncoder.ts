/**
 * A tiny sentence encoder the project makes itself (deterministic, seeded), for tests and the offline demo of the
 * optional ONNX encoder: nothing is downloaded. It has the interface of a sentence-transformers ONNX export
 * (`input_ids`, `attention_mask` int64 `[B, T]` in; `last_hidden_state` float `[B, T, H]` out), written with
 * `onnx-proto` from standard ops (opset 17):
 *
 *   e = Gather(embed, input_ids)                      [B, T, H]
 *   last_hidden_state = Tanh(MatMul(e, W) + b)        [B, T, H]
 *   sentence_embedding = ReduceSum(h·m, 1) / max(ReduceSum(m, 1), 1e-9)   with m = attention_mask as float, [B, H]
 *
 * With `tokenTypes` it also takes BERT's `token_type_ids` (`[B, T]`), whose embedding (`[2, H]`) is added to `e`, as a
 * BERT export does.
 *
 * The folder beside it (`tinyEncoderFolder`) pairs it with the demo model's tokenizer (`public/models/tributary-demo/
 * tokenizer.json`) and an `encoder.json` naming mean pooling and normalisation.
 */
import onnxProto from 'onnx-proto';
import { createRng } from '../../engine/sampling/rng.ts';
import type { EncoderConfigJson } from '../../attribution/onnxEncoder/encoderConfig.ts';

const { onnx } = onnxProto;
type INodeProto = onnxProto.onnx.INodeProto;
type ITensorProto = onnxProto.onnx.ITensorProto;

const FLOAT = 1;
const INT64 = 7;

export interface TinyEncoderWeights {
  vocab: number;
  hidden: number;
  /** [vocab, hidden] */
  embed: Float32Array;
  /** [hidden, hidden], row-major, used as `e · W` */
  w: Float32Array;
  /** [hidden] */
  b: Float32Array;
  /** [2, hidden]: token-type embeddings (used by the graph only with `tokenTypes`) */
  types: Float32Array;
}

/** Seeded weights: embeddings uniform in [-1, 1), W uniform in ±1/√H, b uniform in ±0.1. */
export function tinyEncoderWeights(vocab: number, hidden = 32, seed = 12): TinyEncoderWeights {
  const rng = createRng(seed);
  const u = (scale: number): number => (rng.next() * 2 - 1) * scale;
  const embed = Float32Array.from({ length: vocab * hidden }, () => u(1));
  const w = Float32Array.from({ length: hidden * hidden }, () => u(1 / Math.sqrt(hidden)));
  const b = Float32Array.from({ length: hidden }, () => u(0.1));
  const types = Float32Array.from({ length: 2 * hidden }, () => u(0.5));
  return { vocab, hidden, embed, w, b, types };
}

const bytesOf = (a: Float32Array | BigInt64Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** The ONNX model bytes of the tiny encoder. */
export function buildTinyEncoderOnnx(wt: TinyEncoderWeights, opts: { tokenTypes?: boolean } = {}): Uint8Array {
  const nodes: INodeProto[] = [];
  const inits: ITensorProto[] = [];
  let uid = 0;
  const op = (opType: string, input: string[], attrs: Record<string, number> = {}, output = `${opType}_${uid++}`): string => {
    const attribute = Object.entries(attrs).map(([name, i]) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i }));
    nodes.push({ opType, input, output: [output], attribute, name: `n_${uid++}` });
    return output;
  };
  const fInit = (name: string, data: Float32Array, dims: number[]): string => {
    inits.push({ name, dims, dataType: FLOAT, rawData: bytesOf(data) });
    return name;
  };
  const iInit = (name: string, vals: number[]): string => {
    inits.push({ name, dims: [vals.length], dataType: INT64, rawData: bytesOf(BigInt64Array.from(vals.map(BigInt))) });
    return name;
  };
  const H = wt.hidden;
  const words = op('Gather', [fInit('embed_tokens', wt.embed, [wt.vocab, H]), 'input_ids'], { axis: 0 });
  const e = opts.tokenTypes ? op('Add', [words, op('Gather', [fInit('token_type_embeddings', wt.types, [2, H]), 'token_type_ids'], { axis: 0 })]) : words;
  const h = op('Tanh', [op('Add', [op('MatMul', [e, fInit('dense.weight', wt.w, [H, H])]), fInit('dense.bias', wt.b, [H])])], {}, 'last_hidden_state');
  const m = op('Unsqueeze', [op('Cast', ['attention_mask'], { to: FLOAT }), iInit('axis_last', [-1])]);
  const axis1 = iInit('axis_1', [1]);
  const summed = op('ReduceSum', [op('Mul', [h, m]), axis1], { keepdims: 0 });
  const count = op('Max', [op('ReduceSum', [m, axis1], { keepdims: 0 }), fInit('tiny', Float32Array.of(1e-9), [])]);
  op('Div', [summed, count], {}, 'sentence_embedding');
  const ids = (name: string) => ({ name, type: { tensorType: { elemType: INT64, shape: { dim: [{ dimParam: 'B' }, { dimParam: 'T' }] } } } });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'tributary',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'tributary-tiny-encoder',
      node: nodes,
      initializer: inits,
      input: [ids('input_ids'), ids('attention_mask'), ...(opts.tokenTypes ? [ids('token_type_ids')] : [])],
      output: [
        { name: 'last_hidden_state', type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'B' }, { dimParam: 'T' }, { dimValue: H }] } } } },
        { name: 'sentence_embedding', type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'B' }, { dimValue: H }] } } } },
      ],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** The files of the tiny encoder's folder: `model.onnx`, `tokenizer.json` (given), `encoder.json`. */
export function tinyEncoderFolder(tokenizerJson: string, vocab: number, opts: { hidden?: number; seed?: number; maxLength?: number } = {}): { files: Map<string, Uint8Array>; weights: TinyEncoderWeights; config: EncoderConfigJson } {
  const weights = tinyEncoderWeights(vocab, opts.hidden ?? 32, opts.seed ?? 12);
  const config: EncoderConfigJson = {
    format: 'tributary-sentence-encoder',
    name: 'tributary-tiny-encoder',
    model: 'model.onnx',
    tokenizer: 'tokenizer.json',
    output: 'last_hidden_state',
    pooling: 'mean',
    normalize: true,
    dimension: weights.hidden,
    maxLength: opts.maxLength ?? 128,
  };
  const files = new Map<string, Uint8Array>([
    ['model.onnx', buildTinyEncoderOnnx(weights)],
    ['tokenizer.json', new TextEncoder().encode(tokenizerJson)],
    ['encoder.json', new TextEncoder().encode(JSON.stringify(config, null, 2) + '\n')],
  ]);
  return { files, weights, config };
}
