import { createSignal } from 'solid-js';

export type ToastKind = 'info' | 'success' | 'warning' | 'error';

export interface Toast {
  id: number;
  kind: ToastKind;
  message: string;
}

const MAX_TOASTS = 4;
const [toasts, setToasts] = createSignal<Toast[]>([]);
let nextId = 1;

/** Show a short message in the status region; it disappears after `ttlMs` (0 = until dismissed). */
export function showToast(message: string, kind: ToastKind = 'info', ttlMs = 12_000): number {
  const id = nextId++;
  setToasts((list) => [...list, { id, kind, message }].slice(-MAX_TOASTS));
  if (ttlMs > 0) setTimeout(() => dismissToast(id), ttlMs);
  return id;
}

export function dismissToast(id: number): void {
  setToasts((list) => list.filter((t) => t.id !== id));
}

export { toasts };
