/**
 * Makes a scrolling box reachable by keyboard while (and only while) its content overflows it: it becomes a
 * tab stop (`tabindex="0"`), so arrow keys scroll it (WCAG 2.1.1; axe `scrollable-region-focusable`). A box
 * whose content fits adds no tab stop. Use as a ref, with `role="region"` and an `aria-label` naming it:
 *
 *   <div class="table-wrap" ref={keyboardScrollable} role="region" aria-label="Votes">…</div>
 */
import { onCleanup } from 'solid-js';

export function keyboardScrollable(el: HTMLElement): void {
  const update = () => {
    const overflows = el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1;
    if (overflows) el.tabIndex = 0;
    else el.removeAttribute('tabindex');
  };
  if (typeof ResizeObserver === 'undefined') {
    el.tabIndex = 0;
    return;
  }
  // The box resizes with the window; its content (a table, a list) when rows come and go.
  const observer = new ResizeObserver(update);
  observer.observe(el);
  const observeContent = () => {
    for (const child of Array.from(el.children)) observer.observe(child);
  };
  const mutations = new MutationObserver(() => {
    observeContent();
    update();
  });
  mutations.observe(el, { childList: true });
  queueMicrotask(() => {
    observeContent();
    update();
  });
  onCleanup(() => {
    observer.disconnect();
    mutations.disconnect();
  });
}
