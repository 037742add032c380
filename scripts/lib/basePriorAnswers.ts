/**
 * The headless trainer's prior preservation (`npm run cli -- train --prior-prompts N`): the BASE model's own greedy
 * answers to general questions, on the CPU backend, asked the way the engine worker asks them (the model's system
 * prompt and chat template through the same prompt builder, the same stop tokens, no repetition penalty, at most
 * `maxTokens` new tokens), so the CLI and the ModelFactory page train on the same kind of examples.
 */
import { configSpecialTokens, type ChatMessage } from '../../src/engine/chat/chatTemplate.ts';
import { createCpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { generate } from '../../src/engine/model/generate.ts';
import { createModel } from '../../src/engine/model/llama.ts';
import { buildPrompt } from '../../src/services/engine/prompt.ts';
import type { BaseModel } from './loadBaseModel.ts';

export async function basePriorAnswers(base: BaseModel, prompts: readonly string[], maxTokens: number, onAnswer?: (answered: number, total: number) => void): Promise<string[]> {
  const model = createModel(createCpuBackend(), base.config, base.weights);
  const stop = new Set(base.config.eosTokenIds);
  const eos = configSpecialTokens(base.tokenizerConfig).eos;
  const eosId = eos !== null ? base.tokenizer.tokenToId(eos) : undefined;
  if (eosId !== undefined) stop.add(eosId);
  const context = base.config.maxPositionEmbeddings;
  const answers: string[] = [];
  try {
    for (const question of prompts) {
      const messages: ChatMessage[] = [...(base.systemPrompt ? [{ role: 'system' as const, content: base.systemPrompt }] : []), { role: 'user', content: question }];
      const prompt = buildPrompt(base.tokenizer, base.tokenizerConfig, messages, maxTokens, context);
      const it = generate(model, prompt.ids, { maxNewTokens: prompt.answerTokens, sampling: { temperature: 0, repetitionPenalty: 1 }, stopTokens: [...stop] });
      const ids: number[] = [];
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        ids.push(r.value);
      }
      answers.push(base.tokenizer.decode(ids, { skipSpecialTokens: true }).trim());
      onAnswer?.(answers.length, prompts.length);
    }
  } finally {
    model.dispose();
  }
  return answers;
}
