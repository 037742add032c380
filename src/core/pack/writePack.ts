/**
 * Writes a Datanet pack (format: docs/PACK-FORMAT.md). Pure and deterministic: the same contents and
 * `now` give the same bytes, whatever order the records come in.
 */
import { zipSync, type Zippable } from 'fflate';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { TributaryError } from '../errors.ts';
import { sha256Hex, sha256Text } from '../hash.ts';
import { normalizeForHash } from '../normalize.ts';
import type { Passage, Contribution, Datanet, DatanetVersion, Hex, Validation } from '../types.ts';
import {
  PACK_FILES,
  PACK_FORMAT,
  PACK_FORMAT_VERSION,
  type PackContents,
  type PackDatanet,
  type PackDatanetFile,
  type PackFileEntry,
  type PackManifest,
} from './types.ts';

export interface WrittenPack {
  /** The zip archive. */
  bytes: Uint8Array;
  /** SHA-256 of `manifest.json`'s bytes: the pack's identity. */
  manifestHash: Hex;
  /** `<datanet-slug>-v<version>-<first 8 hex of manifestHash>.tributary.zip` */
  fileName: string;
  /** Every file of the pack by path, `manifest.json` included, for hosting it as a plain folder. */
  files: Map<string, Uint8Array>;
}

const cmp = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0);

// Records are rebuilt field by field, so key order (and thus the bytes) never depends on where the
// objects came from, and no stray field leaks into a pack.

export function packDatanetRecord(d: Datanet): PackDatanet {
  return {
    id: d.id,
    name: d.name,
    summary: d.summary,
    descriptionMd: d.descriptionMd,
    tags: [...d.tags],
    dataType: d.dataType,
    licence: d.licence,
    owner: d.owner,
    rewardPolicy: { contributorsBps: d.rewardPolicy.contributorsBps, ownerBps: d.rewardPolicy.ownerBps },
    moderation: d.moderation,
    chunking: { unit: d.chunking.unit, size: d.chunking.size, overlap: d.chunking.overlap },
    createdAt: d.createdAt,
  };
}

export function packVersionRecord(v: DatanetVersion): DatanetVersion {
  return {
    datanetId: v.datanetId,
    version: v.version,
    merkleRoot: v.merkleRoot,
    contributionIds: [...v.contributionIds],
    addedIds: [...v.addedIds],
    createdAt: v.createdAt,
  };
}

export function packContributionRecord(c: Contribution): Contribution {
  const r: Contribution = {
    id: c.id,
    datanetId: c.datanetId,
    contributor: c.contributor,
    title: c.title,
    mediaType: c.mediaType,
    textHash: c.textHash,
    chunksHash: c.chunksHash,
    chunkCount: c.chunkCount,
    createdAt: c.createdAt,
    signature: c.signature,
    sourceBytes: c.sourceBytes,
    status: c.status,
    minhash: [...c.minhash],
  };
  if (c.decidedAt !== undefined) r.decidedAt = c.decidedAt;
  if (c.acceptedInVersion !== undefined) r.acceptedInVersion = c.acceptedInVersion;
  return r;
}

export function packPassageRecord(c: Passage): Passage {
  return {
    hash: c.hash,
    dedupeHash: c.dedupeHash,
    contributionId: c.contributionId,
    datanetId: c.datanetId,
    index: c.index,
    text: c.text,
    start: c.start,
    end: c.end,
  };
}

export function packValidationRecord(v: Validation): Validation {
  return {
    id: v.id,
    datanetId: v.datanetId,
    contributionId: v.contributionId,
    validator: v.validator,
    verdict: v.verdict,
    reason: v.reason,
    createdAt: v.createdAt,
    signature: v.signature,
    weight: v.weight,
    role: v.role,
  };
}

const json = (value: unknown): Uint8Array => utf8ToBytes(`${JSON.stringify(value, null, 2)}\n`);
const jsonl = (values: readonly unknown[]): Uint8Array => utf8ToBytes(values.map((v) => `${JSON.stringify(v)}\n`).join(''));

