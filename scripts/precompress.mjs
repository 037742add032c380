// Precompression of the built app: writes `<file>.br` (brotli) and `<file>.gz` (gzip) beside every compressible
// file of dist/, so scripts/serve.mjs can send the smaller one without compressing per request. Node's zlib only.
// Run by the build (the `tributary:precompress` plugin in vite.config.ts), after the service worker is written.
import { constants, brotliCompress, gzip } from 'node:zlib';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { promisify } from 'node:util';

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/** Text-like files worth compressing (model weights, zips and images are compressed already or barely shrink). */
export const COMPRESSIBLE_EXTENSIONS = new Set(['.js', '.mjs', '.css', '.html', '.json', '.svg', '.webmanifest', '.wasm', '.txt', '.wgsl', '.jsonl', '.md']);

/** Files smaller than this are sent as they are: the saving would not pay for the header. */
export const MIN_BYTES = 1024;

/** A compressed copy is kept only when it is at most this fraction of the original. */
export const MAX_RATIO = 0.9;

/** Whether `path` is a file the build precompresses. */
export function isCompressible(path) {
  return COMPRESSIBLE_EXTENSIONS.has(extname(path).toLowerCase());
}

/**
 * The brotli and gzip encodings of `body`. Brotli at its best quality (11) up to 1 MB, 9 above (quality 11 runs at
 * about 1 MB/s: on pdf.js or the 6 MB WebLLM chunk, both optional, it would add many seconds to every build for a few
 * per cent); gzip at level 9.
 * @param {Buffer} body
 * @param {string} path the file's name (text or binary mode for brotli)
 * @returns {Promise<{ br: Buffer; gzip: Buffer }>}
 */
export async function compressBody(body, path) {
  const text = extname(path).toLowerCase() !== '.wasm';
  const [br, gzipped] = await Promise.all([
    brotli(body, {
      params: {
        [constants.BROTLI_PARAM_MODE]: text ? constants.BROTLI_MODE_TEXT : constants.BROTLI_MODE_GENERIC,
        [constants.BROTLI_PARAM_QUALITY]: body.length > 1024 * 1024 ? 9 : constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }),
    gz(body, { level: 9 }),
  ]);
  return { br, gzip: gzipped };
}

async function* walk(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

/**
 * Writes `.br` and `.gz` beside each compressible file under `root` (stale ones from an earlier build are replaced;
 * one that would not save enough is removed). Returns what it did, per file.
 * @param {string} root
 * @returns {Promise<{ file: string; raw: number; br?: number; gzip?: number }[]>}
 */
export async function precompressDir(root) {
  const files = [];
  for await (const path of walk(root)) if (isCompressible(path)) files.push(path);
  const out = [];
  // a few at a time: brotli at quality 11 is CPU-bound and the build machine may be small
  const queue = [...files];
  const worker = async () => {
    for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
      const body = await readFile(path);
      const entry = { file: path, raw: body.length };
      if (body.length >= MIN_BYTES) {
        const { br, gzip: gzipped } = await compressBody(body, path);
        for (const [suffix, data, key] of /** @type {const} */ ([['.br', br, 'br'], ['.gz', gzipped, 'gzip']])) {
          if (data.length <= body.length * MAX_RATIO) {
            await writeFile(path + suffix, data);
            entry[key] = data.length;
          } else {
            await rm(path + suffix, { force: true });
          }
        }
      } else {
        await rm(path + '.br', { force: true });
        await rm(path + '.gz', { force: true });
      }
      out.push(entry);
    }
  };
  await Promise.all(Array.from({ length: 3 }, worker));
  return out.sort((a, b) => a.file.localeCompare(b.file));
}
