import { validatePassageOptions } from '../core/passage.ts';
import { makeDatanet, validateDatanetDraft } from '../core/datanet.ts';
import { TributaryError } from '../core/errors.ts';
import { verifyDatanet } from '../core/signing.ts';
import type { Datanet, DatanetDraft, Hex } from '../core/types.ts';
import { datanetSignatureKey, setSetting } from '../store/settings.ts';
import type { ServiceContext } from './context.ts';
import { asTributaryError, canonicalAddress, requireLocalIdentity } from './util.ts';
import { addDatanet } from '../store/datanets.ts';

/**
 * Checks the draft (`validateDatanetDraft`, `validatePassageOptions`), requires the owner to be a local
 * identity (its key signs the Datanet when it is exported), then makes and stores the Datanet.
 */
export async function createDatanet(ctx: ServiceContext, draft: DatanetDraft): Promise<Datanet> {
  const checked = validateDatanetDraft(draft);
  validatePassageOptions(checked.chunking);
  const owner = await requireLocalIdentity(ctx.db, checked.owner);
  const datanet = makeDatanet({ ...checked, owner: owner.address }, ctx.deps.now(), ctx.deps.randomBytes(16));
  await addDatanet(ctx.db, datanet);
  return datanet;
}

/**
 * The wallet path, step 1: the Datanet record its owner's wallet must sign (draft checked, id and
 * `createdAt` made here; sign `datanetTypedData(record)` from core/signing). Writes nothing.
 */
export async function prepareDatanet(ctx: ServiceContext, draft: DatanetDraft): Promise<Datanet> {
  const checked = validateDatanetDraft(draft);
  validatePassageOptions(checked.chunking);
  return makeDatanet({ ...checked, owner: canonicalAddress(checked.owner) }, ctx.deps.now(), ctx.deps.randomBytes(16));
}

/** How far a wallet-signed Datanet's `createdAt` may be from the time it is stored. */
export const SIGNED_DATANET_MAX_AGE_MS = 30 * 60_000;

const DATANET_ID_RE = /^dn-[0-9a-f]{16}$/;

/**
 * The wallet path, step 2: stores a Datanet prepared by `prepareDatanet` whose owner's wallet signed it.
 * Every field is checked again (as a draft, plus the id's form, `createdAt` recent, no version yet, made
 * here), the signature must recover to the owner (EIP-712, core/signing `verifyDatanet`), and the id must
 * be new. The Datanet and its owner's signature (setting `datanetSignature:<id>`, which pack export
 * reuses, as for imported Datanets) are written in one transaction: on any failure nothing is written.
 */
export async function createSignedDatanet(ctx: ServiceContext, signed: Datanet, signature: Hex): Promise<Datanet> {
  if (typeof signed !== 'object' || signed === null) throw new TributaryError('datanet/invalid', 'The signed Datanet is missing: create it again.');
  const checked = validateDatanetDraft(signed);
  validatePassageOptions(checked.chunking);
  const owner = canonicalAddress(checked.owner);
  const datanet: Datanet = {
    id: signed.id,
    name: checked.name,
    summary: checked.summary,
    descriptionMd: checked.descriptionMd,
    tags: checked.tags,
    dataType: 'text',
    licence: checked.licence,
    owner,
    rewardPolicy: checked.rewardPolicy,
    moderation: checked.moderation,
    chunking: checked.chunking,
    createdAt: signed.createdAt,
    currentVersion: 0,
    origin: { kind: 'local' },
  };
  if (typeof signed.id !== 'string' || !DATANET_ID_RE.test(signed.id)) {
    throw new TributaryError('datanet/invalid', `A Datanet id is "dn-" and 16 hex digits (got ${String(signed.id)}): create it again.`, 'id');
  }
  // The signed fields must be exactly the checked ones (a draft normalises text; a signature covers it as is).
  const same =
    signed.name === datanet.name &&
    signed.summary === datanet.summary &&
    signed.descriptionMd === datanet.descriptionMd &&
    signed.licence === datanet.licence &&
    signed.tags.length === datanet.tags.length &&
    signed.tags.every((t, i) => t === datanet.tags[i]) &&
    signed.dataType === 'text' &&
    signed.currentVersion === 0 &&
    signed.origin?.kind === 'local';
  if (!same) {
    throw new TributaryError('datanet/invalid', 'The signed Datanet is not in the form this app prepares (untrimmed text, a version, or another origin): create it again.', datanet.name);
  }
  if (!Number.isSafeInteger(signed.createdAt) || Math.abs(signed.createdAt - ctx.deps.now()) > SIGNED_DATANET_MAX_AGE_MS) {
    throw new TributaryError('signature/invalid', 'This signed Datanet is too old (or from the future): create it again and sign it in your wallet.', datanet.name);
  }
  if (!(await verifyDatanet(datanet, signature))) {
    throw new TributaryError('signature/invalid', `The signature is not ${owner}'s signature of this Datanet: sign it again in the owner's wallet.`, datanet.name);
  }
  const { db } = ctx;
  try {
    await db.transaction('rw', [db.datanets, db.settings], async () => {
      if (await db.datanets.get(datanet.id)) {
        throw new TributaryError('datanet/invalid', `A Datanet with the id ${datanet.id} already exists here: create it again (a new id is made).`, datanet.name);
      }
      await addDatanet(db, datanet);
      await setSetting(db, datanetSignatureKey(datanet.id), signature);
    });
  } catch (e) {
    throw asTributaryError(e);
  }
  return datanet;
}
