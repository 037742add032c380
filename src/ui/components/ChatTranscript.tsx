import { For, Show, type JSX } from 'solid-js';
import type { ConversationAnswer, ConversationTurn } from '../../core/conversation.ts';
import type { FinishReason } from '../../workerApi/engineApi.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

/** An answer as the page shows and the store keeps it (core/conversation). */
export type ChatAnswer = ConversationAnswer;
export type ChatTurn = ConversationTurn;

const FINISH: Record<FinishReason, string> = {
  eos: 'ended its turn',
  stop: 'stop sequence',
  length: 'max tokens reached',
  context: 'context full',
  abort: 'stopped',
};

const speed = (tps: number | null): string => (tps === null ? '' : ` · ${tps >= 100 ? tps.toFixed(0) : tps.toFixed(1)} tokens/s`);

/**
 * The conversation: each question, and each answer labelled with the adapter that wrote it, streaming in.
 * `afterAnswer` renders under each answer (the attribution panel, which arrives after the stream ends).
 */
export function ChatTranscript(props: { turns: ChatTurn[]; afterAnswer?: (t: ChatTurn) => JSX.Element }) {
  return (
    <ol class="chat-transcript" aria-label="Conversation">
      <For each={props.turns}>
        {(t) => (
          <li class="chat-turn">
            <div class="chat-message chat-user">
              <p class="chat-role">You</p>
              <p class="chat-text">{t.user}</p>
            </div>
            <div class={`chat-message chat-assistant chat-${t.answer.status}`} data-status={t.answer.status} aria-busy={t.answer.status === 'streaming' || t.answer.status === 'waiting'}>
              <p class="chat-role">
                <span class="chat-answered-by">{t.answer.adapterName ? `Adapter: ${t.answer.adapterName}` : 'Base model'}</span>
                <Show when={t.answer.backend}>
                  <span class="badge badge-neutral">{t.answer.backend === 'webgpu' ? 'WebGPU' : 'CPU'}</span>
                </Show>
              </p>
              <Show when={t.answer.status === 'waiting'}>
                <p class="muted">Waiting for the model…</p>
              </Show>
              <p class="chat-text chat-answer-text">{t.answer.text}</p>
              <Show when={t.answer.status === 'error'}>
                <ErrorAlert error={t.answer.error && (t.answer.error.code ? t.answer.error : t.answer.error.message)} title={t.answer.error?.code === 'conversation/interrupted' ? 'Cut off' : 'No answer'} />
              </Show>
              <Show when={t.answer.status !== 'waiting' && t.answer.status !== 'error'}>
                <p class="chat-answer-stats small muted">
                  {t.answer.generated} tokens{speed(t.answer.tokensPerSecond)}
                  {t.answer.seed !== null ? ` · seed ${t.answer.seed}` : ''}
                  {t.answer.finishReason ? ` · ${FINISH[t.answer.finishReason]}` : ''}
                  {t.answer.droppedMessages > 0 ? ` · ${t.answer.droppedMessages} oldest messages left out to fit the context` : ''}
                </p>
                <Show when={t.answer.modelLabel}>
                  {(label) => (
                    <p class="chat-answer-origin small muted">
                      Model: {label()}
                      {t.answer.settings ? ` · temperature ${t.answer.settings.temperature}, top-p ${t.answer.settings.topP}, top-k ${t.answer.settings.topK}, max ${t.answer.settings.maxTokens} tokens` : ''}
                    </p>
                  )}
                </Show>
              </Show>
              {props.afterAnswer?.(t)}
            </div>
          </li>
        )}
      </For>
    </ol>
  );
}
