/**
 * The Llama decoder for training, on any `TrainOps` backend: a forward pass over `batch` contiguous sequences of
 * `seqLen` tokens that keeps every activation backward reads (per layer: its input, both norms' outputs and
 * inverse rms, q/k/v after RoPE, the attention output and its log-sum-exp, the residual mid-point, gate, up, their
 * product, and each LoRA module's `h = x · Aᵀ`), and the backward pass that accumulates parameter gradients.
 * Same math as the inference model (`src/engine/model/llama.ts`): RMSNorm → GQA attention with RoPE → residual →
 * RMSNorm → SwiGLU → residual; LoRA adds `scale · B · A · x` to a module's output (after its bias), as `loraApply`.
 *
 * `mode: 'lora'`: the base is frozen (`FrozenWeight`s, optionally int8/int4) and only the adapters' A and B train
 * (A seeded uniform ±1/sqrt(in), B zero: PEFT's init, so step 0 is the base model). `mode: 'full'`: every weight
 * trains (embeddings, norms, projections, LM head; a tied head shares the embedding's gradient).
 */
import { TributaryError } from '../../core/errors.ts';
import { ropeInvFreq } from '../cpu/kernels/rope.ts';
import { quantize, type F32Matrix } from '../quant.ts';
import { createRng } from '../sampling/rng.ts';
import { loraTargetDims } from '../model/loraTargetDims.ts';
import { LORA_TARGETS, type LlamaConfig, type LlamaWeights, type LoraTarget } from '../model/types.ts';
import { hash32 } from './projectLoraGradient.ts';
import type { AttentionShape, LinearWeight, TrainOps, TrainTensor } from './trainOps.ts';
import type { TrainConfig } from './types.ts';

/** A trainable tensor with its gradient and AdamW moments. */
export interface TrainParam {
  /** `embed`, `layers.3.q`, `layers.3.q.lora_A`, `finalNorm`, … */
  name: string;
  shape: number[];
  value: TrainTensor;
  grad: TrainTensor;
  m: TrainTensor;
  v: TrainTensor;
  /** weight decay applies (matrices; not norms) */
  decay: boolean;
}

interface LoraModule {
  a: TrainParam;
  b: TrainParam;
}

interface Layer {
  inputNorm: TrainTensor;
  postNorm: TrainTensor;
  w: Record<LoraTarget, LinearWeight>;
  bias: Partial<Record<'q' | 'k' | 'v', TrainTensor>>;
  lora: Partial<Record<LoraTarget, LoraModule>>;
  /** full mode: the params behind `w`, `inputNorm`, `postNorm` */
  full: Partial<Record<LoraTarget | 'inputNorm' | 'postNorm', TrainParam>>;
}

interface Acts {
  x: TrainTensor;
  n1: TrainTensor;
  rstd1: TrainTensor;
  q: TrainTensor;
  k: TrainTensor;
  v: TrainTensor;
  att: TrainTensor;
  lse: TrainTensor;
  h: TrainTensor;
  n2: TrainTensor;
  rstd2: TrainTensor;
  g: TrainTensor;
  u: TrainTensor;
  act: TrainTensor;
  loraH: Partial<Record<LoraTarget, TrainTensor>>;
}

interface Buffers {
  T: number;
  layers: Acts[];
  xL: TrainTensor;
  nf: TrainTensor;
  rstdF: TrainTensor;
  logits: TrainTensor;
  dLogits: TrainTensor;
  loss: TrainTensor;
  // backward scratch
  dX: TrainTensor;
  dN: TrainTensor;
  dH: TrainTensor;
  dAct: TrainTensor;
  dG: TrainTensor;
  dU: TrainTensor;
  dAtt: TrainTensor;
  dQ: TrainTensor;
  dK: TrainTensor;
  dV: TrainTensor;
  dQp: TrainTensor;
  dKp: TrainTensor;
  dLoraH: TrainTensor;
  /** dropout scratch per input size: the dropped input and its gradient */
  drop: Map<number, { x: TrainTensor; dx: TrainTensor }>;
}

