/**
 * `npm run cli -- index --pack <file.zip|folder> [--out <pack-with-indexes.zip>] [--base <model dir>] [--encoder <dir or url>] [--no-embed]`
 *
 * Builds a pack's attribution indexes (suffix array over its words; passage vectors made by the model's own hidden
 * states, or by the ONNX sentence encoder of --encoder, unless --no-embed) with progress, prints their sizes, and with --out writes the same pack with the indexes
 * under `indexes/` (same signed content; the manifest lists and hashes the index files).
 */
import { writeFileSync } from 'node:fs';
import { writePack } from '../../src/core/pack/writePack.ts';
import { buildIndexFiles, sourceFromPack } from '../../src/attribution/packIndexes.ts';
import { parseArgs } from './_args.ts';
import { DEMO_MODEL_DIR, loadModelDir } from './_model.ts';
import { readPackPath } from './_sources.ts';
import { onnxEncoderArg } from './_encoder.ts';

export const summary = 'build a pack\'s attribution indexes (suffix array, embeddings) and write them into the pack';

export async function run(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const pack = await readPackPath(args.need('pack', 'file.zip|folder'));
  const encoder = args.has('no-embed') ? undefined : ((await onnxEncoderArg(args)) ?? (await loadModelDir(args.get('base') ?? DEMO_MODEL_DIR)).encoder);
  const t0 = performance.now();
  const files = await buildIndexFiles(sourceFromPack(pack), { ...(encoder ? { encoder } : {}), onProgress: (phase, done, total) => process.stderr.write(`\r${phase} ${done}/${total}   ${done === total ? '\n' : ''}`) });
  const ms = performance.now() - t0;
  const words = pack.chunks.reduce((n, c) => n + (c.text.match(/[\p{L}\p{N}]+/gu)?.length ?? 0), 0);
  for (const [path, bytes] of files) console.log(`${path}: ${bytes.length} bytes${path.endsWith('.sa') ? ` (${(bytes.length / Math.max(1, words)).toFixed(2)} bytes per word, header included)` : ''}`);
  console.log(`built in ${ms.toFixed(0)} ms for ${pack.chunks.length} passages, ${words} words`);
  const out = args.get('out');
  if (out) {
    const w = writePack(pack, pack.manifest.createdAt, { indexes: files });
    writeFileSync(out, w.bytes);
    console.log(`wrote ${out} (${w.bytes.length} bytes, manifest ${w.manifestHash})`);
  }
}
