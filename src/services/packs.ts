/**
 * Pack export and import.
 *
 * - Export signs the Datanet with its owner's local key, or, for a Datanet whose owner is not a local
 *   identity, reuses the owner's kept signature: importing stores the one that came with its pack, and
 *   creating a wallet-owned Datanet (services/datanets `createSignedDatanet`) stores the wallet's, both
 *   as the setting `datanetSignature:<datanetId>` (store/settings `datanetSignatureKey`). The signed fields
 *   (core/signing `DatanetSigned`) never change locally, so the stored signature stays valid.
 * - Export also carries the owner's signature publishing the version (core/signing `signVersion`): made
 *   with the owner's local key, or kept (setting `versionSignature:<id>:<version>`) from the pack it came
 *   in or from the owner's wallet (`versionToSign`, then `exportPack(..., ownerVersionSignature)`).
 * - Import verifies everything first (core/pack `readPackArchive`), then writes in ONE transaction, so
 *   a failure writes nothing. Ids already present are skipped (re-importing a pack, or an older version
 *   of it, is a no-op apart from a missing version record). Imported validations do not change local
 *   reputations: reputations only reflect decisions taken in this browser.
 */
import type { ExportedPack, ImportReport, ProgressCallback } from '../workerApi/dataApi.ts';
import { TributaryError } from '../core/errors.ts';
import type { PackContents, VerifiedPack } from '../core/pack/types.ts';
import { readPackArchive, readPackFolder } from '../core/pack/readPack.ts';
import { verifyPackIndexes } from '../attribution/packIndexes.ts';
import { putIndexFile } from '../store/attributionIndexes.ts';
import { writePack } from '../core/pack/writePack.ts';
import { canonicalSignature, signDatanet, signVersion, verifyVersion, versionTypedData, type VersionTypedData } from '../core/signing.ts';
import type { Passage, Contribution, Datanet, DatanetVersion, Hex, Validation } from '../core/types.ts';
import { datanetSignatureKey, getSetting, setSetting, versionSignatureKey } from '../store/settings.ts';
import type { ServiceContext } from './context.ts';
import { download, resolveUrl } from './download.ts';
import { requireDatanet } from './preview.ts';
import { asTributaryError, canonicalAddress, sameAddress } from './util.ts';
import { addContributions, addValidations, putPassages } from '../store/contributions.ts';
import { addDatanet, setCurrentVersion } from '../store/datanets.ts';
import { addVersion } from '../store/versions.ts';
import { recordPackImport } from '../store/packs.ts';

export async function exportPack(
  ctx: ServiceContext,
  datanetId: string,
  version?: number,
  onProgress?: ProgressCallback,
  ownerVersionSignature?: Hex,
): Promise<ExportedPack> {
  const { db } = ctx;
  const datanet = await requireDatanet(ctx, datanetId);
  const v = version ?? datanet.currentVersion;
  onProgress?.({ stage: 'reading', done: 0, total: 1, subject: datanet.name });
  const gathered = await db.transaction('r', [db.versions, db.contributions, db.chunks, db.validations], async () => {
    const record = await db.versions.get([datanet.id, v]);
    if (!record) {
      throw new TributaryError(
        'datanet/not-found',
        v === 0 ? 'Nothing is accepted in this Datanet yet: a pack needs at least one version.' : `This Datanet has no version ${v} here.`,
        datanet.name,
      );
    }
    const found = await db.contributions.bulkGet(record.contributionIds);
    const contributions: Contribution[] = [];
    found.forEach((c, i) => {
      if (!c) throw new TributaryError('contribution/not-found', `Contribution ${record.contributionIds[i]} of version ${v} is missing here.`, datanet.name);
      contributions.push(c);
    });
    const ids = record.contributionIds;
    const chunks: Passage[] = [];
    for (const id of ids) {
      chunks.push(...(await db.chunks.where('[contributionId+index]').between([id, -Infinity], [id, Infinity]).toArray()));
    }
    const validations: Validation[] = await db.validations.where('contributionId').anyOf(ids).toArray();
    validations.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
    return { record, contributions, chunks, validations };
  });
  const datanetSignature = await datanetSignatureFor(ctx, datanet);
  const versionSignature = await versionSignatureFor(ctx, datanet, gathered.record, ownerVersionSignature);
  onProgress?.({ stage: 'writing', done: 0, total: 1, subject: datanet.name });
  const contents: PackContents = {
    datanet: { ...datanet, currentVersion: v },
    datanetSignature,
    version: gathered.record,
    versionSignature,
    // A pack holds a version's contributions as accepted, whatever happened to them since.
    contributions: gathered.contributions.map((c) => ({ ...c, status: 'accepted' })),
    chunks: gathered.chunks,
    validations: gathered.validations,
  };
  const pack = writePack(contents, ctx.deps.now());
  onProgress?.({ stage: 'writing', done: 1, total: 1, subject: pack.fileName });
  return { fileName: pack.fileName, bytes: pack.bytes, manifestHash: pack.manifestHash };
}

