/**
 * `npm run cli -- attribute (--pack <zip|folder> | --datanet <data.jsonl>)… --prompt "<text>" [--answer "<text>"]
 *   [--base <model dir>] [--adapter <adapter dir> [--influence tracin|damped-inverse]] [--encoder <dir or url>]
 *   [--out record.json] [--no-embed]`
 *
 * Attributes an answer (given, or generated greedily by the model, with the adapter when one is given) to the
 * Datanets' contributions and prints the credits; `--out` writes the attribution record file (canonical JSON + hash,
 * with the prompt and answer beside it so `verify-record` can recompute it). An adapter folder with its training log
 * adds gradient influence (TracIn by default), computed as the app computes it.
 */
import { writeFileSync } from 'node:fs';
import { INFLUENCE_KINDS, type InfluenceKind } from '../../src/attribution/influenceFromLog.ts';
import { parsePeftAdapter } from '../../src/engine/lora/peft.ts';
import { influenceInputsOfDir, influenceOfAdapterDir } from './_adapter.ts';
import { attributeAnswer } from '../../src/attribution/attribute.ts';
import { attributionRecordHash } from '../../src/core/attribution/record.ts';
import { recordFileToJson } from '../../src/core/attribution/recordFile.ts';
import { parseArgs } from './_args.ts';
import { adapterRefOfDir, DEMO_MODEL_DIR, loadModelDir } from './_model.ts';
import { indexesFor } from './_sources.ts';
import { onnxEncoderArg } from './_encoder.ts';

export const summary = 'attribute an answer to Datanet contributions and write its attribution record';

export async function run(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  const prompt = args.need('prompt', 'text');
  const baseDir = args.get('base') ?? DEMO_MODEL_DIR;
  const model = await loadModelDir(baseDir);
  const encoder = args.has('no-embed') ? null : ((await onnxEncoderArg(args)) ?? model.encoder);
  const { indexes, nameOf, inputs } = await indexesFor(args.all('pack'), args.all('datanet'), encoder, log);
  const adapterDir = args.get('adapter');
  const kind = (args.get('influence') ?? 'tracin') as InfluenceKind;
  if (!INFLUENCE_KINDS.includes(kind)) throw Object.assign(new Error(`--influence must be ${INFLUENCE_KINDS.join(' or ')} (got "${kind}")`), { code: 'cli/usage' });
  const adapter = adapterDir ? adapterRefOfDir(adapterDir) : null;
  let answer = args.get('answer');
  if (answer === undefined) {
    // the answer of the adapter (loaded into slot 0) when one is given
    const files = adapterDir ? influenceInputsOfDir(adapterDir, model).adapter : null;
    const weights = files ? parsePeftAdapter(files, model.config).weights : null;
    const answering = adapter && weights ? await loadModelDir(baseDir, { adapter: { ...adapter, weights, rank: weights.rank } }) : model;
    answer = await answering.answer(prompt);
  }
  const inf = adapterDir ? await influenceOfAdapterDir(adapterDir, model, prompt, answer, kind) : null;
  if (inf && !inf.evidence) log(`no gradient influence: ${inf.reason}`);
  const r = await attributeAnswer({ prompt, answer, model: { id: model.id, hash: model.hash }, adapter, indexes, encoder, influence: inf?.evidence ?? null });
  const hash = attributionRecordHash(r.record);
  console.log(`answer: ${answer}`);
  for (const c of r.record.credits) console.log(`  ${(c.weightPpm / 1e4).toFixed(2).padStart(6)} %  ${nameOf.get(c.contributionId) ?? c.contributionId}  ${c.evidence.spans.map((s) => `"${s.text}"`).join(', ')}`);
  console.log(`  ${(r.record.unattributedPpm / 1e4).toFixed(2).padStart(6)} %  unattributed`);
  console.log(`record ${hash}`);
  const out = args.get('out');
  if (out) {
    writeFileSync(out, recordFileToJson({ record: r.record, prompt, answer, inputs: { ...inputs, base: baseDir, embed: encoder !== null, ...(args.get('encoder') ? { encoder: args.get('encoder') } : {}), ...(adapterDir ? { adapter: adapterDir } : {}) } }) + '\n');
    log(`wrote ${out}`);
  }
}
