/**
 * A header popover (wallet, new identity) that behaves as keyboard users expect: opening moves focus into
 * it, Escape closes it and puts focus back on its trigger, a click outside closes it. The trigger is the
 * root's direct child `button[aria-expanded]`.
 *
 *   const pop = createPopover();
 *   <div ref={pop.root}><button aria-expanded={pop.open()} onClick={pop.toggle}>…</button>
 *     <Show when={pop.open()}><div ref={pop.panel}>…</div></Show></div>
 */
import { createSignal, onCleanup, onMount } from 'solid-js';

const FOCUSABLE = 'input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), button:not([disabled]), a[href]';

export function createPopover(opts: { initiallyOpen?: boolean } = {}) {
  // initially open: e.g. the wallet list, opened by the press that loaded its code
  const [open, setOpen] = createSignal(opts.initiallyOpen === true);
  let rootEl: HTMLElement | undefined;
  let panelEl: HTMLElement | undefined;

  const trigger = () => rootEl?.querySelector<HTMLElement>(':scope > button[aria-expanded]') ?? undefined;

  const close = (returnFocus = false) => {
    if (!open()) return;
    setOpen(false);
    if (returnFocus) trigger()?.focus();
  };
  // after the panel renders: focus its first control (or the panel itself)
  const focusInside = () =>
    queueMicrotask(() => {
      const first = panelEl?.querySelector<HTMLElement>(FOCUSABLE);
      if (first) first.focus();
      else if (panelEl) {
        panelEl.tabIndex = -1;
        panelEl.focus();
      }
    });
  const show = () => {
    setOpen(true);
    focusInside();
  };

  onMount(() => {
    // opened by the press that loaded the popover's code: focus goes inside, as for any opening
    if (opts.initiallyOpen === true) focusInside();
    const onDoc = (e: MouseEvent) => {
      if (open() && rootEl && !rootEl.contains(e.target as Node)) setOpen(false);
    };
    // Escape anywhere (focus inside the popover, on its trigger, or left on the page after a click) closes it.
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || !open()) return;
      e.preventDefault();
      close(true);
    };
    document.addEventListener('click', onDoc);
    document.addEventListener('keydown', onKey);
    onCleanup(() => {
      document.removeEventListener('click', onDoc);
      document.removeEventListener('keydown', onKey);
    });
  });

  return {
    open,
    show,
    close,
    toggle: () => (open() ? close() : show()),
    root: (el: HTMLElement) => {
      rootEl = el;
    },
    panel: (el: HTMLElement) => {
      panelEl = el;
    },
  };
}
