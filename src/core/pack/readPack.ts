/**
 * Reads and verifies a Datanet pack (format and verification order: docs/PACK-FORMAT.md).
 *
 * Nothing is returned unless everything checks out: archive sanity, manifest, every file's size and
 * SHA-256, every record's shape, chunk hashes, chunk lists, the version's Merkle root and every
 * signature. Every failure is a `TributaryError` with a `pack/*` code, the file (and line) at fault as
 * `subject`, and a message saying what is wrong. Pure: no storage, no DOM.
 */
import { isAddress } from 'viem';
import { TributaryError, isTributaryError, type ErrorCode } from '../errors.ts';
import { hashPassageList, sha256Hex, sha256Text } from '../hash.ts';
import { validateDatanetDraft } from '../datanet.ts';
import { versionMerkleRoot } from '../merkle.ts';
import { normalizeForHash } from '../normalize.ts';
import { contributionPayloadOf, hashContribution, hashValidation, validationPayloadOf, verifyContribution, verifyDatanet, verifyValidation, verifyVersion } from '../signing.ts';
import type { Address, Passage, Contribution, Datanet, DatanetVersion, Hex, Validation } from '../types.ts';
import {
  PACK_FILES,
  PACK_FORMAT,
  PACK_FORMAT_VERSION,
  PACK_LIMITS,
  type PackDatanet,
  type PackFileEntry,
  type PackManifest,
  type PackProgressCallback,
  type VerifiedPack,
} from './types.ts';
import { encodeManifest } from './writePack.ts';
import { ByteBudget, listZipEntries, readZipEntry, type ZipEntry } from '../zip/boundedZip.ts';

const DAMAGED = 'The pack is damaged or was altered after it was made: get a fresh copy from its source.';

/** Longest accepted strings (the 64 MiB total bounds everything else). */
const MAX = { title: 1024, mediaType: 255, reason: 10_000, splitPassages: 1_000_000, minhash: 1024 } as const;

const HASH_RE = /^0x[0-9a-f]{64}$/;
const SIGNATURE_RE = /^0x[0-9a-f]{130}$/;
const DATANET_ID_RE = /^dn-[0-9a-f]{16}$/;
const INDEX_PATH_RE = /^indexes\/[a-z0-9][a-z0-9._-]{0,127}$/;
const REQUIRED_FILES = [PACK_FILES.datanet, PACK_FILES.version, PACK_FILES.contributions, PACK_FILES.chunks, PACK_FILES.validations] as const;

function fail(code: ErrorCode, message: string, subject?: string): never {
  throw new TributaryError(code, message, subject);
}

/** True for a path a pack may list: one of its fixed files, or `indexes/<name>`. */
function isPackPath(path: string): boolean {
  return (REQUIRED_FILES as readonly string[]).includes(path) || INDEX_PATH_RE.test(path);
}

/** True for a zip entry name that cannot escape the folder it is extracted into. */
function isSafeEntryName(name: string): boolean {
  if (name.length === 0 || name.length > 255) return false;
  for (const ch of name) {
    const code = ch.charCodeAt(0);
    if (code < 0x20 || code === 0x7f || ch === '\\' || ch === ':') return false; // control chars, backslashes, drive letters
  }
  if (name.startsWith('/')) return false;
  const segments = name.replace(/\/$/, '').split('/');
  return segments.every((s) => s !== '' && s !== '.' && s !== '..');
}

// ---------------------------------------------------------------------------------------------------
// Archive

/**
 * Unzips a pack archive with every limit checked from the central directory before anything is
 * inflated: at most 2000 entries, 64 MiB uncompressed in total, safe names only, no duplicates,
 * stored or deflated entries only. Directory entries are skipped. Entries are then inflated with a
 * running byte budget (core/zip/boundedZip): an entry that lies about its size is stopped at the first
 * byte past what it declared, so a zip bomb costs at most ~1 MiB past the limit, never gigabytes.
 */
