/**
 * `npm run cli -- eval-attribution --datanet <data.jsonl> --questions <questions.jsonl> [--base <dir>] [--out report.json]
 *   [--unrelated <prompts.jsonl>] [--encoder <dir or url>] [--max-new-tokens 48] [--limit N] [--epochs E] [--lr X] [--seq-len S] [--no-train] [--oracle-answers]`
 *
 * Fine-tunes a LoRA adapter on the data with the project's trainer (src/engine/train; --no-train answers with the
 * base model), answers each prompt greedily, attributes each answer in the context of
 * its prompt (spans, BM25, the model's own embeddings, gradient influence when a training log exists), and prints
 * as its LAST line one JSON object: {"n", "methods": {span, bm25, embedding, influence, combined: {p_at_1, mrr}}, …}.
 * Questions without "source" (and --unrelated prompts) are answered and attributed but not scored: their mean
 * unattributed share is the honesty figure.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { attributeAnswer, type AttributionResult } from '../../src/attribution/attribute.ts';
import { buildDatanetIndex } from '../../src/attribution/datanetIndex.ts';
import { evalContributionId, parseDataJsonl, sourceFromDataLines } from '../../src/attribution/jsonlSource.ts';
import { ATTRIBUTION_METHODS } from '../../src/core/attribution/types.ts';
import { sha256Text } from '../../src/core/hash.ts';
import { parseArgs } from './_args.ts';
import { MetricsAccumulator } from './_eval.ts';
import { loadModelDir, DEMO_MODEL_DIR } from './_model.ts';
import { fineTuneIfAvailable } from './_finetune.ts';
import { onnxEncoderArg } from './_encoder.ts';

export const summary = 'fine-tune on a Datanet, answer questions, attribute the answers and score each method (p@1, MRR)';

interface Question {
  prompt: string;
  source?: string;
}

function readQuestions(file: string): Question[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      const q = JSON.parse(l) as Question;
      if (typeof q.prompt !== 'string' || q.prompt.trim() === '') throw Object.assign(new Error(`${file} line ${i + 1}: needs a "prompt"`), { code: 'file/bad-jsonl' });
      return q;
    });
}

export async function run(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const dataFile = args.need('datanet', 'data.jsonl');
  const lines = parseDataJsonl(readFileSync(dataFile, 'utf8'), dataFile);
  const questions = readQuestions(args.need('questions', 'questions.jsonl'));
  const unrelated = args.get('unrelated') ? readQuestions(args.get('unrelated')!).map((q) => ({ prompt: q.prompt })) : [];
  const limit = Number(args.get('limit') ?? Infinity);
  const maxNewTokens = Number(args.get('max-new-tokens') ?? 48);
  const datanetId = `dn-${sha256Text(readFileSync(dataFile, 'utf8')).slice(2, 18)}`;
  const { source, idOf } = sourceFromDataLines(lines, datanetId);
  const known = new Set(lines.map((l) => l.id));
  for (const q of questions) if (q.source !== undefined && !known.has(q.source)) throw Object.assign(new Error(`question "${q.prompt}" names source "${q.source}", which is not in ${dataFile}`), { code: 'file/bad-jsonl' });

  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  const base = await loadModelDir(args.get('base') ?? DEMO_MODEL_DIR);
  log(`base model ${base.id} (${base.hash.slice(0, 10)}…), ${lines.length} contributions, ${questions.length} questions`);
  const train = { ...(args.get('epochs') ? { epochs: Number(args.get('epochs')) } : {}), ...(args.get('lr') ? { lr: Number(args.get('lr')) } : {}), ...(args.get('seq-len') ? { seqLen: Number(args.get('seq-len')) } : {}) };
  const tuned = args.has('no-train') ? null : await fineTuneIfAvailable(base, source, log, { train });
  const model = tuned?.model ?? base;
  log(tuned ? `fine-tuned adapter ${tuned.model.adapter!.id}` : `not fine-tuned (--no-train): answering with the base model ${base.id}, no influence`);

  // embeddings by the ONNX sentence encoder of --encoder, else the base model's own hidden states
  const encoder = (await onnxEncoderArg(args)) ?? base.encoder;
  const t0 = performance.now();
  const index = await buildDatanetIndex(source, { encoder, onProgress: (p, d, t) => d === t && log(`index: ${p} done (${t})`) });
  log(`index built in ${(performance.now() - t0).toFixed(0)} ms`);

  const acc = Object.fromEntries([...ATTRIBUTION_METHODS, 'combined'].map((m) => [m, new MetricsAccumulator()])) as Record<(typeof ATTRIBUTION_METHODS)[number] | 'combined', MetricsAccumulator>;
  const report: object[] = [];
  const unscored: number[] = [];
  const all: Question[] = [...questions.slice(0, limit), ...unrelated];
  let scored = 0;
  for (const [k, q] of all.entries()) {
    // --oracle-answers: the answer IS the source contribution's text (what a model that learned it perfectly would
    // say): measures the attribution methods apart from how well the model learned; never the headline figure
    const oracle = args.has('oracle-answers') && q.source !== undefined ? lines.find((l) => l.id === q.source)!.text : null;
    const answer = oracle ?? (await model.answer(q.prompt, maxNewTokens));
    const influence = tuned ? await tuned.influence(q.prompt, answer) : null;
    const r: AttributionResult = await attributeAnswer({ prompt: q.prompt, answer, model: { id: base.id, hash: base.hash }, adapter: model.adapter, indexes: [index], encoder, influence });
    const name = (c: string): string => idOf.get(c as `0x${string}`) ?? c;
    if (q.source !== undefined) {
      scored++;
      const src = evalContributionId(datanetId, q.source);
      for (const m of [...ATTRIBUTION_METHODS, 'combined'] as const) acc[m].add(r.rankings[m], src);
    } else unscored.push(r.record.unattributedPpm / 1e6);
    report.push({
      prompt: q.prompt,
      source: q.source ?? null,
      answer,
      methods: Object.fromEntries([...ATTRIBUTION_METHODS, 'combined'].map((m) => [m, r.rankings[m as keyof typeof r.rankings].slice(0, 5).map((x) => ({ id: name(x.contributionId), score: x.score }))])),
      combined: r.record.credits.map((c) => ({ id: name(c.contributionId), weight: c.weightPpm / 1e6 })),
      unattributed: r.record.unattributedPpm / 1e6,
      spanCoverage: r.spanCoverage,
      lexicalCoverage: r.lexicalCoverage,
    });
    if ((k + 1) % 5 === 0) log(`attributed ${k + 1}/${all.length}`);
  }
  const mean = (xs: number[]): number | null => (xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10_000) / 10_000 : null);
  const result = {
    n: scored,
    methods: Object.fromEntries([...ATTRIBUTION_METHODS, 'combined'].map((m) => [m, acc[m as keyof typeof acc].result()])),
    unattributed_unscored_mean: mean(unscored),
    unscored: unscored.length,
    fine_tuned: tuned !== null,
    oracle_answers: args.has('oracle-answers'),
    final_train_loss: tuned ? Math.round(tuned.losses.at(-1)! * 1000) / 1000 : null,
    base: base.id,
    encoder: encoder.ref.id,
  };
  if (args.get('out')) writeFileSync(args.get('out')!, JSON.stringify({ ...result, questions: report }, null, 2) + '\n');
  console.log(JSON.stringify(result));
}
