/**
 * `npm run cli -- verify-record <record.json> [--pack …] [--datanet …] [--base <model dir>] [--encoder <dir or url>] [--prompt …] [--answer …]`
 *
 * Recomputes an attribution record from the same model and Datanets (by default the inputs the record file names)
 * and says whether it matches, credit by credit. Exit status 1 when it does not.
 */
import { readFileSync } from 'node:fs';
import { attributeAnswer } from '../../src/attribution/attribute.ts';
import { attributionRecordHash } from '../../src/core/attribution/record.ts';
import { recordFromJson } from '../../src/core/attribution/recordJson.ts';
import { sha256Text } from '../../src/core/hash.ts';
import { parseArgs } from './_args.ts';
import { DEMO_MODEL_DIR, loadModelDir } from './_model.ts';
import { indexesFor } from './_sources.ts';
import { onnxEncoderArg } from './_encoder.ts';

export const summary = 'recompute an attribution record from the same model and packs and say whether it matches';

export async function run(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const path = args.positional[0];
  if (!path) throw Object.assign(new Error('usage: verify-record <record.json> [--pack …] [--datanet …] [--base <dir>]'), { code: 'cli/usage' });
  const text = readFileSync(path, 'utf8');
  const { record, hash } = recordFromJson(text);
  const extra = JSON.parse(text) as { prompt?: string; answer?: string; inputs?: { packs?: string[]; datanets?: string[]; base?: string; embed?: boolean; encoder?: string } };
  const prompt = args.get('prompt') ?? extra.prompt;
  const answer = args.get('answer') ?? extra.answer;
  if (prompt === undefined || answer === undefined) throw Object.assign(new Error('the record file holds only hashes of the prompt and answer: give them with --prompt and --answer'), { code: 'cli/usage' });
  const fail = (why: string): never => {
    console.log(`MISMATCH: ${why}`);
    process.exit(1);
  };
  if (sha256Text(prompt) !== record.promptHash) fail('the prompt given is not the one the record was made for (promptHash differs)');
  if (sha256Text(answer) !== record.answerHash) fail('the answer given is not the one the record was made for (answerHash differs)');
  if (record.methods.some((m) => m.method === 'influence')) fail('the record uses gradient influence, which needs the adapter\'s trainer and training log; verify-record recomputes spans, BM25 and embeddings only');
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  const model = await loadModelDir(args.get('base') ?? extra.inputs?.base ?? DEMO_MODEL_DIR);
  if (model.hash !== record.model.hash) fail(`the model's weights hash to ${model.hash}, the record names ${record.model.hash}`);
  const packs = args.all('pack').length + args.all('datanet').length > 0 ? args.all('pack') : (extra.inputs?.packs ?? []);
  const datanets = args.all('pack').length + args.all('datanet').length > 0 ? args.all('datanet') : (extra.inputs?.datanets ?? []);
  const embed = record.methods.some((m) => m.method === 'embedding');
  // the ONNX encoder the record was made with (--encoder, else the one its file names), else the model's own
  const onnx = embed ? await onnxEncoderArg(args.get('encoder') || !extra.inputs?.encoder ? args : parseArgs(['--encoder', extra.inputs.encoder])) : null;
  const encoder = embed ? (onnx ?? model.encoder) : null;
  const { indexes } = await indexesFor(packs, datanets, encoder, log);
  for (const d of record.datanets) {
    const ix = indexes.find((i) => i.datanetId === d.datanetId);
    if (!ix) fail(`Datanet ${d.datanetId} v${d.version} is not among the inputs`);
    if (ix!.version !== d.version || ix!.merkleRoot !== d.merkleRoot) fail(`Datanet ${d.datanetId} is at v${ix!.version} (root ${ix!.merkleRoot}) here, the record names v${d.version} (root ${d.merkleRoot})`);
  }
  const again = await attributeAnswer({ prompt, answer, model: { id: model.id, hash: model.hash }, adapter: record.adapter, indexes: indexes.filter((i) => record.datanets.some((d) => d.datanetId === i.datanetId)), encoder });
  const got = attributionRecordHash(again.record);
  if (got !== hash) {
    const want = new Map(record.credits.map((c) => [c.contributionId, c.weightPpm]));
    const diffs = again.record.credits.filter((c) => want.get(c.contributionId) !== c.weightPpm).map((c) => `${c.contributionId.slice(0, 10)}… ${want.get(c.contributionId) ?? 0} → ${c.weightPpm} ppm`);
    fail(`recomputed hash ${got} ≠ ${hash}${diffs.length ? `; credits differ: ${diffs.join('; ')}` : ' (evidence differs)'}`);
  }
  console.log(`match: ${hash} (${record.credits.length} credits, ${(record.unattributedPpm / 1e4).toFixed(2)} % unattributed)`);
}
