/**
 * Training benchmark (`npm run bench -- train` → bench/results/train.json): tokens/s of one training step of a
 * Llama-shaped model (the demo base's shape; seeded random weights), LoRA (rank 8 on all seven modules, base frozen)
 * and full training, on Tributary's CPU training engine (`src/engine/train`, WASM SIMD gemm) vs the same model
 * written in `@tensorflow/tfjs-core` on `@tensorflow/tfjs-backend-wasm` (XNNPACK; its .wasm files loaded from
 * node_modules) with its autodiff and Adam, same batch, same sequence length, in the same process.
 *
 * Clock: process CPU time (user + system) per step, so other processes on this shared machine do not count (both
 * engines run their math on this process's threads; tfjs-wasm may use several — CPU time adds them up, which is
 * the fair cost on a small machine). Each repetition runs ours then tfjs (order swapped every other repetition);
 * ratios per repetition, then the median. Wall-clock rates beside them.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { randomModel } from '../src/engine/model/randomModel.ts';
import type { LlamaConfig, LlamaWeights } from '../src/engine/model/types.ts';
import { createCpuTrainOps } from '../src/engine/train/cpu/cpuTrainOps.ts';
import { createTrainer } from '../src/engine/train/trainer.ts';
import type { Trainer } from '../src/engine/train/trainerApi.ts';
import type { TrainExample, TrainMode } from '../src/engine/train/types.ts';

const here = dirname(fileURLToPath(import.meta.url));
const SHAPE: Partial<LlamaConfig> = { vocabSize: 2048, hiddenSize: 128, intermediateSize: 384, numLayers: 4, numHeads: 4, numKvHeads: 2, headDim: 32, tieWordEmbeddings: true };
const B = 4;
const S = 128;
const RANK = 8;
const REPS = 3;
const STEPS_PER_REP = 1;

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function dataset(V: number): TrainExample[] {
  return Array.from({ length: 16 }, (_, k) => ({
    tokens: Int32Array.from({ length: S }, (_, i) => (i * 131 + k * 17 + ((i * i) % 7)) % V),
    lossMask: new Uint8Array(S).fill(1),
    source: { contributionId: 'bench', passageIndex: k },
  }));
}

/** The same decoder in tfjs: RMSNorm, RoPE (half-split), causal GQA attention, SwiGLU, tied head, softmax CE. */
function tfjsStep(c: LlamaConfig, w: LlamaWeights, mode: TrainMode): { step: (tokens: Int32Array, targets: Int32Array) => number; dispose: () => void } {
  const H = c.hiddenSize;
  const hd = c.headDim;
  const group = c.numHeads / c.numKvHeads;
  const full = mode === 'full';
  const mk = (m: { rows: number; cols: number; data: Float32Array }, name: string): tf.Tensor2D => (full ? tf.variable(tf.tensor2d(m.data, [m.rows, m.cols]), true, name) : tf.tensor2d(m.data, [m.rows, m.cols]));
  const vec = (d: Float32Array, name: string): tf.Tensor1D => (full ? tf.variable(tf.tensor1d(d), true, name) : tf.tensor1d(d));
  const embed = mk(w.embed, 'embed');
  const layers = w.layers.map((l, i) => ({
    n1: vec(l.inputNorm, `n1_${i}`),
    n2: vec(l.postAttentionNorm, `n2_${i}`),
    w: Object.fromEntries((['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const).map((t) => [t, mk(l[t], `${t}_${i}`)])) as Record<string, tf.Tensor2D>,
    lora: full
      ? null
      : Object.fromEntries(
          (['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const).map((t) => [
            t,
            { a: tf.variable(tf.randomUniform([RANK, l[t].cols], -0.05, 0.05), true, `a_${t}_${i}`), b: tf.variable(tf.zeros([l[t].rows, RANK]), true, `b_${t}_${i}`) },
          ]),
        ),
  }));
  const fnorm = vec(w.finalNorm, 'fn');
  const half = hd / 2;
  const inv = Array.from({ length: half }, (_, i) => 1 / c.ropeTheta ** ((2 * i) / hd));
  const ang = new Float32Array(S * half);
  for (let p = 0; p < S; p++) for (let i = 0; i < half; i++) ang[p * half + i] = p * inv[i]!;
  const cos = tf.cos(tf.tensor4d(ang, [1, S, 1, half]));
  const sin = tf.sin(tf.tensor4d(ang, [1, S, 1, half]));
  const mask = tf.tensor2d(Float32Array.from({ length: S * S }, (_, k) => (k % S > Math.floor(k / S) ? -1e9 : 0)), [S, S]);
  const rms = (x: tf.Tensor2D, g: tf.Tensor1D): tf.Tensor2D => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), c.rmsNormEps))), g);
  const lin = (x: tf.Tensor2D, l: (typeof layers)[number], t: string): tf.Tensor2D => {
    const y: tf.Tensor2D = tf.matMul(x, l.w[t]!, false, true);
    if (!l.lora) return y;
    const m = l.lora[t]!;
    const delta: tf.Tensor2D = tf.matMul(tf.matMul(x, m.a as tf.Tensor2D, false, true), m.b as tf.Tensor2D, false, true);
    return tf.add(y, tf.mul(delta, 2));
  };
  const rope = (x: tf.Tensor2D, heads: number): tf.Tensor4D => {
    const r = tf.reshape(x, [B, S, heads, hd]);
    const [x1, x2] = tf.split(r, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
    const a = tf.sub(tf.mul(x1, cos), tf.mul(x2, sin)) as tf.Tensor4D;
    const b = tf.add(tf.mul(x2, cos), tf.mul(x1, sin)) as tf.Tensor4D;
    return tf.concat([a, b], 3);
  };
  // head h reads KV head floor(h / group): tile each KV head's values `group` times along the last axis, then split
  const repeatKv = (x: tf.Tensor4D): tf.Tensor4D => tf.reshape(tf.tile(x, [1, 1, 1, group]), [B, S, c.numHeads, hd]);
  const varList = [...(full ? [embed, fnorm, ...layers.flatMap((l) => [l.n1, l.n2, ...Object.values(l.w)])] : layers.flatMap((l) => Object.values(l.lora!).flatMap((m) => [m.a, m.b])))] as tf.Variable[];
  const opt = tf.train.adam(1e-3);
  return {
    step(tokens, targets) {
      const lossT = opt.minimize(
        () => {
          // full training: tfjs-wasm has no UnsortedSegmentSum (gather's gradient), so the lookup is oneHot · E there
          let x = (full ? tf.matMul(tf.cast(tf.oneHot(tf.tensor1d(tokens, 'int32'), c.vocabSize), 'float32'), embed) : tf.gather(embed, tf.tensor1d(tokens, 'int32'))) as tf.Tensor2D;
          for (const l of layers) {
            const n1 = rms(x, l.n1);
            const q = tf.transpose(rope(lin(n1, l, 'q'), c.numHeads), [0, 2, 1, 3]);
            const k = tf.transpose(repeatKv(rope(lin(n1, l, 'k'), c.numKvHeads)), [0, 2, 1, 3]);
            const v = tf.transpose(repeatKv(tf.reshape(lin(n1, l, 'v'), [B, S, c.numKvHeads, hd])), [0, 2, 1, 3]);
            const p = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)), mask));
            const att = tf.reshape(tf.transpose(tf.matMul(p, v), [0, 2, 1, 3]), [B * S, H]) as tf.Tensor2D;
            const h = tf.add(x, lin(att, l, 'o')) as tf.Tensor2D;
            const n2 = rms(h, l.n2);
            const g = lin(n2, l, 'gate');
            x = tf.add(h, lin(tf.mul(tf.mul(g, tf.sigmoid(g)), lin(n2, l, 'up')) as tf.Tensor2D, l, 'down'));
          }
          const logits = tf.matMul(rms(x, fnorm), embed, false, true);
          return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(targets, 'int32'), c.vocabSize), logits) as tf.Scalar;
        },
        true,
        varList,
      )!;
      const v = lossT.dataSync()[0]!;
      lossT.dispose();
      return v;
    },
    dispose() {
      opt.dispose();
      tf.disposeVariables();
    },
  };
}

