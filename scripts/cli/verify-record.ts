/**
 * `npm run cli -- verify-record <record.json> [--pack <zip|folder>]… [--datanet <data.jsonl>]… [--base <model dir>]
 *   [--adapter <adapter dir>] [--encoder <dir or url>] [--prompt …] [--answer …]`
 *
 * Recomputes an attribution record file (the app's "Export record", or `attribute --out`) from the same model, adapter
 * and Datanets (by default the inputs the file names) and says whether it matches; when it does not, each line names
 * what differs (src/attribution/verifyRecord.ts, docs/ATTRIBUTION.md "Verifying a record"). Exit status 1 on a mismatch.
 * A record with gradient influence needs `--adapter` to be the adapter's PEFT folder with its training log
 * (`training_log.json`, `training_log.safetensors`, as ModelFactory and `npm run cli -- train --out` export it).
 */
import { readFileSync } from 'node:fs';
import { influenceInputsOfDir } from './_adapter.ts';
import { recordFileFromJson } from '../../src/core/attribution/recordFile.ts';
import { verifyAttributionRecord, type Verification } from '../../src/attribution/verifyRecord.ts';
import { parseArgs } from './_args.ts';
import { adapterRefOfDir, DEMO_MODEL_DIR, loadModelDir } from './_model.ts';
import { indexesFor } from './_sources.ts';
import { onnxEncoderArg } from './_encoder.ts';

export const summary = 'recompute an attribution record from the same model, adapter and packs and say whether it matches';

/** Verifies a record file's text; prints nothing (the CLI and the tests share it). */
export async function verifyRecordFile(text: string, argv: string[] = [], log: (s: string) => void = () => undefined): Promise<Verification> {
  const args = parseArgs(argv);
  const file = recordFileFromJson(text);
  const prompt = args.get('prompt') ?? file.prompt;
  const answer = args.get('answer') ?? file.answer;
  if (prompt === undefined || answer === undefined) throw Object.assign(new Error('the record file holds only hashes of the prompt and answer: give them with --prompt and --answer'), { code: 'cli/usage' });
  const named = args.all('pack').length + args.all('datanet').length > 0;
  const packs = named ? args.all('pack') : (file.inputs?.packs ?? []);
  const datanets = named ? args.all('datanet') : (file.inputs?.datanets ?? []);
  const model = await loadModelDir(args.get('base') ?? file.inputs?.base ?? DEMO_MODEL_DIR);
  const adapterDir = args.get('adapter') ?? file.inputs?.adapter;
  if (file.record.adapter && !adapterDir) throw Object.assign(new Error(`the record names adapter ${file.record.adapter.id}: give its folder with --adapter <dir>`), { code: 'cli/usage' });
  const adapter = adapterDir ? adapterRefOfDir(adapterDir) : null;
  const influence = adapterDir && file.record.methods.some((m) => m.method === 'influence') ? influenceInputsOfDir(adapterDir, model) : null;
  // the verifier embeds the passages itself (never a pack's prebuilt vectors): encoder null here
  const { indexes } = await indexesFor(packs, datanets, null, log);
  // the ONNX encoder the record was made with (--encoder, else the one its file names), else the model's own
  const named2 = args.get('encoder') ?? file.inputs?.encoder;
  const onnx = named2 ? await onnxEncoderArg(parseArgs(['--encoder', named2])) : null;
  return verifyAttributionRecord({ record: file.record, hash: file.hash, prompt, answer, ...(file.evidence ? { evidence: file.evidence } : {}), model: { id: model.id, hash: model.hash, encoder: onnx ?? model.encoder }, adapter, influence, indexes, log });
}

export async function run(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const path = args.positional[0];
  if (!path) throw Object.assign(new Error('usage: verify-record <record.json> [--pack …] [--datanet …] [--base <dir>] [--adapter <dir>]'), { code: 'cli/usage' });
  const v = await verifyRecordFile(readFileSync(path, 'utf8'), argv, (s) => void process.stderr.write(`${s}\n`));
  for (const n of v.notes) console.log(`  ${n}`);
  if (!v.match) {
    console.log(`MISMATCH: ${v.problems[0]}`);
    for (const p of v.problems.slice(1)) console.log(`  ${p}`);
    process.exitCode = 1;
    return;
  }
  const r = v.recomputed!;
  console.log(`match: ${v.recomputedHash} (${r.credits.length} credits, ${(r.unattributedPpm / 1e4).toFixed(2)} % unattributed)`);
}
