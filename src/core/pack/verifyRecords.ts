/** The verifier shared by archive and folder packs: records, passages, Merkle root, signatures. */
import { hashPassageList, sha256Hex, sha256Text } from '../hash.ts';
import { versionMerkleRoot } from '../merkle.ts';
import { normalizeForHash } from '../normalize.ts';
import { plural } from '../plural.ts';
import { contributionPayloadOf, hashContribution, hashValidation, validationPayloadOf, verifyContribution, verifyDatanet, verifyValidation, verifyVersion } from '../signing.ts';
import type { Passage, Contribution, Datanet, Hex, Validation } from '../types.ts';
import { PACK_FILES, type PackFileEntry, type PackManifest, type PackProgressCallback, type VerifiedPack } from './types.ts';
import { parseJsonl } from './decodeRecords.ts';
import { DAMAGED, INDEX_PATH_RE, fail } from './packRules.ts';
import { readDatanetFile, readVersion, readContribution, readPassage, readValidation, describeContribution } from './readRecords.ts';

/**
 * Verifies the listed files (already known to match the manifest's sizes and hashes) and builds the
 * pack. Order: records (shape, references), passages and their hashes, version membership and Merkle
 * root, then signatures (the expensive part, last).
 */
export async function verifyRecords(
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
      fail('pack/hash-mismatch', `Passage ${ch.index} of ${describeContribution(owner)} does not match its hash: its text was changed. ${DAMAGED}`, where);
    }
    if (sha256Text(normalizeForHash(ch.text)) !== ch.dedupeHash) {
      fail('pack/hash-mismatch', `Passage ${ch.index} of ${describeContribution(owner)} does not match its dedupeHash. ${DAMAGED}`, where);
    }
    const list = chunksOf.get(ch.contributionId) ?? [];
    list.push(ch);
    chunksOf.set(ch.contributionId, list);
    chunks.push(ch);
  }
  for (const c of contributions) {
    const list = [...(chunksOf.get(c.id) ?? [])].sort((a, b) => a.index - b.index);
    if (list.length !== c.chunkCount) {
      fail('pack/corrupt', `${describeContribution(c)} declares ${plural(c.chunkCount, 'passage')} but the pack holds ${list.length}. ${DAMAGED}`, PACK_FILES.chunks);
    }
    list.forEach((ch, i) => {
      if (ch.index !== i) {
        fail('pack/corrupt', `The passages of ${describeContribution(c)} are not numbered 0 to ${list.length - 1} without gaps or repeats. ${DAMAGED}`, PACK_FILES.chunks);
      }
    });
    if (hashPassageList(list.map((ch) => ch.hash)) !== c.chunksHash) {
      fail('pack/hash-mismatch', `The passages of ${describeContribution(c)} do not match its signed chunksHash. ${DAMAGED}`, PACK_FILES.chunks);
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
    if (!listed.has(c.id)) fail('pack/corrupt', `${describeContribution(c)} is in the pack but not in version ${version.version}. ${DAMAGED}`, PACK_FILES.version);
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
    if (hashContribution(payload) !== c.id) fail('pack/signature', `The id of ${describeContribution(c)} does not match its content. ${DAMAGED}`, c.id);
    if (!(await verifyContribution(payload, c.signature))) {
      fail('pack/signature', `The signature of ${describeContribution(c)} is not its contributor's (${c.contributor}). ${DAMAGED}`, c.id);
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

export function checkListedFile(entry: PackFileEntry, bytes: Uint8Array): void {
  if (bytes.length !== entry.bytes) {
    fail('pack/hash-mismatch', `The file is ${bytes.length} bytes but the manifest says ${entry.bytes}: it is cut short or changed. ${DAMAGED}`, entry.path);
  }
  if (sha256Hex(bytes) !== entry.sha256) fail('pack/hash-mismatch', `The file does not match its SHA-256 in the manifest: it was changed. ${DAMAGED}`, entry.path);
}
