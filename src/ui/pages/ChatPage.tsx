import { useSearchParams } from '@solidjs/router';
import { Show, createMemo, createSignal, onMount } from 'solid-js';
import { createStore, produce, reconcile, unwrap } from 'solid-js/store';
import type { ChatEvent, ChatMessageIn } from '../../workerApi/engineApi.ts';
import { getEngineApi } from '../../client/engineClient.ts';
import { nextTurnId, type AnswerError, type Conversation, type ConversationSummary } from '../../core/conversation.ts';
import { describeSpeed, speedFigure } from '../../core/speedFigure.ts';
import { listAdapters } from '../../store/adapters.ts';
import {
  createConversation,
  deleteConversation,
  getConversation,
  listConversations,
  openConversation,
  putTurn,
  renameConversation,
  restoreLastConversation,
  setAnswerAttribution,
} from '../../store/conversations.ts';
import { getDb } from '../../store/db.ts';
import { ChatSettingsPanel, DEFAULT_CHAT_SETTINGS, type ChatSettings } from '../components/ChatSettingsPanel.tsx';
import { ChatTranscript, type ChatAnswer, type ChatTurn } from '../components/ChatTranscript.tsx';
import { ConversationList } from '../components/ConversationList.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { ModelBackendStatus } from '../components/ModelBackendStatus.tsx';
import { useEngine } from '../components/ModelEngineState.tsx';
import { ModelInfoPanel } from '../components/ModelInfoPanel.tsx';
import { ModelLoadForm } from '../components/ModelLoadForm.tsx';
import { ModelLoadProgress } from '../components/ModelLoadProgress.tsx';
import { WebLlmPanel } from '../components/WebLlmPanel.tsx';
import { AnswerPricePanel } from '../components/proofOfAttribution/AnswerPricePanel.tsx';
import { AttributionPanel } from '../components/proofOfAttribution/AttributionPanel.tsx';
import { answerAttribution, traceAnswer } from '../lib/answerAttribution.ts';
import { downloadConversation } from '../lib/conversationExport.ts';
import { toShownError } from '../lib/errors.ts';
import { shortHash } from '../lib/format.ts';
import { activeAddress } from '../lib/identity.ts';
import { createLiveQuery } from '../lib/liveQuery.ts';
import { showToast } from '../lib/toasts.ts';

let nextRequest = 1;

/** What an answer keeps of an error: its code and the message the user saw. */
function answerError(e: unknown): AnswerError {
  const shown = toShownError(e);
  return { ...(shown.code ? { code: shown.code } : {}), message: shown.subject ? `${shown.subject}: ${shown.message}` : shown.message };
}

