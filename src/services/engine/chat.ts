/**
 * Answers: a chat request streams tokens through the serving scheduler (one forward pass per step over every
 * running answer); a WebGPU failure before the first token answers again on the CPU.
 */
import type { ChatEvent, ChatMessageIn, ChatOptions, ChatResult } from '../../workerApi/engineApi.ts';
import { TributaryError, isTributaryError } from '../../core/errors.ts';
import { speedFigure } from '../../core/speedFigure.ts';
import type { ChatMessage } from '../../engine/chat/chatTemplate.ts';
import { loraSlotBytes } from '../../engine/lora/pool.ts';
import { buildPrompt } from './prompt.ts';
import type { EngineContext } from './context.ts';
import type { Job } from './context.ts';
import { enterReader, exclusive, leaveReader } from './lock.ts';
import { fallbackToCpu } from './backend.ts';
import { ensureModel } from './loadModel.ts';
import { MAX_ADAPTER_RANK } from './buildModel.ts';

const clampInt = (v: number | undefined, lo: number, hi: number, dflt: number): number =>
  v === undefined || !Number.isFinite(v) ? dflt : Math.min(hi, Math.max(lo, Math.round(v)));

const errorCode = (e: unknown): string => (isTributaryError(e) ? e.code : '');

export async function chat(ctx: EngineContext, requestId: string, messages: ChatMessageIn[], opts: ChatOptions, onEvent?: (e: ChatEvent) => void): Promise<ChatResult> {
  if (ctx.jobs.has(requestId)) throw new TributaryError('engine/bad-config', `A request with id ${requestId} is already running.`);
  const job: Job = { requestId, ctrl: new AbortController() };
  ctx.jobs.set(requestId, job);
  const emit = (e: ChatEvent): void => {
    try {
      const r = onEvent?.(e) as unknown;
      if (r instanceof Promise) r.catch(() => undefined); // the page went away; the answer still finishes
    } catch {
      // idem
    }
  };
  const attempt = async (): Promise<ChatResult> => {
    if (!ctx.loaded) await ensureModel(ctx);
    await enterReader(ctx);
    try {
      if (!ctx.loaded) throw new TributaryError('engine/disposed', 'No model is loaded; load one and ask again.');
      return await runChat(ctx, job, messages, opts, emit);
    } finally {
      leaveReader(ctx);
    }
  };
  try {
    try {
      return await attempt();
    } catch (e) {
      if (!errorCode(e).startsWith('webgpu/') || ctx.chosen?.info.name !== 'webgpu') throw e;
      // the GPU failed: move to the CPU; answer again there unless this answer had already shown tokens
      await exclusive(ctx, () => fallbackToCpu(ctx, `WebGPU failed while answering (${(e as Error).message}).`));
      if ((e as { emitted?: boolean }).emitted || job.ctrl.signal.aborted) {
        throw new TributaryError('webgpu/device-lost', 'The GPU failed in the middle of this answer; the engine switched to the CPU. Press Regenerate to answer again.');
      }
      return await attempt();
    }
  } finally {
    ctx.jobs.delete(requestId);
  }
}

export async function cancel(ctx: EngineContext, requestId: string): Promise<boolean> {
  const j = ctx.jobs.get(requestId);
  if (!j) return false;
  j.ctrl.abort();
  return true;
}