/** The owner's signature of the Datanet: made with the local key, or the one kept from its pack. */
async function datanetSignatureFor(ctx: ServiceContext, datanet: Datanet): Promise<Hex> {
  const owner = await ctx.db.identities.get(canonicalAddress(datanet.owner));
  if (owner) return (await signDatanet(datanet, owner.privateKey)).signature;
  const kept = await getSetting<Hex>(ctx.db, datanetSignatureKey(datanet.id));
  if (kept) return kept;
  throw new TributaryError(
    'pack/signature',
    "Its owner's key is not in this browser and no owner signature was kept for it, so it cannot be exported.",
    datanet.name,
  );
}

/**
 * The owner's signature publishing `version`: made with the owner's local key; else one kept (from the
 * pack it came in, or from an earlier wallet signature); else `given` (the owner's wallet signed
 * `versionTypedData` just now), checked and kept. Anyone else cannot publish a version of the Datanet.
 */
async function versionSignatureFor(ctx: ServiceContext, datanet: Datanet, version: DatanetVersion, given?: Hex): Promise<Hex> {
  const owner = await ctx.db.identities.get(canonicalAddress(datanet.owner));
  if (owner) return signVersion(datanet, version, owner.privateKey);
  const key = versionSignatureKey(datanet.id, version.version);
  const kept = await getSetting<Hex>(ctx.db, key);
  if (kept && (await verifyVersion(datanet, version, kept))) return kept;
  if (given !== undefined) {
    const signature = canonicalSignature(given);
    if (!(await verifyVersion(datanet, version, signature))) {
      throw new TributaryError('signature/invalid', `The signature is not the owner's (${datanet.owner}) publication of version ${version.version}: sign it in the owner's wallet.`, datanet.name);
    }
    await setSetting(ctx.db, key, signature);
    return signature;
  }
  throw new TributaryError(
    'pack/signature',
    `Version ${version.version} needs its owner's publication signature (${datanet.owner}): sign it in the owner's wallet, then export again.`,
    datanet.name,
  );
}

/** The typed data the owner's wallet signs to publish a version (for `exportPack`'s `ownerVersionSignature`). */
export async function versionToSign(ctx: ServiceContext, datanetId: string, version: number): Promise<VersionTypedData> {
  const datanet = await requireDatanet(ctx, datanetId);
  const record = await ctx.db.versions.get([datanet.id, version]);
  if (!record) throw new TributaryError('datanet/not-found', `This Datanet has no version ${version} here.`, datanet.name);
  return versionTypedData(datanet, record);
}

/** A reader failure as a TributaryError (a reader bug on strange input must not leak a TypeError). */
function asPackError(e: unknown, source: string): TributaryError {
  if (e instanceof TributaryError) return e;
  const detail = e instanceof Error ? e.message : String(e);
  return new TributaryError('pack/corrupt', `It is not a readable Datanet pack (${detail}).`, source);
}

export async function importPack(ctx: ServiceContext, bytes: Uint8Array, source: string, onProgress?: ProgressCallback): Promise<ImportReport> {
  let pack: VerifiedPack;
  try {
    pack = await readPackArchive(bytes, onProgress);
  } catch (e) {
    throw asPackError(e, source);
  }
  return writeVerifiedPack(ctx, pack, source, onProgress);
}

