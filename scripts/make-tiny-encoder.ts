/**
 * `npx tsx scripts/make-tiny-encoder.ts [--out <dir>] [--hidden 32] [--seed 12]`
 *
 * Writes the project's own tiny ONNX sentence encoder (src/node/attribution/tinySentenceEncoder.ts: token embedding
 * Gather, one MatMul/Add/Tanh layer, mean pooling) with the demo model's tokenizer, deterministic for a seed, to try
 * the optional ONNX encoder offline: `npm run cli -- index --pack … --encoder <dir>`, or serve the folder and give its
 * URL in the app (Settings → Attribution encoder). Default folder: ./tiny-encoder.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTokenizer } from '../src/engine/tokenizer/index.ts';
import { tinyEncoderFolder } from '../src/node/attribution/tinySentenceEncoder.ts';
import { parseArgs } from './cli/_args.ts';

export const TINY_ENCODER_TOKENIZER = 'public/models/tributary-demo/tokenizer.json';

const args = parseArgs(process.argv.slice(2));
const out = args.get('out') ?? 'tiny-encoder';
const tokenizerJson = readFileSync(TINY_ENCODER_TOKENIZER, 'utf8');
const { files } = tinyEncoderFolder(tokenizerJson, loadTokenizer(tokenizerJson).vocabSize, { hidden: Number(args.get('hidden') ?? 32), seed: Number(args.get('seed') ?? 12) });
mkdirSync(out, { recursive: true });
for (const [name, bytes] of files) writeFileSync(join(out, name), bytes);
console.log(`wrote ${[...files].map(([n, b]) => `${n} (${b.length} bytes)`).join(', ')} to ${out}`);