export function ChatPage() {
  const engine = useEngine();
  const db = getDb();
  const model = () => engine.stats()?.model ?? null;
  const signature = createMemo(() => model()?.signature);
  const adapters = createLiveQuery(() => signature(), (s) => listAdapters(db, s));
  const conversations = createLiveQuery(() => listConversations(db));
  // `?adapter=<id>` (ModelFactory's "Chat with it") picks that adapter; the list below refreshes from IndexedDB live
  const [search] = useSearchParams<{ adapter?: string }>();
  const [settings, setSettings] = createStore<ChatSettings>({ ...DEFAULT_CHAT_SETTINGS, ...(search.adapter ? { adapterId: search.adapter } : {}) });
  const [turns, setTurns] = createStore<ChatTurn[]>([]);
  /** the open conversation (undefined: none yet; the first question creates one) */
  const [conversationId, setConversationId] = createSignal<string>();
  const [restoring, setRestoring] = createSignal(true);
  const [storeError, setStoreError] = createSignal<unknown>();
  const [draft, setDraft] = createSignal('');
  const [running, setRunning] = createSignal<string>();

  const show = (c: Conversation | undefined) => {
    setConversationId(c?.id);
    setTurns(reconcile(c ? c.turns : []));
  };

  // a reload (online or offline) comes back to the conversation open last
  onMount(() => {
    void restoreLastConversation(db)
      .then(show)
      .catch(setStoreError)
      .finally(() => setRestoring(false));
  });

  // an adapter removed on the Adapters page (or of another model) cannot be chosen
  const adapterId = createMemo(() => {
    const id = settings.adapterId;
    return id && (adapters() ?? []).some((a) => a.id === id) ? id : '';
  });

  /** Keeps turn `index` of conversation `id` as it is now (a plain copy: the store's proxies cannot be cloned). */
  let saving: Promise<void> = Promise.resolve();
  /**
   * Keeps turn `index` of conversation `id` as it is now (a plain copy: the store's proxies cannot be cloned). Writes
   * queue one after the other, so a later state of a turn never lands before an earlier one; nobody waits for them.
   */
  const save = (id: string, index: number): void => {
    const turn = structuredClone(unwrap(turns[index]!));
    const at = Date.now();
    saving = saving.then(() =>
      putTurn(db, id, turn, at).then(
        () => undefined,
        (e: unknown) => void setStoreError(e),
      ),
    );
  };

  const seedAsked = (): number | null => {
    const seedText = settings.seed.trim();
    const seed = seedText === '' ? NaN : Math.max(0, Math.floor(Number(seedText)));
    return Number.isFinite(seed) ? seed : null;
  };

  const emptyAnswer = (requestId: string): ChatAnswer => ({
    requestId,
    text: '',
    status: 'waiting',
    modelId: model()?.id ?? null,
    modelLabel: model()?.label ?? null,
    adapterId: null,
    adapterName: null,
    settings: { temperature: settings.temperature, topP: settings.topP, topK: settings.topK, maxTokens: settings.maxTokens, seed: seedAsked() },
    backend: null,
    generated: 0,
    tokensPerSecond: null,
    promptTokens: 0,
    droppedMessages: 0,
    seed: null,
    finishReason: null,
    attribution: null,
    error: null,
    askedAt: Date.now(),
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

  const answer = async (id: string, index: number) => {
    const requestId = `chat-${Date.now()}-${nextRequest++}`;
    setTurns(index, 'answer', emptyAnswer(requestId));
    setRunning(requestId);
    save(id, index);
    const asked = turns[index]!.answer.settings!;
    // stream events come over their own channel and may arrive after the result: once it is in, they are stale
    let finished = false;
    const onEvent = (e: ChatEvent) => {
      if (finished) return;
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
          maxTokens: asked.maxTokens,
          temperature: asked.temperature,
          topP: asked.topP,
          topK: asked.topK,
          ...(asked.seed !== null ? { seed: asked.seed } : {}),
        },
        onEvent,
      );
      finished = true;
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
      save(id, index);
      // attribution runs after the stream, never in its way; its record's hash is kept with the answer
      const modelId = turns[index]!.answer.modelId ?? '';
      void traceAnswer({ requestId, prompt: turns[index]!.user, answer: r.text, modelId, adapterId: r.adapterId, payer: activeAddress() }).then(() => keepAttribution(id, requestId));
    } catch (err) {
      finished = true;
      setTurns(index, 'answer', { status: 'error', error: answerError(err) });
      save(id, index);
    } finally {
      setRunning(undefined);
      void engine.refresh();
    }
  };

  /** Once the trace of an answer is recorded, its record's hash is kept with the answer (if it still exists). */
  const keepAttribution = async (id: string, requestId: string): Promise<void> => {
    const traced = answerAttribution(requestId);
    if (traced?.status !== 'done') return;
    const recordHash = traced.recorded.stored.hash;
    await setAnswerAttribution(db, id, requestId, recordHash).catch(() => false);
    if (conversationId() !== id) return;
    const at = turns.findIndex((t) => t.answer.requestId === requestId);
    if (at !== -1) setTurns(at, 'answer', 'attribution', { recordHash });
  };

  let creating = false;
  const send = async (e: Event) => {
    e.preventDefault();
    const text = draft().trim();
    if (!text || running() || creating) return;
    let id = conversationId();
    if (!id) {
      // the first question of a new page creates its conversation (a second Send meanwhile is ignored)
      creating = true;
      try {
        id = (await createConversation(db, Date.now())).id;
        setConversationId(id);
      } catch (err) {
        setStoreError(err);
        return;
      } finally {
        creating = false;
      }
    }
    setTurns(turns.length, { id: nextTurnId({ turns }), user: text, answer: emptyAnswer('') });
    setDraft('');
    await answer(id, turns.length - 1);
  };

  const stop = () => {
    const id = running();
    if (id) void getEngineApi().cancel(id);
  };

  const regenerate = () => {
    const id = conversationId();
    if (running() || turns.length === 0 || !id) return;
    void answer(id, turns.length - 1);
  };

  const newConversation = async () => {
    if (running()) return;
    setStoreError(undefined);
    // an empty conversation is already new: no second empty one
    if (conversationId() && turns.length === 0) return;
    try {
      show(await createConversation(db, Date.now()));
    } catch (err) {
      setStoreError(err);
    }
  };

  const open = async (id: string) => {
    if (running() || id === conversationId()) return;
    setStoreError(undefined);
    try {
      show(await openConversation(db, id));
    } catch (err) {
      setStoreError(err);
    }
  };

  const rename = async (id: string, title: string) => {
    await renameConversation(db, id, title, Date.now());
  };

  const remove = async (c: ConversationSummary) => {
    if (running()) return;
    if (!window.confirm(`Delete the conversation “${c.title}”? Its ${c.questions} question(s) and answers are removed from this browser; this cannot be undone.`)) return;
    setStoreError(undefined);
    try {
      await deleteConversation(db, c.id);
      if (conversationId() === c.id) {
        const next = (await listConversations(db))[0];
        show(next ? await openConversation(db, next.id) : undefined);
      }
      showToast(`Deleted “${c.title}”.`, 'success');
    } catch (err) {
      setStoreError(err);
    }
  };

  const exportJson = async (id: string) => {
    setStoreError(undefined);
    try {
      const c = await getConversation(db, id);
      if (!c) throw new Error('This conversation is no longer stored.');
      downloadConversation(c);
    } catch (err) {
      setStoreError(err);
    }
  };

  const backend = () => engine.stats()?.backend;
  // every figure names the backend that produced it: the CPU's speed is never shown as WebGPU's
  const speed = createMemo(() => describeSpeed([engine.stats()?.lastSpeed ?? null, ...turns.map((t) => speedFigure(t.answer.tokensPerSecond, t.answer.backend))], backend()?.name ?? null));

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
          <ErrorAlert error={storeError()} title="Your conversations could not be read or saved" onDismiss={() => setStoreError(undefined)} />
          <Show
            when={turns.length > 0}
            fallback={
              <p class="empty chat-empty">
                {restoring() ? 'Opening your last conversation…' : 'No messages yet. Ask something below; switch the adapter between questions to compare answers.'}
              </p>
            }
          >
            <ChatTranscript
              turns={turns}
              afterAnswer={(t) => (
                <>
                  <AttributionPanel requestId={t.answer.requestId} />
                  {/* after a reload the live panel is gone: the record this answer was traced to is still named */}
                  <Show when={!answerAttribution(t.answer.requestId) && t.answer.attribution}>
                    {(a) => (
                      <p class="small muted chat-attribution-kept">
                        Attribution record <code title={a().recordHash}>{shortHash(a().recordHash)}</code>
                      </p>
                    )}
                  </Show>
                </>
              )}
            />
          </Show>
          <form class="chat-composer" onSubmit={(e) => void send(e)}>
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
                  <button type="submit" class="btn btn-primary" disabled={!model() || restoring() || draft().trim() === ''}>
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
            </div>
          </form>
        </div>
        <aside class="chat-side">
          <section class="card" aria-labelledby="chat-conversations-title">
            <h2 id="chat-conversations-title">Conversations</h2>
            <ConversationList
              conversations={conversations()}
              currentId={conversationId()}
              busy={!!running()}
              onOpen={(id) => void open(id)}
              onNew={() => void newConversation()}
              onRename={rename}
              onDelete={(c) => void remove(c)}
              onExport={(id) => void exportJson(id)}
            />
          </section>
          <section class="card" aria-labelledby="chat-model-title">
            <h2 id="chat-model-title">Model</h2>
            <Show when={engine.loadingLabel()}>{(label) => <ModelLoadProgress label={label()} progress={engine.progress()} />}</Show>
            <ErrorAlert error={engine.error()} title="The engine reported a problem" onDismiss={() => engine.clearError()} />
            <Show when={model()}>{(m) => <ModelInfoPanel model={m()} />}</Show>
            <ModelBackendStatus backend={backend()} forceCpu={engine.stats()?.prefs.forceCpu ?? false} onChanged={() => void engine.refresh()} />
            <p class="chat-speed" id="chat-speed" data-backend={speed().figure?.backend ?? ''}>
              Speed: <strong>{speed().text}</strong>
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