function unzipPack(bytes: Uint8Array): Map<string, Uint8Array> {
  if (!(bytes instanceof Uint8Array)) fail('pack/corrupt', 'This is not a file’s bytes: choose a .tributary.zip pack file.');
  if (bytes.length > PACK_LIMITS.maxTotalBytes + 4 * 1024 * 1024) {
    fail('pack/corrupt', `The archive is ${bytes.length} bytes, more than a pack may hold (${PACK_LIMITS.maxTotalBytes} bytes of files).`);
  }
  const errors = { code: 'pack/corrupt' as const, advice: DAMAGED };
  const entries = listZipEntries(bytes, PACK_LIMITS.maxEntries, errors);
  const seen = new Set<string>();
  let total = 0;
  const wanted: ZipEntry[] = [];
  for (const entry of entries) {
    const { name } = entry;
    if (!isSafeEntryName(name)) {
      fail('pack/corrupt', `The archive holds an entry with an unsafe path (absolute, "..", or odd characters); it was refused unread. ${DAMAGED}`, JSON.stringify(name));
    }
    if (seen.has(name)) fail('pack/corrupt', `The archive holds this entry twice. ${DAMAGED}`, name);
    seen.add(name);
    if (name.endsWith('/')) {
      if (entry.size !== 0) fail('pack/corrupt', `A folder entry has contents. ${DAMAGED}`, name);
      continue;
    }
    if (entry.method !== 0 && entry.method !== 8) {
      fail('pack/corrupt', `The entry uses compression method ${entry.method}; packs use only stored (0) or deflate (8).`, name);
    }
    if (entry.method === 0 && entry.compressedSize !== entry.size) fail('pack/corrupt', `A stored entry's sizes disagree. ${DAMAGED}`, name);
    if (entry.compressedSize > bytes.length) fail('pack/corrupt', `The entry claims to be larger than the whole archive. ${DAMAGED}`, name);
    total += entry.size;
    if (total > PACK_LIMITS.maxTotalBytes) {
      fail('pack/corrupt', `The files in the archive add up to more than ${PACK_LIMITS.maxTotalBytes} bytes, more than a pack may hold.`, name);
    }
    wanted.push(entry);
  }
  const budget = new ByteBudget(PACK_LIMITS.maxTotalBytes);
  const files = new Map<string, Uint8Array>();
  for (const entry of wanted) files.set(entry.name, readZipEntry(bytes, entry, budget, errors));
  return files;
}

// ---------------------------------------------------------------------------------------------------
// Decoding helpers

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeText(code: ErrorCode, path: string, bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    return fail(code, `The file is not valid UTF-8 text. ${DAMAGED}`, path);
  }
}

function parseJson(code: ErrorCode, path: string, bytes: Uint8Array): unknown {
  const text = decodeText(code, path, bytes);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fail(code, `The file is not valid JSON. ${DAMAGED}`, path);
  }
}

function parseJsonl(path: string, bytes: Uint8Array): { value: unknown; where: string }[] {
  const text = decodeText('pack/corrupt', path, bytes);
  if (text === '') return [];
  if (!text.endsWith('\n')) fail('pack/corrupt', `The last line does not end with a line break: the file is cut short. ${DAMAGED}`, path);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line, i) => {
      const where = `${path}:${i + 1}`;
      if (line === '') fail('pack/corrupt', `Line ${i + 1} is empty; every line holds one record. ${DAMAGED}`, where);
      try {
        return { value: JSON.parse(line) as unknown, where };
      } catch {
        return fail('pack/corrupt', `Line ${i + 1} is not valid JSON. ${DAMAGED}`, where);
      }
    });
}

