/**
 * In-page links that move the keyboard focus, not just the view: "New Datanet" scrolls to the form's heading
 * and puts the caret in the form's first field, so the next key typed goes there (a plain `#id` link leaves
 * focus on the link). Use as a link's click handler; without script the `href` still scrolls.
 */
const FOCUSABLE = 'input:not([type="hidden"]):not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled])';

export function jumpTo(e: MouseEvent, headingId: string): void {
  const heading = document.getElementById(headingId);
  if (!heading) return;
  e.preventDefault();
  const container = heading.closest('form, section, .card') ?? heading.parentElement;
  const field = container?.querySelector<HTMLElement>(FOCUSABLE);
  const reduce = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  heading.scrollIntoView({ block: 'start', behavior: reduce ? 'auto' : 'smooth' });
  if (field) {
    field.focus({ preventScroll: true });
  } else {
    if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
}
