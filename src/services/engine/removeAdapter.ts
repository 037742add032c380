/**
 * Removing an installed adapter.
 */
import { deleteAdapterRecord } from '../../store/adapters.ts';
import type { EngineContext } from './context.ts';

export async function removeAdapter(ctx: EngineContext, id: string): Promise<void> {
  const L = ctx.loaded;
  if (L?.registry.has(id)) await L.registry.remove(id); // lora/in-use while an answer uses it
  await deleteAdapterRecord(ctx.deps.db, id);
}
