/**
 * `npm run cli -- attribute (--pack <zip|folder> | --datanet <data.jsonl>)… --prompt "<text>" [--answer "<text>"]
 *   [--base <model dir>] [--encoder <dir or url>] [--out record.json] [--no-embed]`
 *
 * Attributes an answer (given, or generated greedily by the model) to the Datanets' contributions and prints the
 * credits; `--out` writes the attribution record file (canonical JSON + hash, with the prompt and answer beside it
 * so `verify-record` can recompute it).
 */
import { writeFileSync } from 'node:fs';
import { attributeAnswer } from '../../src/attribution/attribute.ts';
import { attributionRecordHash } from '../../src/core/attribution/record.ts';
import { recordFileToJson } from '../../src/core/attribution/recordFile.ts';
import { parseArgs } from './_args.ts';
import { DEMO_MODEL_DIR, loadModelDir } from './_model.ts';
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
  const answer = args.get('answer') ?? (await model.answer(prompt));
  const r = await attributeAnswer({ prompt, answer, model: { id: model.id, hash: model.hash }, adapter: null, indexes, encoder });
  const hash = attributionRecordHash(r.record);
  console.log(`answer: ${answer}`);
  for (const c of r.record.credits) console.log(`  ${(c.weightPpm / 1e4).toFixed(2).padStart(6)} %  ${nameOf.get(c.contributionId) ?? c.contributionId}  ${c.evidence.spans.map((s) => `"${s.text}"`).join(', ')}`);
  console.log(`  ${(r.record.unattributedPpm / 1e4).toFixed(2).padStart(6)} %  unattributed`);
  console.log(`record ${hash}`);
  const out = args.get('out');
  if (out) {
    writeFileSync(out, recordFileToJson({ record: r.record, prompt, answer, inputs: { ...inputs, base: baseDir, embed: encoder !== null, ...(args.get('encoder') ? { encoder: args.get('encoder') } : {}) } }) + '\n');
    log(`wrote ${out}`);
  }
}
