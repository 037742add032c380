/**
 * A reactive list of notices that expire: the shared machinery of the toasts and of in-page notices such
 * as Validate's vote results. A later notice with the same `key` replaces the older one (core/upsertNotice);
 * each notice expires after its lifetime unless the pointer or keyboard focus is inside the list (the
 * reader is busy with it), and can be dismissed at any time.
 */
import { createSignal, type Accessor } from 'solid-js';
import { upsertNotice } from '../../core/upsertNotice.ts';

export type NoticeKind = 'info' | 'success' | 'warning' | 'error';

export interface NoticeOptions {
  /** What the notice is about: a later notice with the same key replaces this one. */
  key?: string;
  /** Milliseconds before it goes; 0 keeps it until dismissed. Default: by kind (`NOTICE_LIFETIME_MS`). */
  ttlMs?: number;
}

/** How long a notice stays by default: errors stay until dismissed, warnings longer than confirmations. */
export const NOTICE_LIFETIME_MS: Record<NoticeKind, number> = { info: 10_000, success: 10_000, warning: 20_000, error: 0 };

export interface NoticeList<T> {
  notices: Accessor<(T & { id: number; key?: string | undefined; kind: NoticeKind })[]>;
  /** Adds a notice (replacing the one with the same key); returns its id. */
  show(notice: T & { kind: NoticeKind }, opts?: NoticeOptions): number;
  dismiss(id: number): void;
  /** While held (pointer or focus inside the list), nothing expires; expiry resumes when released. */
  hold(held: boolean): void;
}

export function createNoticeList<T extends object>(max: number): NoticeList<T> {
  type Entry = T & { id: number; key?: string | undefined; kind: NoticeKind };
  const [notices, setNotices] = createSignal<Entry[]>([]);
  let nextId = 1;
  let held = false;
  /** Notices whose lifetime ran out while the list was held. */
  const overdue = new Set<number>();

  const dismiss = (id: number) => {
    overdue.delete(id);
    setNotices((list) => list.filter((n) => n.id !== id));
  };
  const expire = (id: number) => {
    if (held) overdue.add(id);
    else dismiss(id);
  };

  return {
    notices,
    show(notice, opts = {}) {
      const id = nextId++;
      const entry = { ...notice, id, key: opts.key } as Entry;
      setNotices((list) => upsertNotice(list, entry, max));
      const ttl = opts.ttlMs ?? NOTICE_LIFETIME_MS[notice.kind];
      if (ttl > 0) setTimeout(() => expire(id), ttl);
      return id;
    },
    dismiss,
    hold(h) {
      held = h;
      if (held) return;
      // Released: what expired meanwhile goes a moment later, not under the reader's hand at once.
      const due = [...overdue];
      overdue.clear();
      if (due.length) setTimeout(() => due.forEach((id) => expire(id)), 2_000);
    },
  };
}
