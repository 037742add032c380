import { renderMarkdownSafe } from '../../core/markdown.ts';

interface Props {
  markdown: string;
  class?: string;
}

/** Markdown rendered by `renderMarkdownSafe` (which sanitises: raw HTML is escaped, links are checked). */
export function MarkdownView(props: Props) {
  // eslint-disable-next-line solid/no-innerhtml -- renderMarkdownSafe returns sanitised HTML
  return <div class={`markdown ${props.class ?? ''}`} innerHTML={renderMarkdownSafe(props.markdown)} />;
}
