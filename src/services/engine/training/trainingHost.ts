/**
 * The engine as ModelFactory's training action sees it (`TrainingHost`), built over the engine's context: the loaded
 * model, a trainer on the engine's device, the exclusive section that makes training steps and answers take turns,
 * greedy answers with a not-yet-installed (draft) adapter for evaluation, the base model's own answers for prior
 * preservation, and installing a trained adapter.
 */
import { PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE } from '../../../engine/lora/peft.ts';
import { ensureBackend } from '../backend.ts';
import { chat } from '../chat.ts';
import type { EngineContext } from '../context.ts';
import { IdbAdapterStore } from '../idbAdapterStore.ts';
import { installAdapter } from '../installAdapter.ts';
import { loadedModel } from '../loadModel.ts';
import { exclusive } from '../lock.ts';
import { createEngineTrainer } from './engineTrainer.ts';
import type { TrainingHost } from './trainingAction.ts';

export function createTrainingHost(ctx: EngineContext): TrainingHost {
  let answers = 0;
  return {
    db: ctx.deps.db,
    now: ctx.deps.now,
    clock: ctx.clock,
    model: async () => {
      const L = await loadedModel(ctx);
      return { info: L.info, config: L.config, tokenizer: L.tokenizer, tokenizerConfig: L.tokenizerConfig, checkpoint: L.checkpoint, systemPrompt: L.systemPrompt };
    },
    createTrainer: async (init) => (ctx.deps.createTrainer ?? createEngineTrainer)(init, await ensureBackend(ctx)),
    exclusive: (fn) => exclusive(ctx, fn),
    answer: async (question, adapter, maxTokens) => {
      const L = await loadedModel(ctx);
      const store = L.registry.store;
      // an adapter not installed yet is served from the store's drafts for this answer only
      const draft = adapter && !L.registry.has(adapter.meta.id) && store instanceof IdbAdapterStore ? adapter : null;
      if (draft) {
        (store as IdbAdapterStore).drafts.set(draft.meta.id, draft);
        await L.registry.add(draft);
      }
      try {
        const r = await chat(ctx, `factory-eval-${++answers}`, [{ role: 'user', content: question }], { adapterId: adapter?.meta.id ?? null, temperature: 0, maxTokens, seed: 0 });
        return r.text;
      } finally {
        if (draft) {
          await L.registry.remove(draft.meta.id).catch(() => undefined);
          (store as IdbAdapterStore).drafts.delete(draft.meta.id);
        }
      }
    },
    baseAnswer: async (question, maxTokens) => {
      // repetition penalty 1: the base's own most likely answer (chat's default penalty would change what is kept)
      const r = await chat(ctx, `factory-prior-${++answers}`, [{ role: 'user', content: question }], { adapterId: null, temperature: 0, repetitionPenalty: 1, maxTokens, seed: 0 });
      return r.text;
    },
    install: async (adapter, files, extra) => {
      await loadedModel(ctx);
      adapter.meta.pricePerAnswer = extra.pricePerAnswer;
      const trainingFiles: Record<string, Blob> = {};
      for (const [k, v] of Object.entries(files)) if (k !== PEFT_CONFIG_FILE && k !== PEFT_WEIGHTS_FILE) trainingFiles[k] = new Blob([v.slice()]);
      return installAdapter(ctx, adapter, files[PEFT_CONFIG_FILE]!, files[PEFT_WEIGHTS_FILE]!, 'training', `trained in ModelFactory (run ${extra.training.runId})`, {
        training: extra.training,
        pricePerAnswer: extra.pricePerAnswer,
        trainingFiles,
      });
    },
  };
}
