/**
 * The engine as the evidence action sees it (`EvidenceHost`), over the engine's context: the loaded model and, for
 * the bundled demo model, the SHA-256 of its weights file from the demo manifest (what the CLI's encoder hashes).
 */
import type { Hex } from '../../../core/types.ts';
import { appBase, type EngineContext } from '../context.ts';
import { DEMO_MODEL_PATH, fetchDemoManifest } from '../demoModel.ts';
import { loadedModel } from '../loadModel.ts';
import type { EvidenceHost } from './evidenceAction.ts';

export function createEvidenceHost(ctx: EngineContext): EvidenceHost {
  return {
    db: ctx.deps.db,
    model: () => loadedModel(ctx),
    async weightsFileHash(L) {
      if (L.info.origin.kind !== 'demo') return null;
      const demo = await fetchDemoManifest(appBase(ctx) + DEMO_MODEL_PATH, ctx.deps.fetch, ctx.deps.cache).catch(() => null);
      const weightFiles = demo?.files.filter((f) => f.path.endsWith('.safetensors') && !f.path.includes('/')) ?? [];
      const sha = weightFiles.length === 1 ? weightFiles[0]!.sha256 : undefined;
      return sha ? (`0x${sha.replace(/^0x/, '').toLowerCase()}` as Hex) : null;
    },
  };
}