async function runChat(ctx: EngineContext, job: Job, messagesIn: ChatMessageIn[], opts: ChatOptions, emit: (e: ChatEvent) => void): Promise<ChatResult> {
  const L = ctx.loaded!;
  const backend = ctx.chosen!.info.name;
  for (const m of messagesIn) {
    if (!['system', 'user', 'assistant'].includes(m.role) || typeof m.content !== 'string') {
      throw new TributaryError('engine/bad-config', 'Each message needs a role (system, user or assistant) and text.');
    }
  }
  const clean: ChatMessage[] = messagesIn.map((m) => ({ role: m.role, content: m.content }));
  const messages = L.systemPrompt && clean[0]?.role !== 'system' ? [{ role: 'system', content: L.systemPrompt }, ...clean] : clean;
  const maxTokens = clampInt(opts.maxTokens, 1, Math.max(1, L.maxSeq - 1), 128);
  const seed = opts.seed !== undefined && Number.isInteger(opts.seed) && opts.seed >= 0 ? opts.seed : ctx.randomSeed();
  const gd = L.generationDefaults;
  const sampling = {
    temperature: opts.temperature ?? gd.temperature ?? 0.7,
    topP: opts.topP ?? gd.topP ?? 0.9,
    topK: opts.topK ?? gd.topK ?? 40,
    repetitionPenalty: opts.repetitionPenalty ?? gd.repetitionPenalty ?? 1.1,
    seed,
  };
  const prompt = buildPrompt(L.tokenizer, L.tokenizerConfig, messages, maxTokens, L.maxSeq);
  const dropped = Math.max(0, prompt.dropped);
  const adapterId = opts.adapterId ?? null;
  let adapterName: string | null = null;
  if (adapterId) {
    const meta = L.registry.meta(adapterId); // lora/not-found for an adapter of another model
    adapterName = meta.name;
    if (meta.rank > L.info.maxAdapterRank) {
      const slotRank = [8, 16, MAX_ADAPTER_RANK].find((r) => r >= meta.rank) ?? MAX_ADAPTER_RANK;
      const need = Math.ceil((loraSlotBytes(L.config, slotRank) * 4) / 2 ** 20);
      throw new TributaryError(
        'engine/lora-slot',
        `Adapter "${meta.name}" has rank ${meta.rank}, but with the current memory budget the adapter slots hold rank ≤ ${L.info.maxAdapterRank}. Raise the budget on the Adapters page (to about ${need} MB).`,
      );
    }
  }
  const result: ChatResult = {
    requestId: job.requestId,
    text: '',
    generated: 0,
    promptTokens: prompt.ids.length,
    droppedMessages: dropped,
    finishReason: 'abort',
    prefillMs: 0,
    decodeMs: 0,
    tokensPerSecond: null,
    adapterId,
    adapterName,
    backend,
    seed,
  };
  let emitted = false;
  try {
    emit({ type: 'start', requestId: job.requestId, promptTokens: prompt.ids.length, droppedMessages: dropped, adapterId, adapterName, backend, seed });
    const dec = L.tokenizer.createStreamDecoder({ skipSpecialTokens: true });
    const t0 = ctx.clock();
    let tFirst = 0;
    const handle = L.scheduler.submit({
      prompt: prompt.ids,
      adapterId,
      maxNewTokens: prompt.answerTokens,
      maxSeq: Math.min(L.maxSeq, prompt.ids.length + prompt.answerTokens + 1),
      sampling,
      stopTokens: L.stopTokens,
      ...(opts.stop && opts.stop.length > 0 ? { stopStrings: opts.stop, decode: (ids: readonly number[]) => L.tokenizer.decode(ids, { skipSpecialTokens: true }) } : {}),
      signal: job.ctrl.signal,
    });
    for await (const id of handle) {
      const now = ctx.clock();
      result.generated++;
      if (result.generated === 1) {
        tFirst = now;
        result.prefillMs = now - t0;
      }
      const piece = dec.push(id);
      result.text += piece;
      const tps = result.generated > 1 ? ((result.generated - 1) * 1000) / Math.max(now - tFirst, 1e-3) : null;
      emitted = true;
      emit({ type: 'token', requestId: job.requestId, text: piece, generated: result.generated, tokensPerSecond: tps });
    }
    const outcome = await handle.result;
    const tail = dec.flush();
    if (tail) {
      result.text += tail;
      emit({ type: 'token', requestId: job.requestId, text: tail, generated: result.generated, tokensPerSecond: null });
    }
    const tEnd = ctx.clock();
    result.finishReason = outcome.finishReason;
    if (result.generated === 0) result.prefillMs = tEnd - t0;
    result.decodeMs = result.generated > 0 ? tEnd - tFirst : 0;
    result.tokensPerSecond = result.generated > 1 ? ((result.generated - 1) * 1000) / Math.max(result.decodeMs, 1e-3) : null;
    ctx.lastSpeed = speedFigure(result.tokensPerSecond, backend) ?? ctx.lastSpeed;
    return result;
  } catch (e) {
    if (emitted && typeof e === 'object' && e !== null) (e as { emitted?: boolean }).emitted = true;
    throw e;
  }
}