export interface TrainableLlama {
  readonly config: LlamaConfig;
  readonly params: TrainParam[];
  /** LoRA scale (alpha / rank); 0 in full mode */
  readonly loraScale: number;
  /**
   * Forward over `tokens` (`batch · seqLen` ids); computes the masked cross-entropy against `targets` with per-row
   * `weights` into `loss()` and leaves `dLogits` ready for `backward`. `dropoutSeed` null: no dropout (evaluation).
   */
  forward(tokens: Int32Array, batch: number, seqLen: number, targets: Int32Array, weights: Float32Array, dropoutSeed: number | null): void;
  /** per-row losses of the last forward (`−log p(target)`) */
  loss(): TrainTensor;
  /** backward of the last forward: adds into every param's `grad` */
  backward(): void;
  zeroGrads(): void;
  loraModule(layer: number, t: LoraTarget): LoraModule | undefined;
  dispose(): void;
}

export type TrainableOptions = Pick<TrainConfig, 'mode' | 'rank' | 'alpha' | 'dropout' | 'targetModules' | 'baseQuant' | 'seed'>;

export function createTrainableLlama(ops: TrainOps, c: LlamaConfig, weights: LlamaWeights, o: TrainableOptions): TrainableLlama {
  if (c.hiddenSize % 2 !== 0 || c.numHeads % c.numKvHeads !== 0) throw new TributaryError('engine/bad-config', 'Training needs an even hidden size and heads divisible by KV heads.');
  const full = o.mode === 'full';
  if (full && c.attentionBias) throw new TributaryError('train/config', 'Full training of models with q/k/v biases (Qwen2) is not supported; train a LoRA adapter instead.', 'mode');
  const params: TrainParam[] = [];
  const owned: TrainTensor[] = [];
  const frozen: LinearWeight[] = [];
  const newParam = (name: string, data: Float32Array, shape: number[], decay: boolean): TrainParam => {
    const p: TrainParam = { name, shape, value: ops.upload(data, shape), grad: ops.alloc(shape), m: ops.alloc(shape), v: ops.alloc(shape), decay };
    params.push(p);
    return p;
  };
  const tensor = (data: Float32Array): TrainTensor => {
    const t = ops.upload(data);
    owned.push(t);
    return t;
  };
  const linear = (m: F32Matrix, name: string): { w: LinearWeight; p?: TrainParam } => {
    if (full) {
      const p = newParam(name, m.data, [m.rows, m.cols], true);
      return { w: p.value, p };
    }
    const q = o.baseQuant === 'int8' && m.cols % 32 === 0 ? quantize(m, 'q8') : o.baseQuant === 'int4' && m.cols % 32 === 0 ? quantize(m, 'q4') : m;
    const w = ops.uploadFrozen(q);
    frozen.push(w);
    return { w };
  };

  const embedParam = full ? newParam('embed', weights.embed.data, [c.vocabSize, c.hiddenSize], true) : null;
  // the embedding stays f32 when frozen (a row gather; quantising it saves little and costs accuracy)
  const embed: LinearWeight = embedParam ? embedParam.value : ops.uploadFrozen(weights.embed);
  if (!embedParam) frozen.push(embed);
  const rng = createRng(o.seed ^ 0x5eed);
  const scale = full ? 0 : o.alpha / o.rank;
  const layers: Layer[] = weights.layers.map((lw, li) => {
    const ws = {} as Record<LoraTarget, LinearWeight>;
    const fullP: Layer['full'] = {};
    for (const t of LORA_TARGETS) {
      const { w, p } = linear(lw[t], `layers.${li}.${t}`);
      ws[t] = w;
      if (p) fullP[t] = p;
    }
    let inputNorm: TrainTensor, postNorm: TrainTensor;
    if (full) {
      fullP.inputNorm = newParam(`layers.${li}.inputNorm`, lw.inputNorm, [c.hiddenSize], false);
      fullP.postNorm = newParam(`layers.${li}.postNorm`, lw.postAttentionNorm, [c.hiddenSize], false);
      inputNorm = fullP.inputNorm.value;
      postNorm = fullP.postNorm.value;
    } else {
      inputNorm = tensor(lw.inputNorm);
      postNorm = tensor(lw.postAttentionNorm);
    }
    const bias: Layer['bias'] = {};
    if (lw.qBias) bias.q = tensor(lw.qBias);
    if (lw.kBias) bias.k = tensor(lw.kBias);
    if (lw.vBias) bias.v = tensor(lw.vBias);
    const lora: Layer['lora'] = {};
    if (!full) {
      for (const t of LORA_TARGETS) {
        if (!o.targetModules.includes(t)) continue;
        const { inDim, outDim } = loraTargetDims(c, t);
        const A = new Float32Array(o.rank * inDim);
        const bound = 1 / Math.sqrt(inDim);
        for (let i = 0; i < A.length; i++) A[i] = (rng.next() * 2 - 1) * bound;
        lora[t] = { a: newParam(`layers.${li}.${t}.lora_A`, A, [o.rank, inDim], true), b: newParam(`layers.${li}.${t}.lora_B`, new Float32Array(outDim * o.rank), [outDim, o.rank], true) };
      }
    }
    return { inputNorm, postNorm, w: ws, bias, lora, full: fullP };
  });
  const finalNormP = full ? newParam('finalNorm', weights.finalNorm, [c.hiddenSize], false) : null;
  const finalNorm = finalNormP ? finalNormP.value : tensor(weights.finalNorm);
  let headP: TrainParam | null = null;
  let head: LinearWeight;
  if (c.tieWordEmbeddings || !weights.lmHead) head = embed;
  else if (full) {
    headP = newParam('lmHead', weights.lmHead.data, [c.vocabSize, c.hiddenSize], true);
    head = headP.value;
  } else {
    head = ops.uploadFrozen(weights.lmHead);
    frozen.push(head);
  }
  const invFreq = ropeInvFreq(c.headDim, c.ropeTheta, c.ropeScaling);
  const H = c.hiddenSize;
  const I = c.intermediateSize;
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  const V = c.vocabSize;

  let buf: Buffers | null = null;
  const bufTensors: TrainTensor[] = [];
  const A = (shape: number[]): TrainTensor => {
    const t = ops.alloc(shape);
    bufTensors.push(t);
    return t;
  };
  const buffers = (T: number): Buffers => {
    if (buf && buf.T === T) return buf;
    for (const t of bufTensors.splice(0)) ops.dispose(t);
    buf = {
      T,
      layers: layers.map((l) => ({
        x: A([T, H]),
        n1: A([T, H]),
        rstd1: A([T]),
        q: A([T, qDim]),
        k: A([T, kvDim]),
        v: A([T, kvDim]),
        att: A([T, qDim]),
        lse: A([T, c.numHeads]),
        h: A([T, H]),
        n2: A([T, H]),
        rstd2: A([T]),
        g: A([T, I]),
        u: A([T, I]),
        act: A([T, I]),
        loraH: Object.fromEntries(Object.keys(l.lora).map((t) => [t, A([T, o.rank])])),
      })),
      xL: A([T, H]),
      nf: A([T, H]),
      rstdF: A([T]),
      logits: A([T, V]),
      dLogits: A([T, V]),
      loss: A([T]),
      dX: A([T, H]),
      dN: A([T, H]),
      dH: A([T, H]),
      dAct: A([T, I]),
      dG: A([T, I]),
      dU: A([T, I]),
      dAtt: A([T, qDim]),
      dQ: A([T, qDim]),
      dK: A([T, kvDim]),
      dV: A([T, kvDim]),
      dQp: A([T, qDim]),
      dKp: A([T, kvDim]),
      dLoraH: A([T, Math.max(1, o.rank)]),
      drop: new Map([...new Set([H, I, qDim])].map((d) => [d, { x: A([T, d]), dx: A([T, d]) }])),
    };
    return buf;
  };

  let last: { tokens: Int32Array; positions: Int32Array; shape: AttentionShape; dropoutSeed: number | null } | null = null;
  const dropSeed = (s: number, li: number, t: LoraTarget): number => hash32(s, li, LORA_TARGETS.indexOf(t), 0x10a);
  const useDropout = (s: number | null): s is number => s !== null && o.dropout > 0 && !full;

  /** y (+)= x · Wᵀ (+ bias) + LoRA(x) */
  const linearFwd = (b: Buffers, li: number, t: LoraTarget, x: TrainTensor, y: TrainTensor, accumulate: boolean, seed: number | null): void => {
    const L = layers[li]!;
    const T = b.T;
    ops.matmul(x, T, L.w[t], y, accumulate);
    if (t === 'q' || t === 'k' || t === 'v') {
      const bias = L.bias[t];
      if (bias) ops.addBias(y, T, bias);
    }
    const lm = L.lora[t];
    if (!lm) return;
    const h = b.layers[li]!.loraH[t]!;
    let xin = x;
    if (useDropout(seed)) {
      xin = b.drop.get(lm.a.shape[1]!)!.x;
      ops.dropout(x, o.dropout, dropSeed(seed, li, t), xin);
    }
    ops.loraShrink(xin, T, lm.a.value, h);
    ops.loraExpand(h, T, lm.b.value, scale, y);
  };
  /** dx += dy · W (+ LoRA's), dW / dA / dB += … */
  const linearBwd = (b: Buffers, li: number, t: LoraTarget, x: TrainTensor, dy: TrainTensor, dx: TrainTensor): void => {
    const L = layers[li]!;
    const T = b.T;
    ops.matmulGradInput(dy, T, L.w[t], dx);
    const fp = L.full[t];
    if (fp) ops.matmulGradWeight(dy, x, T, fp.grad);
    const lm = L.lora[t];
    if (!lm) return;
    const h = b.layers[li]!.loraH[t]!;
    ops.fill(b.dLoraH, 0);
    ops.loraExpandBackward(dy, h, T, lm.b.value, scale, b.dLoraH, lm.b.grad);
    const seed = last!.dropoutSeed;
    if (useDropout(seed)) {
      const s = dropSeed(seed, li, t);
      const d = b.drop.get(lm.a.shape[1]!)!;
      ops.dropout(x, o.dropout, s, d.x);
      ops.fill(d.dx, 0);
      ops.loraShrinkBackward(b.dLoraH, d.x, T, lm.a.value, d.dx, lm.a.grad);
      ops.dropoutBackward(d.dx, o.dropout, s, dx);
    } else ops.loraShrinkBackward(b.dLoraH, x, T, lm.a.value, dx, lm.a.grad);
  };

  const model: TrainableLlama = {
    config: c,
    params,
    loraScale: scale,
    forward(tokens, batch, seqLen, targets, weights, dropoutSeed) {
      const T = batch * seqLen;
      if (tokens.length !== T || targets.length !== T || weights.length !== T) throw new TributaryError('engine/bad-shape', `forward: tokens, targets and weights need ${T} values each.`);
      const b = buffers(T);
      const positions = new Int32Array(T);
      for (let i = 0; i < T; i++) positions[i] = i % seqLen;
      const shape: AttentionShape = { batch, seqLen, nHeads: c.numHeads, nKvHeads: c.numKvHeads, headDim: c.headDim };
      last = { tokens, positions, shape, dropoutSeed };
      ops.embedding(tokens, embed, b.layers[0]!.x);
      for (let li = 0; li < layers.length; li++) {
        const L = layers[li]!;
        const a = b.layers[li]!;
        const next = li + 1 < layers.length ? b.layers[li + 1]!.x : b.xL;
        ops.rmsNorm(a.x, T, H, L.inputNorm, c.rmsNormEps, a.n1, a.rstd1);
        linearFwd(b, li, 'q', a.n1, a.q, false, dropoutSeed);
        linearFwd(b, li, 'k', a.n1, a.k, false, dropoutSeed);
        linearFwd(b, li, 'v', a.n1, a.v, false, dropoutSeed);
        ops.rope(a.q, T, c.numHeads, c.headDim, positions, invFreq, a.q);
        ops.rope(a.k, T, c.numKvHeads, c.headDim, positions, invFreq, a.k);
        ops.attention(a.q, a.k, a.v, shape, a.att, a.lse);
        ops.copy(a.x, a.h);
        linearFwd(b, li, 'o', a.att, a.h, true, dropoutSeed);
        ops.rmsNorm(a.h, T, H, L.postNorm, c.rmsNormEps, a.n2, a.rstd2);
        linearFwd(b, li, 'gate', a.n2, a.g, false, dropoutSeed);
        linearFwd(b, li, 'up', a.n2, a.u, false, dropoutSeed);
        ops.siluMul(a.g, a.u, a.act);
        ops.copy(a.h, next);
        linearFwd(b, li, 'down', a.act, next, true, dropoutSeed);
      }
      ops.rmsNorm(b.xL, T, H, finalNorm, c.rmsNormEps, b.nf, b.rstdF);
      ops.matmul(b.nf, T, head, b.logits);
      ops.crossEntropy(b.logits, T, V, targets, weights, b.loss, b.dLogits);
    },
    loss() {
      if (!buf) throw new TributaryError('engine/bad-shape', 'loss: no forward pass yet.');
      return buf.loss;
    },
    backward() {
      if (!buf || !last) throw new TributaryError('engine/bad-shape', 'backward: no forward pass yet.');
      const b = buf;
      const T = b.T;
      const { positions, shape, tokens } = last;
      ops.fill(b.dN, 0);
      ops.matmulGradInput(b.dLogits, T, head, b.dN);
      const headGrad = headP ? headP.grad : c.tieWordEmbeddings && embedParam ? embedParam.grad : null;
      if (headGrad) ops.matmulGradWeight(b.dLogits, b.nf, T, headGrad);
      ops.fill(b.dX, 0);
      ops.rmsNormBackward(b.xL, T, H, finalNorm, b.rstdF, b.dN, b.dX, finalNormP?.grad ?? null);
      for (let li = layers.length - 1; li >= 0; li--) {
        const L = layers[li]!;
        const a = b.layers[li]!;
        // x_{l+1} = h + down(act)
        ops.fill(b.dAct, 0);
        linearBwd(b, li, 'down', a.act, b.dX, b.dAct);
        ops.fill(b.dG, 0);
        ops.fill(b.dU, 0);
        ops.siluMulBackward(a.g, a.u, b.dAct, b.dG, b.dU);
        ops.fill(b.dN, 0);
        linearBwd(b, li, 'gate', a.n2, b.dG, b.dN);
        linearBwd(b, li, 'up', a.n2, b.dU, b.dN);
        ops.copy(b.dX, b.dH);
        ops.rmsNormBackward(a.h, T, H, L.postNorm, a.rstd2, b.dN, b.dH, L.full.postNorm?.grad ?? null);
        // h = x + o(att)
        ops.fill(b.dAtt, 0);
        linearBwd(b, li, 'o', a.att, b.dH, b.dAtt);
        ops.fill(b.dQ, 0);
        ops.fill(b.dK, 0);
        ops.fill(b.dV, 0);
        ops.attentionBackward(a.q, a.k, a.v, a.att, a.lse, b.dAtt, shape, b.dQ, b.dK, b.dV);
        ops.fill(b.dQp, 0);
        ops.fill(b.dKp, 0);
        ops.ropeBackward(b.dQ, T, c.numHeads, c.headDim, positions, invFreq, b.dQp);
        ops.ropeBackward(b.dK, T, c.numKvHeads, c.headDim, positions, invFreq, b.dKp);
        ops.fill(b.dN, 0);
        linearBwd(b, li, 'q', a.n1, b.dQp, b.dN);
        linearBwd(b, li, 'k', a.n1, b.dKp, b.dN);
        linearBwd(b, li, 'v', a.n1, b.dV, b.dN);
        ops.copy(b.dH, b.dX);
        ops.rmsNormBackward(a.x, T, H, L.inputNorm, a.rstd1, b.dN, b.dX, L.full.inputNorm?.grad ?? null);
      }
      if (embedParam) ops.embeddingBackward(tokens, b.dX, embedParam.grad);
    },
    zeroGrads() {
      for (const p of params) ops.fill(p.grad, 0);
    },
    loraModule(li, t) {
      return layers[li]?.lora[t];
    },
    dispose() {
      for (const t of bufTensors.splice(0)) ops.dispose(t);
      for (const t of owned) ops.dispose(t);
      for (const w of frozen) ops.dispose(w);
      for (const p of params) for (const t of [p.value, p.grad, p.m, p.v]) ops.dispose(t);
      buf = null;
    },
  };
  return model;
}
