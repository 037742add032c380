/**
 * The engine as the evidence action sees it (`EvidenceHost`), over the engine's context: the loaded model and the
 * SHA-256 of its weight files, computed when it was loaded (services/engine/weightsHash: what the CLI's encoder hashes).
 */
import type { EngineContext } from '../context.ts';
import { loadedModel } from '../loadModel.ts';
import type { EvidenceHost } from './evidenceAction.ts';

export function createEvidenceHost(ctx: EngineContext): EvidenceHost {
  return {
    db: ctx.deps.db,
    model: () => loadedModel(ctx),
    weightsFileHash: (L) => Promise.resolve(L.info.weightsHash ?? null),
  };
}