/** Field checks of one record; failures name the record (`where`) and the field. */
class Fields {
  readonly o: Record<string, unknown>;
  constructor(
    value: unknown,
    readonly where: string,
    required: readonly string[],
    optional: readonly string[] = [],
    readonly code: ErrorCode = 'pack/corrupt',
    what = 'record',
  ) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.bad(`The ${what} must be a JSON object.`);
    this.o = value as Record<string, unknown>;
    for (const k of required) if (!Object.prototype.hasOwnProperty.call(this.o, k)) this.bad(`The ${what} lacks the field "${k}".`);
    for (const k of Object.keys(this.o)) {
      if (!required.includes(k) && !optional.includes(k)) this.bad(`The ${what} has an unknown field "${k}".`);
    }
  }
  bad(message: string): never {
    return fail(this.code, `${message} ${DAMAGED}`, this.where);
  }
  has(k: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.o, k);
  }
  str(k: string, min = 0, max = Number.MAX_SAFE_INTEGER): string {
    const v = this.o[k];
    if (typeof v !== 'string') this.bad(`"${k}" must be text.`);
    if (v.length < min || v.length > max) this.bad(`"${k}" must be ${min} to ${max} characters long.`);
    return v;
  }
  int(k: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.o[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) this.bad(`"${k}" must be a whole number from ${min} to ${max}.`);
    return v;
  }
  num(k: string, min: number, max: number): number {
    const v = this.o[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) this.bad(`"${k}" must be a number from ${min} to ${max}.`);
    return v;
  }
  hash(k: string): Hex {
    const v = this.o[k];
    if (typeof v !== 'string' || !HASH_RE.test(v)) this.bad(`"${k}" must be a 32-byte lower-case 0x-hex hash.`);
    return v as Hex;
  }
  signature(k: string): Hex {
    const v = this.o[k];
    if (typeof v !== 'string' || !SIGNATURE_RE.test(v)) this.bad(`"${k}" must be a 65-byte lower-case 0x-hex signature.`);
    return v as Hex;
  }
  address(k: string): Address {
    const v = this.o[k];
    if (typeof v !== 'string' || !isAddress(v)) this.bad(`"${k}" must be an address (0x + 40 hex digits, checksummed if mixed-case).`);
    return v;
  }
  oneOf<T extends string>(k: string, options: readonly T[]): T {
    const v = this.o[k];
    if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) this.bad(`"${k}" must be one of ${options.join(', ')}.`);
    return v as T;
  }
  hashes(k: string, minLength: number): Hex[] {
    const v = this.o[k];
    if (!Array.isArray(v) || v.length < minLength) this.bad(`"${k}" must be a list of at least ${minLength} hashes.`);
    const out = v.map((h) => {
      if (typeof h !== 'string' || !HASH_RE.test(h)) this.bad(`"${k}" must hold 32-byte lower-case 0x-hex hashes.`);
      return h as Hex;
    });
    if (new Set(out).size !== out.length) this.bad(`"${k}" lists a hash twice.`);
    return out;
  }
  datanetId(k: string): string {
    const v = this.o[k];
    if (typeof v !== 'string' || !DATANET_ID_RE.test(v)) this.bad(`"${k}" must be a Datanet id (dn- and 16 hex digits).`);
    return v;
  }
  sub(k: string, required: readonly string[]): Fields {
    return new Fields(this.o[k], this.where, required, [], this.code, `field "${k}"`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Manifest

const MANIFEST_KEYS = ['format', 'formatVersion', 'datanetId', 'name', 'version', 'merkleRoot', 'licence', 'createdAt', 'tokenizer', 'embeddingModel', 'files'] as const;

/**
 * Parses manifest.json strictly. An unknown `format` or `formatVersion` is `pack/unsupported-version`;
 * anything else wrong is `pack/manifest`. The bytes must be the canonical encoding (`encodeManifest`),
 * so one manifest content has exactly one manifestHash.
 */
export function parseManifest(bytes: Uint8Array): PackManifest {
  const path = PACK_FILES.manifest;
  const value = parseJson('pack/manifest', path, bytes);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { format, formatVersion } = value as Record<string, unknown>;
    if (typeof format === 'string' && format !== PACK_FORMAT) {
      fail('pack/unsupported-version', `This is not a Tributary Datanet pack (its format is "${format.slice(0, 64)}").`, path);
    }
    if (typeof formatVersion === 'number' && formatVersion !== PACK_FORMAT_VERSION) {
      fail(
        'pack/unsupported-version',
        `This pack uses format version ${formatVersion}; this app reads version ${PACK_FORMAT_VERSION}. Update Tributary, or ask for a pack in version ${PACK_FORMAT_VERSION}.`,
        path,
      );
    }
  }
  const f: Fields = new Fields(value, path, MANIFEST_KEYS, [], 'pack/manifest', 'manifest');
  f.oneOf('format', [PACK_FORMAT]);
  if (f.o.formatVersion !== PACK_FORMAT_VERSION) f.bad(`"formatVersion" must be ${PACK_FORMAT_VERSION}.`);
  if (f.o.tokenizer !== null) f.bad('"tokenizer" must be null in format version 1.');
  if (f.o.embeddingModel !== null) f.bad('"embeddingModel" must be null in format version 1.');
  const filesValue = f.o.files;
  if (!Array.isArray(filesValue)) f.bad('"files" must be a list.');
  if (filesValue.length > PACK_LIMITS.maxEntries - 1) f.bad(`"files" lists more than ${PACK_LIMITS.maxEntries - 1} files.`);
  let total = 0;
  const files: PackFileEntry[] = filesValue.map((entry: unknown, i): PackFileEntry => {
    const e: Fields = new Fields(entry, path, ['path', 'bytes', 'sha256'], [], 'pack/manifest', `files[${i}] entry`);
    const p = e.str('path', 1, 255);
    if (!isPackPath(p)) e.bad(`files[${i}] lists "${p}", which is not a pack file (${REQUIRED_FILES.join(', ')} or indexes/<name>).`);
    const size = e.int('bytes', 0, PACK_LIMITS.maxTotalBytes);
    total += size;
    return { path: p, bytes: size, sha256: e.hash('sha256') };
  });
  if (total > PACK_LIMITS.maxTotalBytes) f.bad(`The listed files add up to more than ${PACK_LIMITS.maxTotalBytes} bytes, more than a pack may hold.`);
  for (let i = 1; i < files.length; i++) {
    if (!(files[i - 1]!.path < files[i]!.path)) f.bad('"files" must be sorted by path, each path once.');
  }
  for (const required of REQUIRED_FILES) {
    if (!files.some((e) => e.path === required)) f.bad(`"files" does not list ${required}, which every pack has.`);
  }
  const manifest: PackManifest = {
    format: PACK_FORMAT,
    formatVersion: PACK_FORMAT_VERSION,
    datanetId: f.datanetId('datanetId'),
    name: f.str('name', 1, 1000),
    version: f.int('version', 1),
    merkleRoot: f.hash('merkleRoot'),
    licence: f.str('licence', 1, 1000),
    createdAt: f.int('createdAt'),
    tokenizer: null,
    embeddingModel: null,
    files,
  };
  const canonical = encodeManifest(manifest);
  if (canonical.length !== bytes.length || canonical.some((b, i) => b !== bytes[i])) {
    f.bad('manifest.json is not in its canonical form (2-space JSON, keys in order, one final line break); it was edited after export.');
  }
  return manifest;
}

// ---------------------------------------------------------------------------------------------------
// Records

function readDatanetFile(bytes: Uint8Array): { datanet: PackDatanet; signature: Hex; versionSignature: Hex | null } {
  const path = PACK_FILES.datanet;
  const top = new Fields(parseJson('pack/corrupt', path, bytes), path, ['datanet', 'signature'], ['versionSignature'], 'pack/corrupt', 'file');
  const signature = top.signature('signature');
  // absent in packs made before publication signatures: refused later with pack/signature, by name
  const versionSignature = top.has('versionSignature') ? top.signature('versionSignature') : null;
  const d: Fields = top.sub('datanet', [
    'id',
    'name',
    'summary',
    'descriptionMd',
    'tags',
    'dataType',
    'licence',
    'owner',
    'rewardPolicy',
    'moderation',
    'chunking',
    'createdAt',
  ]);
  const rp = d.sub('rewardPolicy', ['contributorsBps', 'ownerBps']);
  const ch = d.sub('chunking', ['unit', 'size', 'overlap']);
  const tags = d.o.tags;
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) d.bad('"tags" must be a list of texts.');
  const datanet: PackDatanet = {
    id: d.datanetId('id'),
    name: d.str('name'),
    summary: d.str('summary'),
    descriptionMd: d.str('descriptionMd'),
    tags: [...(tags as string[])],
    dataType: d.oneOf('dataType', ['text'] as const),
    licence: d.str('licence'),
    owner: d.address('owner'),
    rewardPolicy: { contributorsBps: rp.int('contributorsBps', 0, 10_000), ownerBps: rp.int('ownerBps', 0, 10_000) },
    moderation: d.oneOf('moderation', ['quorum', 'owner'] as const),
    chunking: { unit: ch.oneOf('unit', ['chars', 'tokens'] as const), size: ch.int('size', 1), overlap: ch.int('overlap', 0) },
    createdAt: d.int('createdAt'),
  };
  // Same rules as a Datanet made here, and already in normal form (trimmed, lower-case tags, …).
  let normal;
  try {
    normal = validateDatanetDraft(datanet);
  } catch (e) {
    if (isTributaryError(e)) d.bad(`The Datanet breaks a rule: ${e.message}`);
    throw e;
  }
  for (const k of ['name', 'summary', 'descriptionMd', 'tags', 'licence', 'owner', 'rewardPolicy', 'moderation', 'chunking'] as const) {
    if (JSON.stringify(normal[k]) !== JSON.stringify(datanet[k])) d.bad(`The Datanet's "${k}" is not in normal form.`);
  }
  return { datanet, signature, versionSignature };
}

