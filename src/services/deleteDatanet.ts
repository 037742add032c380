/**
 * "Delete Datanet": its owner removes a Datanet from this browser with everything that is only its own (store/datanets
 * `deleteDatanet`: versions, contributions, passages, validations, upload counters, pack rows, signatures, attribution
 * index files), in one transaction with the checks, so a refused or failed delete changes nothing.
 *
 * What names the Datanet but is not its own stays, on purpose:
 * - the answers' attribution records that credited it: they are the evidence their fees committed to (hash, weights,
 *   contributors), so they stay readable and exportable; only the credited passages' texts are no longer shown;
 * - ledger fees: a pending fee carries its own splits (recipients and amounts, fixed when it was made), so it still
 *   settles and pays the Datanet's contributors and owner exactly as before; settled ones are history;
 * - nothing on chain is touched: a registration, anchored versions and settled payments stay as they are.
 * A delete while the attribution worker builds an index of the Datanet is safe: the build stores its file only when the
 * Datanet's version is still current (store/attributionIndexes `putIndexFile`), so nothing is left behind.
 *
 * The owner check guards against a slip (deleting someone else's imported Datanet from its page), not against the
 * browser's user: the database is theirs.
 */
import { TributaryError } from '../core/errors.ts';
import type { DeletedDatanet } from '../workerApi/dataApi.ts';
import { datanetFootprint } from '../store/datanetFootprint.ts';
import { deleteDatanet } from '../store/datanets.ts';
import type { ServiceContext } from './context.ts';
import { asTributaryError, canonicalAddress, sameAddress } from './util.ts';

export async function deleteOwnDatanet(ctx: ServiceContext, id: string, requester: string): Promise<DeletedDatanet> {
  const who = canonicalAddress(requester);
  const { db } = ctx;
  const tables = [db.datanets, db.versions, db.contributions, db.chunks, db.validations, db.packs, db.uploads, db.settings, db.attributionIndexes, db.attributionRecords, db.ledgerEntries];
  try {
    return await db.transaction('rw', tables, async () => {
      const datanet = await db.datanets.get(id);
      if (!datanet) throw new TributaryError('datanet/not-found', `There is no Datanet ${id} in this browser: it was deleted already, or never created or imported here.`, id);
      if (!sameAddress(datanet.owner, who)) {
        throw new TributaryError(
          'datanet/not-owner',
          `Only the owner of "${datanet.name}" (${datanet.owner}) can delete it; the active identity is ${who}. Switch to the owner's identity or wallet.`,
          datanet.name,
        );
      }
      const removed = await datanetFootprint(db, id);
      if (!(await deleteDatanet(db, id))) throw new TributaryError('datanet/not-found', `There is no Datanet ${id} in this browser: it was deleted already.`, id);
      return { id, name: datanet.name, removed };
    });
  } catch (e) {
    throw asTributaryError(e);
  }
}
