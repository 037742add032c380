/**
 * Event handlers for an element whose notices must not expire while someone uses them: held while the
 * pointer is over it or keyboard focus is inside it, released when neither is.
 */
export function createHoldTracker(hold: (held: boolean) => void) {
  let pointer = false;
  let focus = false;
  const update = () => hold(pointer || focus);
  return {
    onPointerEnter: () => {
      pointer = true;
      update();
    },
    onPointerLeave: () => {
      pointer = false;
      update();
    },
    onFocusIn: () => {
      focus = true;
      update();
    },
    onFocusOut: (e: FocusEvent) => {
      const root = e.currentTarget as HTMLElement;
      focus = !!e.relatedTarget && root.contains(e.relatedTarget as Node);
      update();
    },
  };
}
