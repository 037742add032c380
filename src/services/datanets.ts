import { validateChunking } from '../core/chunk.ts';
import { makeDatanet, validateDatanetDraft } from '../core/datanet.ts';
import type { Datanet, DatanetDraft } from '../core/types.ts';
import type { ServiceContext } from './context.ts';
import { requireLocalIdentity } from './util.ts';

/**
 * Checks the draft (`validateDatanetDraft`, `validateChunking`), requires the owner to be a local
 * identity (its key signs the Datanet when it is exported), then makes and stores the Datanet.
 */
export async function createDatanet(ctx: ServiceContext, draft: DatanetDraft): Promise<Datanet> {
  const checked = validateDatanetDraft(draft);
  validateChunking(checked.chunking);
  const owner = await requireLocalIdentity(ctx.db, checked.owner);
  const datanet = makeDatanet({ ...checked, owner: owner.address }, ctx.deps.now(), ctx.deps.randomBytes(16));
  await ctx.db.datanets.add(datanet);
  return datanet;
}
