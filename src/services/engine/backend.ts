/**
 * Backend choice and fallback: WebGPU, else the CPU (with the reason); a WebGPU device loss moves the engine to the
 * CPU and rebuilds the loaded model there from its checkpoint.
 */
import type { BackendInfo } from '../../workerApi/engineApi.ts';
import { createCpuBackend } from '../../engine/cpu/cpuBackend.ts';
import { getEnginePrefs } from '../../store/models.ts';
import { chooseBackend, cpuBackendInfo, type ChosenBackend } from './backendChoice.ts';
import type { EngineContext } from './context.ts';
import { exclusive } from './lock.ts';
import { buildModel } from './buildModel.ts';

export async function init(ctx: EngineContext, opts: { appBaseUrl: string }): Promise<BackendInfo> {
  ctx.appBaseUrl = opts.appBaseUrl.endsWith('/') ? opts.appBaseUrl : opts.appBaseUrl + '/';
  return (await ensureBackend(ctx)).info;
}

export function ensureBackend(ctx: EngineContext): Promise<ChosenBackend> {
  if (ctx.chosen) return Promise.resolve(ctx.chosen);
  ctx.choosing ??= (async () => {
    const prefs = await getEnginePrefs(ctx.deps.db);
    const c = await chooseBackend({ forceCpu: prefs.forceCpu, ...(ctx.deps.webgpu ? { webgpu: ctx.deps.webgpu } : {}) });
    adopt(ctx, c);
    return c;
  })().finally(() => {
    ctx.choosing = null;
  });
  return ctx.choosing;
}

export function adopt(ctx: EngineContext, c: ChosenBackend): void {
  ctx.chosen = c;
  const gpu = c.gpu;
  if (gpu) {
    void gpu.lost.then((reason) => {
      if (ctx.chosen?.gpu !== gpu) return; // already replaced
      void exclusive(ctx, () => fallbackToCpu(ctx, `The WebGPU device was lost (${reason}).`)).catch((e: unknown) => console.error('[engine] CPU fallback failed', e));
    });
  }
}

/** Moves to the CPU backend and rebuilds the model there. Call inside `exclusive`. */
export async function fallbackToCpu(ctx: EngineContext, reason: string): Promise<void> {
  const old = ctx.chosen;
  if (!old || old.info.name !== 'webgpu') return;
  const info = cpuBackendInfo(`${reason} The engine switched to the CPU backend.`, { reason, at: ctx.deps.now() });
  ctx.chosen = { backend: createCpuBackend(), info, gpu: null };
  if (ctx.loaded) await rebuild(ctx, old);
  try {
    old.gpu?.destroy();
  } catch {
    // already gone
  }
}

export async function loseGpuDevice(ctx: EngineContext): Promise<boolean> {
  const c = await ensureBackend(ctx);
  if (!c.gpu) return false;
  c.gpu.loseDevice();
  // a destroyed device does not report itself lost: say it here (a real loss arrives through `lost`)
  await exclusive(ctx, () => fallbackToCpu(ctx, 'The WebGPU device was destroyed (simulated from the engine diagnostics).'));
  return true;
}

/** Re-creates the loaded model on the current backend (new budget, quantisation or backend). Call inside `exclusive`. */
export async function rebuild(ctx: EngineContext, _from?: ChosenBackend): Promise<void> {
  const L = ctx.loaded;
  if (!L) return;
  const prefs = await getEnginePrefs(ctx.deps.db);
  L.scheduler.close();
  L.pool.close();
  try {
    L.model.dispose();
  } catch {
    // a lost device may refuse; the new model does not need it
  }
  const chosen = await ensureBackend(ctx);
  const built = await buildModel(chosen, L.config, L.checkpoint, prefs.quant, prefs.adapterBudgetBytes, () => undefined);
  L.model = built.model;
  Object.assign(L, built.serving(L.registry));
  L.maxSeq = built.maxSeq;
  L.info = { ...L.info, quant: prefs.quant, memory: built.model.memory(), contextLength: built.maxSeq, maxAdapterRank: built.maxRank };
}