interface Rates {
  oursCpu: number[];
  tfjsCpu: number[];
  oursWall: number[];
  tfjsWall: number[];
  ratios: number[];
  oursLoss: number;
  tfjsLoss: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(mode: TrainMode, c: LlamaConfig, w: LlamaWeights, peak: { rss: number }): Promise<Rates> {
  const exs = dataset(c.vocabSize);
  const ours: Trainer = await createTrainer({ ops: createCpuTrainOps(), config: c, weights: w, train: { mode, rank: RANK, alpha: 16, batchSize: B, seqLen: S, epochs: 100, lr: 1e-3, warmup: 0, clip: 0 }, examples: exs, padId: 0, log: false });
  const tfm = tfjsStep(c, w, mode);
  const toks = Int32Array.from(exs.slice(0, B).flatMap((e) => Array.from(e.tokens)));
  const tg = Int32Array.from(toks, (_, i) => (i % S === S - 1 ? toks[i]! : toks[i + 1]!));
  // warm-up (JIT, buffers, XNNPACK packing)
  await ours.step();
  tfm.step(toks, tg);
  const r: Rates = { oursCpu: [], tfjsCpu: [], oursWall: [], tfjsWall: [], ratios: [], oursLoss: 0, tfjsLoss: 0 };
  const tokensPerStep = B * S;
  for (let rep = 0; rep < REPS; rep++) {
    const runOurs = async (): Promise<void> => {
      const c0 = cpuSeconds();
      const w0 = performance.now();
      for (let i = 0; i < STEPS_PER_REP; i++) r.oursLoss = (await ours.step()).loss;
      r.oursCpu.push((tokensPerStep * STEPS_PER_REP) / (cpuSeconds() - c0));
      r.oursWall.push((tokensPerStep * STEPS_PER_REP) / ((performance.now() - w0) / 1000));
      peak.rss = Math.max(peak.rss, process.memoryUsage().rss);
    };
    const runTf = (): void => {
      const c0 = cpuSeconds();
      const w0 = performance.now();
      for (let i = 0; i < STEPS_PER_REP; i++) r.tfjsLoss = tfm.step(toks, tg);
      r.tfjsCpu.push((tokensPerStep * STEPS_PER_REP) / (cpuSeconds() - c0));
      r.tfjsWall.push((tokensPerStep * STEPS_PER_REP) / ((performance.now() - w0) / 1000));
      peak.rss = Math.max(peak.rss, process.memoryUsage().rss);
    };
    if (rep % 2 === 0) {
      await runOurs();
      runTf();
    } else {
      runTf();
      await runOurs();
    }
    r.ratios.push(r.oursCpu[rep]! / r.tfjsCpu[rep]!);
    console.log(`${mode} rep ${rep + 1}: ours ${r.oursCpu[rep]!.toFixed(0)} tok/s CPU (${r.oursWall[rep]!.toFixed(0)} wall), tfjs-wasm ${r.tfjsCpu[rep]!.toFixed(0)} (${r.tfjsWall[rep]!.toFixed(0)} wall), ratio ${r.ratios[rep]!.toFixed(2)}`);
  }
  ours.dispose();
  tfm.dispose();
  return r;
}

/**
 * tfjs-core's op gradients live in `dist/register_all_gradients.js` (the umbrella `@tensorflow/tfjs` package imports
 * it), whose extensionless ESM imports Node cannot resolve: esbuild (already installed, with tsx) bundles it into one
 * file under .tmp; it registers into tfjs's global gradient registry, which the installed tfjs-core reads.
 */
async function registerTfjsGradients(): Promise<void> {
  const esbuild = await import('esbuild');
  const outfile = resolve('.tmp', 'tfjs-gradients.mjs');
  await esbuild.build({ entryPoints: [resolve('node_modules/@tensorflow/tfjs-core/dist/register_all_gradients.js')], bundle: true, format: 'esm', platform: 'node', outfile, logLevel: 'error' });
  await import(pathToFileURL(outfile).href);
}

export async function main(): Promise<void> {
  await registerTfjsGradients();
  setWasmPaths(resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist') + '/');
  await tf.setBackend('wasm');
  await tf.ready();
  const { config, weights } = randomModel({ ...SHAPE, seed: 5 });
  for (const m of [weights.embed]) for (let i = 0; i < m.data.length; i++) m.data[i] = m.data[i]! * 0.05;
  const peak = { rss: process.memoryUsage().rss };
  const lora = await measure('lora', config, weights, peak);
  const full = await measure('full', config, weights, peak);
  const out = {
    ratio_lora_train_cpu_vs_tfjs_wasm: median(lora.ratios),
    lora_train_tokens_per_s_cpu: median(lora.oursCpu),
    lora_train_tokens_per_s_tfjs_wasm: median(lora.tfjsCpu),
    ratio_full_train_cpu_vs_tfjs_wasm: median(full.ratios),
    full_train_tokens_per_s_cpu: median(full.oursCpu),
    full_train_tokens_per_s_tfjs_wasm: median(full.tfjsCpu),
    peak_rss_mb: peak.rss / 1024 / 1024,
    details: {
      shape: { ...SHAPE, batch: B, seqLen: S, loraRank: RANK, loraTargets: 'q,k,v,o,gate,up,down' },
      clock: 'tokens per second of process CPU time (user + system); wall-clock rates in *_wall',
      reps: REPS,
      stepsPerRep: STEPS_PER_REP,
      lora: { ...lora, oursWallMedian: median(lora.oursWall), tfjsWallMedian: median(lora.tfjsWall) },
      full: { ...full, oursWallMedian: median(full.oursWall), tfjsWallMedian: median(full.tfjsWall) },
      tfjs: `@tensorflow/tfjs-core ${tf.version_core} + tfjs-backend-wasm (${tf.getBackend()}); full training looks embeddings up as oneHot · E (tfjs-wasm lacks UnsortedSegmentSum, gather's gradient)`,
      node: process.version,
    },
  };
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'train.json'), JSON.stringify(out, null, 2) + '\n');
  console.log(JSON.stringify({ ...out, details: undefined }, null, 2));
}
