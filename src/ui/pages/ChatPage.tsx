import { useSearchParams } from '@solidjs/router';
import { Show, createMemo, createSignal } from 'solid-js';
import { createStore, produce } from 'solid-js/store';
import type { ChatEvent, ChatMessageIn } from '../../workerApi/engineApi.ts';
import { getEngineApi } from '../../client/engineClient.ts';
import { listAdapters } from '../../store/adapters.ts';
import { getDb } from '../../store/db.ts';
import { ChatSettingsPanel, DEFAULT_CHAT_SETTINGS, type ChatSettings } from '../components/ChatSettingsPanel.tsx';
import { ChatTranscript, type ChatAnswer, type ChatTurn } from '../components/ChatTranscript.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { ModelBackendStatus } from '../components/ModelBackendStatus.tsx';
import { useEngine } from '../components/ModelEngineState.tsx';
import { ModelInfoPanel } from '../components/ModelInfoPanel.tsx';
import { ModelLoadForm } from '../components/ModelLoadForm.tsx';
import { ModelLoadProgress } from '../components/ModelLoadProgress.tsx';
import { WebLlmPanel } from '../components/WebLlmPanel.tsx';
import { AnswerPricePanel } from '../components/proofOfAttribution/AnswerPricePanel.tsx';
import { AttributionPanel } from '../components/proofOfAttribution/AttributionPanel.tsx';
import { traceAnswer } from '../lib/answerAttribution.ts';
import { activeAddress } from '../lib/identity.ts';
import { createLiveQuery } from '../lib/liveQuery.ts';

let nextRequest = 1;