function readVersion(bytes: Uint8Array, datanetId: string): DatanetVersion {
  const path = PACK_FILES.version;
  const v = new Fields(parseJson('pack/corrupt', path, bytes), path, ['datanetId', 'version', 'merkleRoot', 'contributionIds', 'addedIds', 'createdAt']);
  const version: DatanetVersion = {
    datanetId: v.datanetId('datanetId'),
    version: v.int('version', 1),
    merkleRoot: v.hash('merkleRoot'),
    contributionIds: v.hashes('contributionIds', 1),
    addedIds: v.hashes('addedIds', 0),
    createdAt: v.int('createdAt'),
  };
  if (version.datanetId !== datanetId) v.bad(`The version belongs to Datanet ${version.datanetId}, not ${datanetId}.`);
  const ids = new Set(version.contributionIds);
  if (!version.addedIds.every((id) => ids.has(id))) v.bad('"addedIds" lists a contribution that is not in "contributionIds".');
  return version;
}

const CONTRIBUTION_KEYS = [
  'id',
  'datanetId',
  'contributor',
  'title',
  'mediaType',
  'textHash',
  'chunksHash',
  'chunkCount',
  'createdAt',
  'signature',
  'sourceBytes',
  'status',
  'minhash',
] as const;

function readContribution(value: unknown, where: string, datanetId: string, version: number): Contribution {
  const f: Fields = new Fields(value, where, CONTRIBUTION_KEYS, ['decidedAt', 'acceptedInVersion']);
  const minhash = f.o.minhash;
  if (
    !Array.isArray(minhash) ||
    minhash.length > MAX.minhash ||
    !minhash.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff)
  ) {
    f.bad(`"minhash" must be a list of at most ${MAX.minhash} whole numbers from 0 to 2^32-1.`);
  }
  const c: Contribution = {
    id: f.hash('id'),
    datanetId: f.datanetId('datanetId'),
    contributor: f.address('contributor'),
    title: f.str('title', 0, MAX.title),
    mediaType: f.str('mediaType', 0, MAX.mediaType),
    textHash: f.hash('textHash'),
    chunksHash: f.hash('chunksHash'),
    chunkCount: f.int('chunkCount', 0, 0xffff_ffff),
    createdAt: f.int('createdAt'),
    signature: f.signature('signature'),
    sourceBytes: f.int('sourceBytes'),
    status: f.o.status === 'accepted' ? 'accepted' : f.bad('The contribution is not accepted; a pack holds accepted contributions only.'),
    minhash: [...(minhash as number[])],
  };
  if (f.has('decidedAt')) c.decidedAt = f.int('decidedAt');
  if (f.has('acceptedInVersion')) c.acceptedInVersion = f.int('acceptedInVersion', 1, version);
  if (c.datanetId !== datanetId) f.bad(`The contribution belongs to Datanet ${c.datanetId}, not ${datanetId}.`);
  return c;
}

