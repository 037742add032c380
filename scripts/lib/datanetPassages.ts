/**
 * Training passages from a Datanet: a pack (`.zip`, verified by the same importer as the app: only accepted
 * contributions are in a pack) or a JSON-lines file of `{"id", "contributor", "text"}` records (each chunked like a
 * Datanet with the default 500-character passages). Used by `npm run train:demo` and `npm run cli -- train`.
 */
import { readFileSync } from 'node:fs';
import { TributaryError } from '../../src/core/errors.ts';
import { readPackArchive } from '../../src/core/pack/readPack.ts';
import { prepareText } from '../../src/core/prepareText.ts';
import type { TrainPassage } from '../../src/engine/train/examples.ts';

export interface DatanetPassages {
  datanetId: string;
  name: string;
  owner: string | null;
  passages: TrainPassage[];
}

const headingOf = (text: string): string | undefined => /^#\s+(.+)$/m.exec(text)?.[1]?.trim();

export async function passagesFromPack(bytes: Uint8Array): Promise<DatanetPassages> {
  const pack = await readPackArchive(bytes);
  const accepted = new Set(pack.contributions.filter((c) => c.status === 'accepted').map((c) => c.id));
  const titles = new Map<string, string>();
  for (const ch of pack.chunks) if (ch.index === 0) titles.set(ch.contributionId, headingOf(ch.text) ?? pack.contributions.find((c) => c.id === ch.contributionId)?.title ?? '');
  const passages = pack.chunks
    .filter((c) => accepted.has(c.contributionId))
    .sort((a, b) => (a.contributionId === b.contributionId ? a.index - b.index : a.contributionId < b.contributionId ? -1 : 1))
    .map((c) => ({ text: c.text, contributionId: c.contributionId, passageIndex: c.index, datanetId: pack.datanet.id, title: titles.get(c.contributionId) || undefined }));
  return { datanetId: pack.datanet.id, name: pack.datanet.name, owner: pack.datanet.owner, passages };
}

export function passagesFromJsonl(text: string, name: string): DatanetPassages {
  const passages: TrainPassage[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    let rec: { id?: unknown; contributor?: unknown; text?: unknown };
    try {
      rec = JSON.parse(line) as typeof rec;
    } catch (e) {
      throw new TributaryError('file/bad-jsonl', `line ${i + 1} is not JSON (${(e as Error).message}).`, name);
    }
    if (typeof rec.id !== 'string' || typeof rec.text !== 'string' || !rec.text.trim()) throw new TributaryError('file/bad-jsonl', `line ${i + 1} needs "id" and a non-empty "text".`, name);
    const title = headingOf(rec.text);
    for (const c of prepareText(rec.text, { unit: 'chars', size: 500, overlap: 50 }).chunks) passages.push({ text: c.text, contributionId: rec.id, passageIndex: c.index, datanetId: name, title });
  });
  return { datanetId: name, name, owner: null, passages };
}

export async function loadDatanetPassages(path: string): Promise<DatanetPassages> {
  const bytes = new Uint8Array(readFileSync(path));
  if (path.endsWith('.jsonl') || path.endsWith('.json')) return passagesFromJsonl(new TextDecoder().decode(bytes), path.replace(/^.*\//, '').replace(/\.jsonl?$/, ''));
  return passagesFromPack(bytes);
}
