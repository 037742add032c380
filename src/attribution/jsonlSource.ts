/**
 * A Datanet version from evaluation data lines `{"id","contributor","text"}` (the `eval-attribution` format):
 * one contribution per line, one passage per contribution. Contribution ids are derived
 * (`sha256Text("tributary-eval:" + datanetId + ":" + id)`), and the line ids kept beside them for reports.
 * The Merkle root is over the derived ids (it names this exact set; no signatures are involved).
 */
import { TributaryError } from '../core/errors.ts';
import { sha256Text } from '../core/hash.ts';
import type { Address, Hex } from '../core/types.ts';
import type { DatanetSource } from './datanetIndex.ts';

export interface DataLine {
  id: string;
  contributor: string;
  text: string;
}

export function parseDataJsonl(text: string, file = 'data.jsonl'): DataLine[] {
  const out: DataLine[] = [];
  const ids = new Set<string>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new TributaryError('file/bad-jsonl', `line ${i + 1} is not JSON.`, file);
    }
    const o = v as Partial<DataLine>;
    if (typeof o.id !== 'string' || o.id === '' || typeof o.contributor !== 'string' || typeof o.text !== 'string' || o.text.trim() === '') {
      throw new TributaryError('file/bad-jsonl', `line ${i + 1} needs "id", "contributor" and a non-empty "text".`, file);
    }
    if (ids.has(o.id)) throw new TributaryError('file/bad-jsonl', `line ${i + 1}: id "${o.id}" appears twice.`, file);
    ids.add(o.id);
    out.push({ id: o.id, contributor: o.contributor, text: o.text });
  });
  if (out.length === 0) throw new TributaryError('file/bad-jsonl', 'there are no data lines.', file);
  return out;
}

/** A contributor field that is not an address gets a stable pseudo-address derived from it. */
export function contributorAddress(c: string): Address {
  return /^0x[0-9a-fA-F]{40}$/.test(c) ? (c.toLowerCase() as Address) : (`0x${sha256Text(`tributary-eval-contributor:${c}`).slice(26)}` as Address);
}

export function evalContributionId(datanetId: string, id: string): Hex {
  return sha256Text(`tributary-eval:${datanetId}:${id}`);
}

export function sourceFromDataLines(lines: readonly DataLine[], datanetId: string, version = 1): { source: DatanetSource; idOf: Map<Hex, string> } {
  const idOf = new Map<Hex, string>();
  const contributions = lines.map((l) => {
    const id = evalContributionId(datanetId, l.id);
    idOf.set(id, l.id);
    return { id, contributor: contributorAddress(l.contributor) };
  });
  const merkleRoot = sha256Text(contributions.map((c) => c.id).sort().join(','));
  return {
    source: { datanetId, version, merkleRoot, contributions, passages: lines.map((l, k) => ({ contributionId: contributions[k]!.id, index: 0, text: l.text })) },
    idOf,
  };
}