function readPassage(value: unknown, where: string, datanetId: string): Passage {
  const f = new Fields(value, where, ['hash', 'dedupeHash', 'contributionId', 'datanetId', 'index', 'text', 'start', 'end']);
  const chunk: Passage = {
    hash: f.hash('hash'),
    dedupeHash: f.hash('dedupeHash'),
    contributionId: f.hash('contributionId'),
    datanetId: f.datanetId('datanetId'),
    index: f.int('index', 0, 0xffff_fffe),
    text: f.str('text', 0, MAX.splitPassages),
    start: f.int('start'),
    end: f.int('end'),
  };
  if (chunk.end < chunk.start) f.bad('"end" must not be before "start".');
  if (chunk.datanetId !== datanetId) f.bad(`The passage belongs to Datanet ${chunk.datanetId}, not ${datanetId}.`);
  return chunk;
}

function readValidation(value: unknown, where: string, datanet: PackDatanet): Validation {
  const f = new Fields(value, where, ['id', 'datanetId', 'contributionId', 'validator', 'verdict', 'reason', 'createdAt', 'signature', 'weight', 'role']);
  const v: Validation = {
    id: f.hash('id'),
    datanetId: f.datanetId('datanetId'),
    contributionId: f.hash('contributionId'),
    validator: f.address('validator'),
    verdict: f.oneOf('verdict', ['approve', 'reject'] as const),
    reason: f.str('reason', 0, MAX.reason),
    createdAt: f.int('createdAt'),
    signature: f.signature('signature'),
    weight: f.num('weight', 0, 1),
    role: f.oneOf('role', ['validator', 'owner'] as const),
  };
  if (v.datanetId !== datanet.id) f.bad(`The validation belongs to Datanet ${v.datanetId}, not ${datanet.id}.`);
  if (v.role === 'owner' && (datanet.moderation !== 'owner' || v.validator.toLowerCase() !== datanet.owner.toLowerCase())) {
    f.bad('Only the owner of an owner-moderated Datanet casts votes with role "owner".');
  }
  return v;
}



const describe = (c: Contribution): string => `contribution "${c.title}" (${c.id.slice(0, 10)}…)`;

// ---------------------------------------------------------------------------------------------------
// The shared verifier

/**
 * Verifies the listed files (already known to match the manifest's sizes and hashes) and builds the
 * pack. Order: records (shape, references), passages and their hashes, version membership and Merkle
 * root, then signatures (the expensive part, last).
 */
