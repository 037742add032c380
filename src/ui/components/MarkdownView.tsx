import { createEffect } from 'solid-js';
import { renderMarkdownSafe } from '../../core/markdown.ts';
import { keyboardScrollable } from '../lib/keyboardScrollable.ts';

interface Props {
  markdown: string;
  class?: string;
}

/**
 * Markdown rendered by `renderMarkdownSafe` (which sanitises: raw HTML is escaped, links are checked). Code blocks
 * too wide for the column scroll, and can be scrolled by keyboard.
 */
export function MarkdownView(props: Props) {
  let root: HTMLDivElement | undefined;
  const html = () => renderMarkdownSafe(props.markdown);
  createEffect(() => {
    html();
    for (const pre of Array.from(root?.querySelectorAll('pre') ?? [])) keyboardScrollable(pre);
  });
  // eslint-disable-next-line solid/no-innerhtml -- renderMarkdownSafe returns sanitised HTML
  return <div ref={root} class={`markdown ${props.class ?? ''}`} innerHTML={html()} />;
}
