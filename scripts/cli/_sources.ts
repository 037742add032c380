/**
 * Where the CLI's Datanets come from: `--pack <file.zip | folder>` (verified like an import; prebuilt indexes used
 * when they match, refused when they do not) and `--datanet <data.jsonl>` (evaluation data lines). Indexes are
 * built with the given encoder (the model's own) and progress on stderr.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readPackArchive, readPackFolder } from '../../src/core/pack/readPack.ts';
import type { VerifiedPack } from '../../src/core/pack/types.ts';
import type { Hex } from '../../src/core/types.ts';
import { sha256Text } from '../../src/core/hash.ts';
import { buildDatanetIndex, type DatanetIndex } from '../../src/attribution/datanetIndex.ts';
import type { PassageEncoder } from '../../src/attribution/encoder.ts';
import { parseDataJsonl, sourceFromDataLines } from '../../src/attribution/jsonlSource.ts';
import { loadPackIndex, verifyPackIndexes } from '../../src/attribution/packIndexes.ts';

export async function readPackPath(path: string): Promise<VerifiedPack> {
  if (!existsSync(path)) throw Object.assign(new Error(`no pack at ${path}`), { code: 'pack/missing-file' });
  const pack = statSync(path).isDirectory() ? await readPackFolder(async (p) => new Uint8Array(readFileSync(join(path, p)))) : await readPackArchive(new Uint8Array(readFileSync(path)));
  verifyPackIndexes(pack);
  return pack;
}

export function jsonlDatanetId(file: string): string {
  return `dn-${sha256Text(readFileSync(file, 'utf8')).slice(2, 18)}`;
}

export interface CliIndexes {
  indexes: DatanetIndex[];
  /** readable names of contributions (data line ids, or pack titles) */
  nameOf: Map<Hex, string>;
  inputs: { packs: string[]; datanets: string[] };
}

export async function indexesFor(packs: string[], datanets: string[], encoder: PassageEncoder | null, log: (s: string) => void): Promise<CliIndexes> {
  if (packs.length + datanets.length === 0) throw Object.assign(new Error('name at least one --pack <file.zip|folder> or --datanet <data.jsonl>'), { code: 'cli/usage' });
  const indexes: DatanetIndex[] = [];
  const nameOf = new Map<Hex, string>();
  const progress = (what: string) => (phase: string, done: number, total: number) => done === total && log(`${what}: ${phase} ready (${total})`);
  for (const path of packs) {
    const pack = await readPackPath(path);
    const loaded = await loadPackIndex(pack, { ...(encoder ? { encoder } : {}), onProgress: progress(pack.datanet.name) });
    log(`${pack.datanet.name} v${pack.version.version}: suffix array from ${loaded.spans}, embeddings from ${loaded.embeddings}`);
    for (const c of pack.contributions) nameOf.set(c.id.toLowerCase() as Hex, c.title);
    indexes.push(loaded.index);
  }
  for (const file of datanets) {
    const { source, idOf } = sourceFromDataLines(parseDataJsonl(readFileSync(file, 'utf8'), file), jsonlDatanetId(file));
    for (const [id, name] of idOf) nameOf.set(id, name);
    indexes.push(await buildDatanetIndex(source, { ...(encoder ? { encoder } : {}), onProgress: progress(file) }));
  }
  // the embedding scans' threads (every core, for indexes large enough: src/attribution/vectorTopK.ts) start before
  // the first query
  for (const ix of indexes) {
    const search = ix.embeddings?.search;
    if (!search) continue;
    const threads = await search.ready;
    log(`${ix.datanetId}: exact top-k on ${threads > 1 ? `${threads} threads` : `one thread (${search.threadsOff ?? 'one asked for'})`}`);
  }
  return { indexes, nameOf, inputs: { packs, datanets } };
}