async function verifyRecords(
  manifest: PackManifest,
  manifestHash: Hex,
  files: ReadonlyMap<string, Uint8Array>,
  onProgress?: PackProgressCallback,
): Promise<VerifiedPack> {
  const file = (path: string): Uint8Array => files.get(path) ?? fail('pack/missing-file', `The pack lacks ${path}. ${DAMAGED}`, path);

  // Datanet
  const { datanet: packDatanet, signature: datanetSignature, versionSignature } = readDatanetFile(file(PACK_FILES.datanet));
  const mismatch = (field: string, inManifest: unknown, inFile: unknown, path: string): never =>
    fail('pack/manifest', `The manifest says ${field} is ${String(inManifest)} but ${path} says ${String(inFile)}. ${DAMAGED}`, PACK_FILES.manifest);
  if (manifest.datanetId !== packDatanet.id) mismatch('the Datanet id', manifest.datanetId, packDatanet.id, PACK_FILES.datanet);
  if (manifest.name !== packDatanet.name) mismatch('the name', JSON.stringify(manifest.name), JSON.stringify(packDatanet.name), PACK_FILES.datanet);
  if (manifest.licence !== packDatanet.licence) mismatch('the licence', manifest.licence, packDatanet.licence, PACK_FILES.datanet);

  // Version
  const version = readVersion(file(PACK_FILES.version), packDatanet.id);
  if (manifest.version !== version.version) mismatch('the version', manifest.version, version.version, PACK_FILES.version);

  // Contributions
  const contributions: Contribution[] = [];
  const byId = new Map<Hex, Contribution>();
  for (const { value, where } of parseJsonl(PACK_FILES.contributions, file(PACK_FILES.contributions))) {
    const c = readContribution(value, where, packDatanet.id, version.version);
    if (byId.has(c.id)) fail('pack/corrupt', `Contribution ${c.id} appears twice. ${DAMAGED}`, where);
    byId.set(c.id, c);
    contributions.push(c);
  }

  // Chunks
  const chunks: Passage[] = [];
  const chunksOf = new Map<Hex, Passage[]>();
  for (const { value, where } of parseJsonl(PACK_FILES.chunks, file(PACK_FILES.chunks))) {
    const ch = readPassage(value, where, packDatanet.id);
    const owner = byId.get(ch.contributionId);
    if (!owner) fail('pack/corrupt', `The passage belongs to contribution ${ch.contributionId}, which is not in the pack. ${DAMAGED}`, where);
    // `hash` covers the exact text (and chunksHash, signed, covers the hashes); `dedupeHash` is checked so
    // a stored passage never carries a wrong duplicate identity.
    if (sha256Text(ch.text) !== ch.hash) {
      fail('pack/hash-mismatch', `Passage ${ch.index} of ${describe(owner)} does not match its hash: its text was changed. ${DAMAGED}`, where);
    }
    if (sha256Text(normalizeForHash(ch.text)) !== ch.dedupeHash) {
      fail('pack/hash-mismatch', `Passage ${ch.index} of ${describe(owner)} does not match its dedupeHash. ${DAMAGED}`, where);
    }
    const list = chunksOf.get(ch.contributionId) ?? [];
    list.push(ch);
    chunksOf.set(ch.contributionId, list);
    chunks.push(ch);
  }
  for (const c of contributions) {
    const list = [...(chunksOf.get(c.id) ?? [])].sort((a, b) => a.index - b.index);
    if (list.length !== c.chunkCount) {
      fail('pack/corrupt', `${describe(c)} declares ${c.chunkCount} passages but the pack holds ${list.length}. ${DAMAGED}`, PACK_FILES.chunks);
    }
    list.forEach((ch, i) => {
      if (ch.index !== i) {
        fail('pack/corrupt', `The passages of ${describe(c)} are not numbered 0 to ${list.length - 1} without gaps or repeats. ${DAMAGED}`, PACK_FILES.chunks);
      }
    });
    if (hashPassageList(list.map((ch) => ch.hash)) !== c.chunksHash) {
      fail('pack/hash-mismatch', `The passages of ${describe(c)} do not match its signed chunksHash. ${DAMAGED}`, PACK_FILES.chunks);
    }
  }

  // Validations
  const validations: Validation[] = [];
  const validationIds = new Set<Hex>();
  for (const { value, where } of parseJsonl(PACK_FILES.validations, file(PACK_FILES.validations))) {
    const v = readValidation(value, where, packDatanet);
    if (validationIds.has(v.id)) fail('pack/corrupt', `Validation ${v.id} appears twice. ${DAMAGED}`, where);
    validationIds.add(v.id);
    if (!byId.has(v.contributionId)) fail('pack/corrupt', `The validation concerns contribution ${v.contributionId}, which is not in the pack. ${DAMAGED}`, where);
    validations.push(v);
  }

  // Version membership and Merkle root
  const listed = new Set(version.contributionIds);
  for (const c of contributions) {
    if (!listed.has(c.id)) fail('pack/corrupt', `${describe(c)} is in the pack but not in version ${version.version}. ${DAMAGED}`, PACK_FILES.version);
  }
  for (const id of version.contributionIds) {
    if (!byId.has(id)) fail('pack/corrupt', `Version ${version.version} lists contribution ${id}, which is not in the pack. ${DAMAGED}`, PACK_FILES.version);
  }
  let root: Hex;
  try {
    root = versionMerkleRoot(contributions.map((c) => ({ contributionId: c.id, contributor: c.contributor })));
  } catch (e) {
    return fail('pack/merkle', `The Merkle root could not be computed (${e instanceof Error ? e.message : String(e)}). ${DAMAGED}`, PACK_FILES.version);
  }
  if (root !== version.merkleRoot) {
    fail('pack/merkle', `The version's Merkle root does not match its contributions (expected ${root}). ${DAMAGED}`, PACK_FILES.version);
  }
  if (root !== manifest.merkleRoot) {
    fail('pack/merkle', `The manifest's Merkle root does not match the pack's contributions (expected ${root}). ${DAMAGED}`, PACK_FILES.manifest);
  }

  // Signatures
  const total = 1 + contributions.length + validations.length;
  let done = 0;
  const step = (subject: string) => onProgress?.({ stage: 'verifying', done: ++done, total, subject });
  if (!(await verifyDatanet(packDatanet, datanetSignature))) {
    fail('pack/signature', `The Datanet's signature is not its owner's (${packDatanet.owner}). ${DAMAGED}`, PACK_FILES.datanet);
  }
  // Publication: only the Datanet's owner may add a version (docs/PACK-FORMAT.md, "Trust model").
  // Checked right after the Datanet signature, before any contribution is looked at.
  if (versionSignature === null) {
    fail(
      'pack/signature',
      `The pack does not carry the owner's signature publishing version ${version.version}, so nothing proves the owner (${packDatanet.owner}) published it. Only the Datanet's owner may publish a version: ask them for a pack exported with this version of Tributary.`,
      PACK_FILES.datanet,
    );
  }
  if (!(await verifyVersion(packDatanet, version, versionSignature))) {
    fail(
      'pack/signature',
      `Version ${version.version} is not published by the Datanet's owner (${packDatanet.owner}): its publication signature is someone else's or covers other contents. The pack is refused; nothing was imported.`,
      PACK_FILES.datanet,
    );
  }
  step(PACK_FILES.datanet);
  for (const c of contributions) {
    const payload = contributionPayloadOf(c);
    if (hashContribution(payload) !== c.id) fail('pack/signature', `The id of ${describe(c)} does not match its content. ${DAMAGED}`, c.id);
    if (!(await verifyContribution(payload, c.signature))) {
      fail('pack/signature', `The signature of ${describe(c)} is not its contributor's (${c.contributor}). ${DAMAGED}`, c.id);
    }
    step(c.title);
  }
  for (const v of validations) {
    const payload = validationPayloadOf(v);
    if (hashValidation(payload) !== v.id) fail('pack/signature', `The id of validation ${v.id.slice(0, 10)}… does not match its content. ${DAMAGED}`, v.id);
    if (!(await verifyValidation(payload, v.signature))) {
      fail('pack/signature', `The signature of validation ${v.id.slice(0, 10)}… is not its validator's (${v.validator}). ${DAMAGED}`, v.id);
    }
    step(v.id);
  }

  const datanet: Datanet = {
    ...packDatanet,
    currentVersion: version.version,
    origin: { kind: 'pack', manifestHash, source: '' },
  };
  const indexes = new Map([...files].filter(([path]) => INDEX_PATH_RE.test(path)));
  return { datanet, datanetSignature, version, versionSignature, contributions, chunks, validations, manifest, manifestHash, indexes };
}

