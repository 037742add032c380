import { For, Show, createSignal } from 'solid-js';
import type { ContributionPreview } from '../../workerApi/dataApi.ts';
import { firstLines, formatBytes, plural } from '../lib/format.ts';
import { ErrorAlert } from './ErrorAlert.tsx';
import { keyboardScrollable } from '../lib/keyboardScrollable.ts';

const INITIAL_PASSAGES = 12;

/** One source after "Preview": its error, or its passages with duplicates marked. */
export function PreviewCard(props: { preview: ContributionPreview }) {
  const [showAll, setShowAll] = createSignal(false);
  return (
    <Show
      when={props.preview.ok ? props.preview : undefined}
      fallback={
        <article class="preview preview-error" aria-label={`Preview of ${props.preview.title}`}>
          <h3 class="preview-title">{props.preview.title}</h3>
          <ErrorAlert error={props.preview.ok ? undefined : { ...props.preview.error, subject: props.preview.error.subject ?? props.preview.title }} />
        </article>
      }
    >
      {(p) => {
        const duplicates = () => p().chunks.length - p().newChunkCount;
        const shown = () => (showAll() ? p().chunks : p().chunks.slice(0, INITIAL_PASSAGES));
        return (
          <article class="preview preview-ok" aria-label={`Preview of ${p().title}`}>
            <header class="preview-header">
              <h3 class="preview-title">{p().title}</h3>
              <p class="preview-stats">
                <span>{formatBytes(p().sourceBytes)}</span>
                <span>{plural(p().chunks.length, 'passage')}</span>
                <Show when={duplicates() > 0}>
                  <span class="warn">
                    {duplicates()} duplicate{duplicates() === 1 ? '' : 's'} excluded
                  </span>
                </Show>
                <span>{p().newChunkCount} new</span>
              </p>
            </header>
            <ol class="passages passages-preview" ref={keyboardScrollable} aria-label={`Passages of ${p().title}`}>
              <For each={shown()}>
                {(c) => (
                  <li class="passage" classList={{ 'passage-duplicate': !!c.duplicateOf }}>
                    <div class="passage-meta">
                      <span>Passage {c.index + 1}</span>
                      <Show when={c.duplicateOf}>
                        {(d) => (
                          <span class="badge badge-duplicate" title={d().contributionId}>
                            duplicate of {d().title} — excluded
                          </span>
                        )}
                      </Show>
                    </div>
                    <p class="passage-text">{firstLines(c.text)}</p>
                  </li>
                )}
              </For>
            </ol>
            <Show when={p().chunks.length > INITIAL_PASSAGES}>
              <button type="button" class="btn btn-ghost btn-small" onClick={() => setShowAll((s) => !s)}>
                {showAll() ? 'Show fewer passages' : `Show all ${p().chunks.length} passages`}
              </button>
            </Show>
          </article>
        );
      }}
    </Show>
  );
}