export function ChatPage() {
  const engine = useEngine();
  const model = () => engine.stats()?.model ?? null;
  const signature = createMemo(() => model()?.signature);
  const adapters = createLiveQuery(() => signature(), (s) => listAdapters(getDb(), s));
  // `?adapter=<id>` (ModelFactory's "Chat with it") picks that adapter; the list below refreshes from IndexedDB live
  const [search] = useSearchParams<{ adapter?: string }>();
  const [settings, setSettings] = createStore<ChatSettings>({ ...DEFAULT_CHAT_SETTINGS, ...(search.adapter ? { adapterId: search.adapter } : {}) });
  const [turns, setTurns] = createStore<ChatTurn[]>([]);
  const [draft, setDraft] = createSignal('');
  const [running, setRunning] = createSignal<string>();
  let nextTurn = 1;

  // an adapter removed on the Adapters page (or of another model) cannot be chosen
  const adapterId = createMemo(() => {
    const id = settings.adapterId;
    return id && (adapters() ?? []).some((a) => a.id === id) ? id : '';
  });

  const emptyAnswer = (requestId: string): ChatAnswer => ({
    requestId,
    text: '',
    status: 'waiting',
    adapterId: null,
    adapterName: null,
    backend: null,
    generated: 0,
    tokensPerSecond: null,
    promptTokens: 0,
    droppedMessages: 0,
    seed: null,
    finishReason: null,
  });

  /** The conversation up to turn `index` (its question included, its answer not). */
  const messagesUpTo = (index: number): ChatMessageIn[] => {
    const out: ChatMessageIn[] = [];
    turns.forEach((t, i) => {
      if (i > index) return;
      out.push({ role: 'user', content: t.user });
      if (i < index && t.answer.status !== 'error') out.push({ role: 'assistant', content: t.answer.text });
    });
    return out;
  };

  const answer = async (index: number) => {
    const requestId = `chat-${Date.now()}-${nextRequest++}`;
    setTurns(index, 'answer', emptyAnswer(requestId));
    setRunning(requestId);
    const seedText = settings.seed.trim();
    const seed = seedText === '' ? undefined : Math.max(0, Math.floor(Number(seedText)));
    const onEvent = (e: ChatEvent) => {
      if (e.type === 'start') {
        setTurns(index, 'answer', { status: 'streaming', adapterId: e.adapterId, adapterName: e.adapterName, backend: e.backend, promptTokens: e.promptTokens, droppedMessages: e.droppedMessages, seed: e.seed });
      } else {
        setTurns(
          index,
          'answer',
          produce((a) => {
            a.text += e.text;
            a.generated = e.generated;
            if (e.tokensPerSecond !== null) a.tokensPerSecond = e.tokensPerSecond;
          }),
        );
      }
    };
    try {
      const r = await getEngineApi().chat(
        requestId,
        messagesUpTo(index),
        {
          adapterId: adapterId() || null,
          maxTokens: settings.maxTokens,
          temperature: settings.temperature,
          topP: settings.topP,
          topK: settings.topK,
          ...(seed !== undefined && Number.isFinite(seed) ? { seed } : {}),
        },
        onEvent,
      );
      setTurns(index, 'answer', {
        status: 'done',
        text: r.text,
        generated: r.generated,
        tokensPerSecond: r.tokensPerSecond,
        finishReason: r.finishReason,
        adapterId: r.adapterId,
        adapterName: r.adapterName,
        backend: r.backend,
        seed: r.seed,
        promptTokens: r.promptTokens,
        droppedMessages: r.droppedMessages,
      });
      // attribution runs after the stream, never in its way
      void traceAnswer({ requestId, prompt: turns[index]!.user, answer: r.text, modelId: model()?.id ?? '', adapterId: r.adapterId, payer: activeAddress() });
    } catch (err) {
      setTurns(index, 'answer', { status: 'error', error: err });
    } finally {
      setRunning(undefined);
      void engine.refresh();
    }
  };

  const send = (e: Event) => {
    e.preventDefault();
    const text = draft().trim();
    if (!text || running()) return;
    setTurns(turns.length, { id: nextTurn++, user: text, answer: emptyAnswer('') });
    setDraft('');
    void answer(turns.length - 1);
  };

  const stop = () => {
    const id = running();
    if (id) void getEngineApi().cancel(id);
  };

  const regenerate = () => {
    if (running() || turns.length === 0) return;
    void answer(turns.length - 1);
  };

  const newConversation = () => {
    if (running()) return;
    setTurns([]);
  };

  const backend = () => engine.stats()?.backend;
  const lastSpeed = () => {
    for (let i = turns.length - 1; i >= 0; i--) if (turns[i]!.answer.tokensPerSecond !== null) return turns[i]!.answer.tokensPerSecond;
    return engine.stats()?.lastTokensPerSecond ?? null;
  };

  return (
    <section class="page chat-page">
      <header class="page-header">
        <div>
          <h1>Chat</h1>
          <p class="lead">Ask a language model, on its own or with a LoRA adapter, right in your browser: it runs in a web worker on WebGPU, or on the CPU.</p>
        </div>
      </header>
      <div class="chat-layout">
        <div class="chat-main card">
          <Show when={turns.length > 0} fallback={<p class="empty chat-empty">No messages yet. Ask something below; switch the adapter between questions to compare answers.</p>}>
            <ChatTranscript turns={turns} afterAnswer={(t) => <AttributionPanel requestId={t.answer.requestId} />} />
          </Show>
          <form class="chat-composer" onSubmit={send}>
            <label for="chat-input" class="visually-hidden">
              Message
            </label>
            <textarea
              id="chat-input"
              rows="3"
              placeholder={model() ? 'Write a message…' : 'The model is loading…'}
              value={draft()}
              onInput={(e) => setDraft(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && !e.shiftKey) {
                  e.preventDefault();
                  e.currentTarget.form?.requestSubmit();
                }
              }}
            />
            <div class="chat-actions">
              <Show
                when={running()}
                fallback={
                  <button type="submit" class="btn btn-primary" disabled={!model() || draft().trim() === ''}>
                    Send
                  </button>
                }
              >
                <button type="button" class="btn btn-reject" onClick={stop}>
                  Stop
                </button>
              </Show>
              <button type="button" class="btn btn-ghost" disabled={!!running() || turns.length === 0} onClick={regenerate}>
                Regenerate
              </button>
              <button type="button" class="btn btn-ghost" disabled={!!running() || turns.length === 0} onClick={newConversation}>
                New conversation
              </button>
            </div>
          </form>
        </div>
        <aside class="chat-side">
          <section class="card" aria-labelledby="chat-model-title">
            <h2 id="chat-model-title">Model</h2>
            <Show when={engine.loadingLabel()}>{(label) => <ModelLoadProgress label={label()} progress={engine.progress()} />}</Show>
            <ErrorAlert error={engine.error()} title="The engine reported a problem" onDismiss={() => engine.clearError()} />
            <Show when={model()}>{(m) => <ModelInfoPanel model={m()} />}</Show>
            <ModelBackendStatus backend={backend()} forceCpu={engine.stats()?.prefs.forceCpu ?? false} onChanged={() => void engine.refresh()} />
            <p class="chat-speed" id="chat-speed">
              Speed:{' '}
              <strong>{lastSpeed() === null ? 'no answer yet' : `${(lastSpeed() ?? 0).toFixed(1)} tokens/s`}</strong>
              <Show when={backend()}>{(b) => <span class="muted"> on {b().name === 'webgpu' ? 'WebGPU' : 'the CPU'}</span>}</Show>
            </p>
          </section>
          <section class="card" aria-labelledby="chat-settings-title">
            <h2 id="chat-settings-title">Answer settings</h2>
            <ChatSettingsPanel settings={{ ...settings, adapterId: adapterId() }} onChange={(p) => setSettings(p)} adapters={adapters()} />
          </section>
          <section class="card" aria-labelledby="chat-load-title">
            <details class="model-load-details">
              <summary>
                <h2 id="chat-load-title" class="h3">
                  Load another model
                </h2>
              </summary>
              <ModelLoadForm currentQuant={model()?.quant} disabled={!!engine.loadingLabel() || !!running()} />
            </details>
          </section>
          <section class="card" aria-label="WebLLM">
            <WebLlmPanel />
          </section>
          <AnswerPricePanel modelId={model()?.id} modelLabel={model()?.label} adapterId={adapterId() || null} />
        </aside>
      </div>
    </section>
  );
}