function checkListedFile(entry: PackFileEntry, bytes: Uint8Array): void {
  if (bytes.length !== entry.bytes) {
    fail('pack/hash-mismatch', `The file is ${bytes.length} bytes but the manifest says ${entry.bytes}: it is cut short or changed. ${DAMAGED}`, entry.path);
  }
  if (sha256Hex(bytes) !== entry.sha256) fail('pack/hash-mismatch', `The file does not match its SHA-256 in the manifest: it was changed. ${DAMAGED}`, entry.path);
}

/**
 * Reads and verifies a pack archive (`.tributary.zip`). Resolves only when every check passed.
 *
 * `datanet.origin` of the result is `{ kind: 'pack', manifestHash, source: '' }`: the caller fills in
 * where the pack came from.
 *
 * @throws TributaryError with a `pack/*` code naming the file or record at fault.
 */
export function readPackArchive(bytes: Uint8Array, onProgress?: PackProgressCallback): Promise<VerifiedPack> {
  return guarded(() => readArchive(bytes, onProgress));
}

/**
 * Backstop for the contract that every failure is a TributaryError: an unexpected error inside the
 * verifier (a bug, not a pack problem) still reaches the user as `pack/corrupt`, with its message.
 */
async function guarded(read: () => Promise<VerifiedPack>): Promise<VerifiedPack> {
  try {
    return await read();
  } catch (e) {
    if (isTributaryError(e)) throw e;
    return fail('pack/corrupt', `The pack could not be verified (${e instanceof Error ? e.message : String(e)}). Nothing was imported; report this with the pack file.`);
  }
}

