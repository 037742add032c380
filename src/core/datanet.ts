/**
 * Datanet drafts: the checks a user's form input must pass, and the making of a new Datanet record.
 */
import { isAddress } from 'viem';
import { bytesToHex } from '@noble/hashes/utils.js';
import { TributaryError } from './errors.ts';
import { sha256Text } from './hash.ts';
import { validateRewardPolicy } from './rewardPolicy.ts';
import type { Address, PassageOptions, Datanet, DatanetDraft, Moderation } from './types.ts';

export const DATANET_LIMITS = {
  nameMin: 3,
  nameMax: 80,
  summaryMax: 280,
  descriptionMax: 20_000,
  tagMax: 32,
  tagsMax: 12,
  licenceMax: 64,
} as const;

const TAG_RE = /^[a-z0-9-]+$/;

function invalid(field: string, message: string): never {
  throw new TributaryError('datanet/invalid', message, field);
}

/** Length in Unicode code points (what a user counts as characters), not UTF-16 units. */
function charCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function text(value: unknown, field: string, label: string): string {
  if (typeof value !== 'string') invalid(field, `${label} is missing: fill it in.`);
  return value.trim();
}

function checkChunking(c: PassageOptions): PassageOptions {
  if (typeof c !== 'object' || c === null) invalid('chunking', 'Chunking options are missing: set a unit, a size and an overlap.');
  if (c.unit !== 'chars' && c.unit !== 'tokens') invalid('chunking.unit', `Chunking unit must be 'chars' or 'tokens' (got ${String(c.unit)}).`);
  if (!Number.isInteger(c.size) || c.size <= 0) invalid('chunking.size', `Passage size must be a whole number above 0 (got ${String(c.size)}).`);
  if (!Number.isInteger(c.overlap) || c.overlap < 0 || c.overlap >= c.size) {
    invalid('chunking.overlap', `Passage overlap must be a whole number from 0 to less than the passage size ${c.size} (got ${String(c.overlap)}).`);
  }
  return { unit: c.unit, size: c.size, overlap: c.overlap };
}

/**
 * Checks and normalises what a user entered for a new Datanet. Returns a new draft with strings trimmed
 * and tags lower-cased and de-duplicated (first occurrence kept, order kept).
 *
 * Rules: name 3..80 characters; summary at most 280; description (Markdown) at most 20 000; tags at most
 * 12, each 1..32 characters of `a-z`, `0-9`, `-`; licence 1..64 characters; owner a valid address (a
 * mixed-case address must carry a correct EIP-55 checksum); reward policy as `validateRewardPolicy`;
 * moderation `quorum` or `owner`; chunking unit `chars` or `tokens`, size a whole number above 0,
 * overlap a whole number with 0 <= overlap < size. "Characters" are Unicode code points.
 *
 * @throws TributaryError `datanet/invalid`; its `subject` names the field, the message says the fix.
 */
export function validateDatanetDraft(draft: DatanetDraft): DatanetDraft {
  if (typeof draft !== 'object' || draft === null) invalid('draft', 'The Datanet form is empty: fill in its fields.');
  const L = DATANET_LIMITS;

  const name = text(draft.name, 'name', 'Name');
  const nameLen = charCount(name);
  if (nameLen < L.nameMin || nameLen > L.nameMax) {
    invalid('name', `Name must be ${L.nameMin} to ${L.nameMax} characters long (it has ${nameLen}).`);
  }

  const summary = text(draft.summary, 'summary', 'Summary');
  const summaryLen = charCount(summary);
  if (summaryLen > L.summaryMax) invalid('summary', `Summary must be at most ${L.summaryMax} characters (it has ${summaryLen}); shorten it.`);

  const descriptionMd = text(draft.descriptionMd, 'descriptionMd', 'Description');
  const descLen = charCount(descriptionMd);
  if (descLen > L.descriptionMax) {
    invalid('descriptionMd', `Description must be at most ${L.descriptionMax} characters (it has ${descLen}); shorten it.`);
  }

  if (!Array.isArray(draft.tags)) invalid('tags', 'Tags must be a list (it may be empty).');
  const tags: string[] = [];
  draft.tags.forEach((raw: unknown, i) => {
    if (typeof raw !== 'string') invalid('tags', `Tag ${i + 1} is not text: remove it.`);
    const tag = raw.trim().toLowerCase();
    if (charCount(tag) < 1 || charCount(tag) > L.tagMax || !TAG_RE.test(tag)) {
      invalid('tags', `Tag "${raw}" must be 1 to ${L.tagMax} characters of a-z, 0-9 and "-" (no spaces); fix or remove it.`);
    }
    if (!tags.includes(tag)) tags.push(tag);
  });
  if (tags.length > L.tagsMax) invalid('tags', `At most ${L.tagsMax} tags are allowed (there are ${tags.length}); remove some.`);

  const licence = text(draft.licence, 'licence', 'Licence');
  const licenceLen = charCount(licence);
  if (licenceLen < 1 || licenceLen > L.licenceMax) {
    invalid('licence', `Licence must be 1 to ${L.licenceMax} characters, e.g. an SPDX id such as CC-BY-4.0 (it has ${licenceLen}).`);
  }

  const owner = text(draft.owner, 'owner', 'Owner address');
  if (!isAddress(owner)) {
    invalid('owner', `Owner "${owner}" is not a valid address: use a 0x-prefixed 40-hex-digit address (all lower case, or with a correct checksum).`);
  }

  const rewardPolicy = validateRewardPolicy(draft.rewardPolicy);

  const moderation: Moderation = draft.moderation;
  if (moderation !== 'quorum' && moderation !== 'owner') {
    invalid('moderation', `Moderation must be 'quorum' (validators vote) or 'owner' (the owner decides) (got ${String(moderation)}).`);
  }

  const chunking = checkChunking(draft.chunking);

  return { name, summary, descriptionMd, tags, licence, owner: owner as Address, rewardPolicy, moderation, chunking };
}

/**
 * Makes a new local Datanet from a draft (checked with `validateDatanetDraft` first).
 *
 * The id is `dn-` + the first 16 hex digits of `sha256("<owner lower-cased>|<name>|<now>|<entropy as hex>")`;
 * pass 16 fresh random bytes as `idEntropy` so two Datanets with the same owner and name never collide.
 *
 * @throws TributaryError `datanet/invalid` for a bad draft; RangeError when `now` is not a time in ms.
 */
export function makeDatanet(draft: DatanetDraft, now: number, idEntropy: Uint8Array): Datanet {
  if (!Number.isSafeInteger(now) || now < 0) throw new RangeError(`now must be a Unix time in milliseconds (got ${now})`);
  const d = validateDatanetDraft(draft);
  const digest = sha256Text(`${d.owner.toLowerCase()}|${d.name}|${now}|${bytesToHex(idEntropy)}`);
  return {
    id: `dn-${digest.slice(2, 18)}`,
    name: d.name,
    summary: d.summary,
    descriptionMd: d.descriptionMd,
    tags: d.tags,
    dataType: 'text',
    licence: d.licence,
    owner: d.owner,
    rewardPolicy: d.rewardPolicy,
    moderation: d.moderation,
    chunking: d.chunking,
    createdAt: now,
    currentVersion: 0,
    origin: { kind: 'local' },
  };
}
