/**
 * Exporting an installed adapter as its PEFT files (and, for an adapter trained in ModelFactory, its training log).
 */
import type { ExportedAdapter } from '../../workerApi/engineApi.ts';
import { TributaryError } from '../../core/errors.ts';
import { PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE } from '../../engine/lora/peft.ts';
import { getAdapterRecord } from '../../store/adapters.ts';
import type { EngineContext } from './context.ts';

export async function exportAdapter(ctx: EngineContext, id: string): Promise<ExportedAdapter> {
  const r = await getAdapterRecord(ctx.deps.db, id);
  if (!r) throw new TributaryError('lora/not-found', `No adapter with id ${id} is installed.`);
  const extraFiles: Record<string, Uint8Array> = {};
  for (const [name, blob] of Object.entries(r.trainingFiles ?? {})) extraFiles[name] = new Uint8Array(await blob.arrayBuffer());
  return {
    name: r.name,
    files: { [PEFT_CONFIG_FILE]: new TextEncoder().encode(r.config), [PEFT_WEIGHTS_FILE]: new Uint8Array(await r.weights.arrayBuffer()) } as ExportedAdapter['files'],
    ...(Object.keys(extraFiles).length > 0 ? { extraFiles } : {}),
  };
}