/** The canonical bytes of a manifest: `JSON.stringify(manifest, null, 2)` + `\n`, keys in spec order. */
export function encodeManifest(m: PackManifest): Uint8Array {
  const canonical: PackManifest = {
    format: m.format,
    formatVersion: m.formatVersion,
    datanetId: m.datanetId,
    name: m.name,
    version: m.version,
    merkleRoot: m.merkleRoot,
    licence: m.licence,
    createdAt: m.createdAt,
    tokenizer: m.tokenizer,
    embeddingModel: m.embeddingModel,
    files: m.files.map((f) => ({ path: f.path, bytes: f.bytes, sha256: f.sha256 })),
  };
  return json(canonical);
}

/** Lists files (all but manifest.json) as manifest entries, sorted by path. */
export function manifestEntries(files: ReadonlyMap<string, Uint8Array>): PackFileEntry[] {
  return [...files.entries()]
    .filter(([path]) => path !== PACK_FILES.manifest)
    .sort(([a], [b]) => cmp(a, b))
    .map(([path, bytes]) => ({ path, bytes: bytes.length, sha256: sha256Hex(bytes) }));
}

/**
 * DOS timestamp for zip entries. fflate reads a Date's local-time fields, so we hand it a Date whose
 * local fields equal the UTC time of `now`: the archive bytes then do not depend on the time zone.
 */
function zipTime(now: number): Date {
  const u = new Date(now);
  const year = Math.min(Math.max(u.getUTCFullYear(), 1980), 2099);
  const local = new Date(year, u.getUTCMonth(), u.getUTCDate(), u.getUTCHours(), u.getUTCMinutes(), u.getUTCSeconds());
  // A local DST gap could shift the hour; noon of that day always exists.
  if (local.getHours() !== u.getUTCHours() || local.getFullYear() !== year) return new Date(year, u.getUTCMonth(), u.getUTCDate(), 12, 0, 0);
  return local;
}

/** Zips pack files: manifest.json first, then the rest sorted by path; JSON deflated, deterministic. */
export function zipPack(files: ReadonlyMap<string, Uint8Array>, now: number): Uint8Array {
  const mtime = zipTime(now);
  const entries: Zippable = {};
  const paths = [...files.keys()].sort((a, b) => (a === PACK_FILES.manifest ? -1 : b === PACK_FILES.manifest ? 1 : cmp(a, b)));
  for (const path of paths) entries[path] = [files.get(path)!, { level: 6, mtime }];
  return zipSync(entries, { level: 6, mtime });
}

/** File-name-safe short form of a Datanet name: lower-case ASCII letters, digits and dashes. */
export function datanetSlug(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return slug || 'datanet';
}

export function packFileName(name: string, version: number, manifestHash: Hex): string {
  return `${datanetSlug(name)}-v${version}-${manifestHash.slice(2, 10)}.tributary.zip`;
}

function refuse(message: string, subject?: string): never {
  throw new TributaryError('pack/corrupt', `Cannot export this pack: ${message}`, subject);
}

/** Cheap consistency checks, so a pack we write is one we can read back (signatures and chunksHash are not re-checked). */
function checkContents(c: PackContents, now: number): void {
  if (!Number.isSafeInteger(now) || now < 0) throw new RangeError(`now must be a Unix time in milliseconds (got ${now})`);
  const id = c.datanet.id;
  if (c.version.datanetId !== id) refuse(`version ${c.version.version} belongs to Datanet ${c.version.datanetId}, not ${id}.`);
  if (c.contributions.length === 0) refuse('the version has no contributions; accept at least one first.');
  const ids = new Set<string>();
  for (const k of c.contributions) {
    if (k.status !== 'accepted') refuse(`contribution "${k.title}" is ${k.status}; a pack holds accepted contributions only.`, k.id);
    if (k.datanetId !== id) refuse(`contribution "${k.title}" belongs to another Datanet.`, k.id);
    if (ids.has(k.id)) refuse('a contribution appears twice.', k.id);
    ids.add(k.id);
  }
  const listed = new Set<string>(c.version.contributionIds);
  if (listed.size !== ids.size || [...ids].some((k) => !listed.has(k))) {
    refuse(`the contributions given are not exactly those of version ${c.version.version}.`);
  }
  for (const ch of c.chunks) {
    if (!ids.has(ch.contributionId)) refuse('a passage belongs to a contribution that is not in this version.', ch.contributionId);
    if (ch.hash !== sha256Text(ch.text)) refuse(`passage ${ch.index} does not match its hash (the SHA-256 of its exact text).`, ch.contributionId);
    if (ch.dedupeHash !== sha256Text(normalizeForHash(ch.text))) refuse(`passage ${ch.index} does not match its dedupeHash.`, ch.contributionId);
  }
  for (const v of c.validations) {
    if (!ids.has(v.contributionId)) refuse('a validation concerns a contribution that is not in this version.', v.id);
  }
}