/** Imports a pack archive, or a folder pack when the URL ends in `manifest.json` (files fetched relative to it). */
export async function importPackFromUrl(ctx: ServiceContext, url: string, onProgress?: ProgressCallback): Promise<ImportReport> {
  const resolved = resolveUrl(url);
  const href = resolved.href;
  let pack: VerifiedPack;
  if (resolved.pathname.endsWith('manifest.json')) {
    try {
      pack = await readPackFolder((path: string, maxBytes: number) => download(ctx, resolveUrl(path, href).href, onProgress, maxBytes), onProgress);
    } catch (e) {
      throw asPackError(e, href);
    }
  } else {
    const bytes = await download(ctx, href, onProgress);
    try {
      pack = await readPackArchive(bytes, onProgress);
    } catch (e) {
      throw asPackError(e, href);
    }
  }
  return writeVerifiedPack(ctx, pack, href, onProgress);
}

/** Writes a verified pack in one transaction; see the module comment for the rules. */
async function writeVerifiedPack(ctx: ServiceContext, pack: VerifiedPack, source: string, onProgress?: ProgressCallback): Promise<ImportReport> {
  // prebuilt indexes/ must be exactly this version's (attribution/index-corrupt or -mismatch), before anything is written
  const indexFiles = verifyPackIndexes(pack);
  const { db } = ctx;
  const { datanet: incoming, version, manifestHash } = pack;
  const now = ctx.deps.now();
  onProgress?.({ stage: 'writing', done: 0, total: pack.contributions.length, subject: incoming.name });
  try {
    return await db.transaction(
      'rw',
      [db.datanets, db.versions, db.contributions, db.chunks, db.validations, db.packs, db.settings, db.attributionIndexes],
      async (): Promise<ImportReport> => {
        const origin = { kind: 'pack' as const, manifestHash, source };
        const existing = await db.datanets.get(incoming.id);
        if (existing && !sameAddress(existing.owner, incoming.owner)) {
          throw new TributaryError(
            'pack/signature',
            `A Datanet with this id but another owner (${existing.owner}) already exists here: the pack is refused.`,
            incoming.name,
          );
        }
        if (!existing) {
          await addDatanet(db, { ...incoming, currentVersion: version.version, origin });
        } else if (version.version > existing.currentVersion) {
          await setCurrentVersion(db, existing.id, version, existing.origin.kind === 'pack' ? { origin } : {});
        }
        if (!(await getSetting(db, datanetSignatureKey(incoming.id)))) await setSetting(db, datanetSignatureKey(incoming.id), pack.datanetSignature);
        await setSetting(db, versionSignatureKey(incoming.id, version.version), pack.versionSignature);

        const localVersion = await db.versions.get([incoming.id, version.version]);
        if (!localVersion) await addVersion(db, version);
        else if (localVersion.merkleRoot !== version.merkleRoot) {
          throw new TributaryError(
            'pack/merkle',
            `Version ${version.version} here has other contributions than the pack's (Merkle root ${localVersion.merkleRoot} vs ${version.merkleRoot}): the two cannot be merged.`,
            incoming.name,
          );
        }

        const present = await db.contributions.bulkGet(pack.contributions.map((c) => c.id));
        const fresh = pack.contributions.filter((_, i) => present[i] === undefined);
        const freshIds = new Set<Hex>(fresh.map((c) => c.id));
        await addContributions(
          db,
          fresh.map((c) => ({ ...c, status: 'accepted' as const, acceptedInVersion: c.acceptedInVersion ?? version.version })),
        );
        const chunks = pack.chunks.filter((c) => freshIds.has(c.contributionId));
        await putPassages(db, chunks);
        const knownValidations = await db.validations.bulkGet(pack.validations.map((v) => v.id));
        await addValidations(db, pack.validations.filter((_, i) => knownValidations[i] === undefined));
        await recordPackImport(db, { manifestHash, datanetId: incoming.id, version: version.version, source, importedAt: now });
        // the verified indexes/ are kept, so attribution loads them instead of rebuilding (re-verified when loaded)
        for (const f of indexFiles) await putIndexFile(db, { ...f, source: 'pack', createdAt: now });
        onProgress?.({ stage: 'writing', done: pack.contributions.length, total: pack.contributions.length, subject: incoming.name });
        return {
          datanetId: incoming.id,
          name: incoming.name,
          version: version.version,
          manifestHash,
          contributions: fresh.length,
          chunks: chunks.length,
          skipped: pack.contributions.length - fresh.length,
        };
      },
    );
  } catch (e) {
    throw asTributaryError(e);
  }
}
