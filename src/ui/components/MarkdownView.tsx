import { Show, createSignal } from 'solid-js';

interface Props {
  markdown: string;
  class?: string;
}

type Render = (markdown: string) => string;

// markdown-it is a chunk of its own, fetched the first time some Markdown is shown (not on the first load of a page
// that only may show it, like the Create Datanet form).
let renderer: Promise<Render> | undefined;
const [loaded, setLoaded] = createSignal<Render>();
function loadRenderer(): void {
  renderer ??= import('../../core/markdown.ts').then((m) => {
    setLoaded(() => m.renderMarkdownSafe);
    return m.renderMarkdownSafe;
  });
}

/** Markdown rendered by `renderMarkdownSafe` (which sanitises: raw HTML is escaped, links are checked). */
export function MarkdownView(props: Props) {
  loadRenderer();
  // Until the renderer is in (a few ms), the text shows as written, never as unsanitised HTML.
  const html = () => {
    const render = loaded();
    return render ? render(props.markdown) : undefined;
  };
  const cls = () => `markdown ${props.class ?? ''}`;
  return (
    <Show when={html()} fallback={<div class={cls()}>{props.markdown}</div>}>
      {/* eslint-disable-next-line solid/no-innerhtml -- renderMarkdownSafe returns sanitised HTML */}
      {(h) => <div class={cls()} innerHTML={h()} />}
    </Show>
  );
}
