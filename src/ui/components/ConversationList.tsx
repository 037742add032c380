import { For, Show, createSignal } from 'solid-js';
import type { ConversationSummary } from '../../core/conversation.ts';
import { formatDateTime, plural } from '../lib/format.ts';
import { ErrorAlert } from './ErrorAlert.tsx';
import './Chat.css';

export interface ConversationListProps {
  conversations: ConversationSummary[] | undefined;
  currentId: string | undefined;
  /** while an answer is being written: switching, deleting and starting another conversation wait */
  busy: boolean;
  onOpen: (id: string) => void;
  onNew: () => void;
  /** throws (a clear message, nothing changed) for a bad name */
  onRename: (id: string, title: string) => Promise<void>;
  onDelete: (c: ConversationSummary) => void;
  onExport: (id: string) => void;
}

/**
 * The conversations kept in this browser, last changed first: open one, start a new one, and for the open one rename
 * it, export it (JSON) or delete it (after a confirmation).
 */
export function ConversationList(props: ConversationListProps) {
  const [renaming, setRenaming] = createSignal<string>();
  const [name, setName] = createSignal('');
  const [error, setError] = createSignal<unknown>();
  let input: HTMLInputElement | undefined;

  const startRename = (c: ConversationSummary) => {
    setRenaming(c.id);
    setName(c.title);
    setError(undefined);
    queueMicrotask(() => input?.select());
  };
  const submit = async (e: SubmitEvent, id: string) => {
    e.preventDefault();
    setError(undefined);
    try {
      await props.onRename(id, name());
      setRenaming(undefined);
    } catch (err) {
      setError(err);
      input?.focus();
    }
  };

  return (
    <div class="conversation-list">
      <div class="row conversation-list-head">
        <button type="button" class="btn btn-secondary btn-small" disabled={props.busy} onClick={() => props.onNew()}>
          New conversation
        </button>
      </div>
      <Show when={(props.conversations ?? []).length > 0} fallback={<p class="hint">Your conversations are kept in this browser, also offline. None yet.</p>}>
        <ul class="conversations" aria-label="Conversations">
          <For each={props.conversations}>
            {(c) => {
              const current = () => c.id === props.currentId;
              return (
                <li class="conversation-item" classList={{ 'conversation-current': current() }} data-id={c.id}>
                  <button
                    type="button"
                    class="btn btn-ghost conversation-open"
                    aria-current={current() ? 'true' : undefined}
                    disabled={props.busy && !current()}
                    onClick={() => props.onOpen(c.id)}
                  >
                    <span class="conversation-title">{c.title}</span>
                    <span class="small muted conversation-meta">
                      {plural(c.questions, 'question')} · {formatDateTime(c.updatedAt)}
                    </span>
                  </button>
                  <Show when={current()}>
                    <Show
                      when={renaming() === c.id}
                      fallback={
                        <div class="row conversation-actions">
                          <button type="button" class="btn btn-ghost btn-small" onClick={() => startRename(c)}>
                            Rename
                          </button>
                          <button type="button" class="btn btn-ghost btn-small" onClick={() => props.onExport(c.id)}>
                            Export
                          </button>
                          <button type="button" class="btn btn-ghost btn-small conversation-delete" disabled={props.busy} onClick={() => props.onDelete(c)}>
                            Delete
                          </button>
                        </div>
                      }
                    >
                      <form class="conversation-rename" onSubmit={(e) => void submit(e, c.id)}>
                        <label for="conversation-name">Name of the conversation</label>
                        <input
                          id="conversation-name"
                          ref={input}
                          type="text"
                          autocomplete="off"
                          value={name()}
                          aria-invalid={error() ? 'true' : undefined}
                          onInput={(e) => setName(e.currentTarget.value)}
                          onKeyDown={(e) => e.key === 'Escape' && setRenaming(undefined)}
                        />
                        <ErrorAlert error={error()} title="The name was not changed" />
                        <div class="row">
                          <button type="submit" class="btn btn-primary btn-small">
                            Save name
                          </button>
                          <button type="button" class="btn btn-ghost btn-small" onClick={() => setRenaming(undefined)}>
                            Cancel
                          </button>
                        </div>
                      </form>
                    </Show>
                  </Show>
                </li>
              );
            }}
          </For>
        </ul>
      </Show>
    </div>
  );
}
