/** One record of each pack file (datanet, version, contribution, passage, validation), shape-checked. */
import { isTributaryError } from '../errors.ts';
import { validateDatanetDraft } from '../datanet.ts';
import type { Passage, Contribution, DatanetVersion, Hex, Validation } from '../types.ts';
import { PACK_FILES, type PackDatanet } from './types.ts';
import { parseJson, Fields } from './decodeRecords.ts';
import { MAX } from './packRules.ts';

export function readDatanetFile(bytes: Uint8Array): { datanet: PackDatanet; signature: Hex; versionSignature: Hex | null } {
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

export function readVersion(bytes: Uint8Array, datanetId: string): DatanetVersion {
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

export function readContribution(value: unknown, where: string, datanetId: string, version: number): Contribution {
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

export function readPassage(value: unknown, where: string, datanetId: string): Passage {
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

export function readValidation(value: unknown, where: string, datanet: PackDatanet): Validation {
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



export const describeContribution = (c: Contribution): string => `contribution "${c.title}" (${c.id.slice(0, 10)}…)`;
