/**
 * Engine preferences (adapter budget, weight format, CPU only): saved, and the model rebuilt when they change it.
 */
import type { EngineStats } from '../../workerApi/engineApi.ts';
import { TributaryError } from '../../core/errors.ts';
import { getEnginePrefs, setEnginePrefs, type EnginePrefs } from '../../store/models.ts';
import { chooseBackend } from './backendChoice.ts';
import type { EngineContext } from './context.ts';
import { exclusive } from './lock.ts';
import { adopt, rebuild } from './backend.ts';
import { stats } from './stats.ts';

export async function setPrefs(ctx: EngineContext, patch: Partial<EnginePrefs>): Promise<EngineStats> {
  if (patch.adapterBudgetBytes !== undefined && !(Number.isFinite(patch.adapterBudgetBytes) && patch.adapterBudgetBytes > 0)) {
    throw new TributaryError('engine/bad-config', `The adapter memory budget must be a positive number of bytes (got ${patch.adapterBudgetBytes}).`);
  }
  if (patch.quant !== undefined && !['f32', 'f16', 'q8', 'q4'].includes(patch.quant)) throw new TributaryError('engine/bad-config', `Unknown weight format ${String(patch.quant)}.`);
  await exclusive(ctx, async () => {
    const before = await getEnginePrefs(ctx.deps.db);
    const after = await setEnginePrefs(ctx.deps.db, patch);
    let needsRebuild = after.adapterBudgetBytes !== before.adapterBudgetBytes || after.quant !== before.quant;
    if (after.forceCpu !== before.forceCpu) {
      const c = await chooseBackend({ forceCpu: after.forceCpu, ...(ctx.deps.webgpu ? { webgpu: ctx.deps.webgpu } : {}) });
      const old = ctx.chosen;
      adopt(ctx, c);
      if (ctx.loaded) await rebuild(ctx);
      needsRebuild = false;
      if (old?.gpu && old.gpu !== c.gpu) {
        try {
          old.gpu.destroy();
        } catch {
          // gone
        }
      }
    }
    if (needsRebuild) await rebuild(ctx);
  });
  return stats(ctx);
}