async function readArchive(bytes: Uint8Array, onProgress?: PackProgressCallback): Promise<VerifiedPack> {
  onProgress?.({ stage: 'reading', done: 0, total: bytes?.length ?? 0 });
  const entries = unzipPack(bytes);
  onProgress?.({ stage: 'reading', done: bytes.length, total: bytes.length });

  const manifestBytes = entries.get(PACK_FILES.manifest);
  if (!manifestBytes) fail('pack/missing-file', 'The archive has no manifest.json: it is not a Tributary Datanet pack.', PACK_FILES.manifest);
  const manifest = parseManifest(manifestBytes);
  for (const entry of manifest.files) {
    if (!entries.has(entry.path)) fail('pack/missing-file', `The manifest lists ${entry.path} but the archive lacks it. ${DAMAGED}`, entry.path);
  }
  const listed = new Set(manifest.files.map((e) => e.path));
  for (const name of entries.keys()) {
    if (name !== PACK_FILES.manifest && !listed.has(name)) {
      fail('pack/corrupt', `The archive holds ${name}, which its manifest does not list. ${DAMAGED}`, name);
    }
  }
  const files = new Map<string, Uint8Array>();
  for (const entry of manifest.files) {
    const data = entries.get(entry.path)!;
    checkListedFile(entry, data);
    files.set(entry.path, data);
  }
  return verifyRecords(manifest, sha256Hex(manifestBytes), files, onProgress);
}

/**
 * Reads and verifies a pack served as a plain folder: `getFile(path)` returns the bytes of
 * `manifest.json` first, then of each file the manifest lists (in its order). Resolves only when every
 * check passed. A `TributaryError` thrown by `getFile` (say `pack/fetch`) passes through unchanged; any
 * other error there becomes `pack/missing-file` naming the path.
 */
export function readPackFolder(getFile: (path: string, maxBytes: number) => Promise<Uint8Array>, onProgress?: PackProgressCallback): Promise<VerifiedPack> {
  return guarded(() => readFolder(getFile, onProgress));
}

/** The largest manifest.json a folder pack may serve (a manifest is a short list). */
const MAX_MANIFEST_BYTES = 1024 * 1024;

async function readFolder(getFile: (path: string, maxBytes: number) => Promise<Uint8Array>, onProgress?: PackProgressCallback): Promise<VerifiedPack> {
  // `maxBytes` tells the fetcher where to stop: the manifest's own limit, then each file's listed size
  // (a server sending more is cut off at the first byte past it, not buffered whole).
  const fetchFile = async (path: string, maxBytes: number): Promise<Uint8Array> => {
    let data: unknown;
    try {
      data = await getFile(path, maxBytes);
    } catch (e) {
      if (isTributaryError(e)) throw e;
      return fail('pack/missing-file', `Could not get ${path} from the pack folder (${e instanceof Error ? e.message : String(e)}).`, path);
    }
    if (!(data instanceof Uint8Array)) fail('pack/corrupt', `Reading ${path} gave no bytes.`, path);
    return data;
  };

  const manifestBytes = await fetchFile(PACK_FILES.manifest, MAX_MANIFEST_BYTES);
  if (manifestBytes.length > MAX_MANIFEST_BYTES) fail('pack/manifest', `manifest.json is larger than 1 MiB; a manifest is a short list. ${DAMAGED}`, PACK_FILES.manifest);
  const manifest = parseManifest(manifestBytes);
  const total = manifest.files.reduce((s, e) => s + e.bytes, 0);
  let done = 0;
  onProgress?.({ stage: 'reading', done, total });
  const files = new Map<string, Uint8Array>();
  for (const entry of manifest.files) {
    const data = await fetchFile(entry.path, entry.bytes);
    checkListedFile(entry, data);
    files.set(entry.path, data);
    done += data.length;
    onProgress?.({ stage: 'reading', done, total, subject: entry.path });
  }
  return verifyRecords(manifest, sha256Hex(manifestBytes), files, onProgress);
}