/**
 * Writes a pack of one Datanet version.
 *
 * Record order in the pack: contributions by id; chunks by contribution id, then index; validations by
 * contribution id, then createdAt, then id. Contributions keep all their fields (status is always
 * `accepted`); the Datanet loses its local `origin` and `currentVersion`.
 *
 * @throws TributaryError `pack/corrupt` when the contents are inconsistent (a non-accepted or foreign
 *   contribution, contributions not matching the version, orphan passages or validations, a passage
 *   whose `hash` or `dedupeHash` does not match its text).
 */
export function writePack(c: PackContents, now: number, opts: { indexes?: ReadonlyMap<string, Uint8Array> } = {}): WrittenPack {
  checkContents(c, now);
  for (const name of opts.indexes?.keys() ?? []) {
    if (!/^indexes\/[a-z0-9][a-z0-9._-]{0,127}$/.test(name)) refuse(`"${name}" is not an index path (indexes/<name>, lower-case letters, digits, . _ -).`);
  }

  const datanetFile: PackDatanetFile = { datanet: packDatanetRecord(c.datanet), signature: c.datanetSignature, versionSignature: c.versionSignature };
  const contributions = [...c.contributions].sort((a, b) => cmp(a.id, b.id)).map(packContributionRecord);
  const chunks = [...c.chunks].sort((a, b) => cmp(a.contributionId, b.contributionId) || a.index - b.index).map(packPassageRecord);
  const validations = [...c.validations]
    .sort((a, b) => cmp(a.contributionId, b.contributionId) || a.createdAt - b.createdAt || cmp(a.id, b.id))
    .map(packValidationRecord);

  const files = new Map<string, Uint8Array>([
    [PACK_FILES.datanet, json(datanetFile)],
    [PACK_FILES.version, json(packVersionRecord(c.version))],
    [PACK_FILES.contributions, jsonl(contributions)],
    [PACK_FILES.chunks, jsonl(chunks)],
    [PACK_FILES.validations, jsonl(validations)],
    // prebuilt search indexes (src/attribution/indexFiles.ts): listed and hashed in the manifest like every file
    ...(opts.indexes ?? new Map<string, Uint8Array>()),
  ]);

  const manifest: PackManifest = {
    format: PACK_FORMAT,
    formatVersion: PACK_FORMAT_VERSION,
    datanetId: c.datanet.id,
    name: c.datanet.name,
    version: c.version.version,
    merkleRoot: c.version.merkleRoot,
    licence: c.datanet.licence,
    createdAt: now,
    tokenizer: null,
    embeddingModel: null,
    files: manifestEntries(files),
  };
  const manifestBytes = encodeManifest(manifest);
  const manifestHash = sha256Hex(manifestBytes);
  const all = new Map<string, Uint8Array>([[PACK_FILES.manifest, manifestBytes], ...[...files.entries()].sort(([a], [b]) => cmp(a, b))]);

  return {
    bytes: zipPack(all, now),
    manifestHash,
    fileName: packFileName(c.datanet.name, c.version.version, manifestHash),
    files: all,
  };
}
