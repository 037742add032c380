import { createNoticeList, type NoticeKind, type NoticeOptions } from './noticeList.ts';

export type ToastKind = NoticeKind;

const MAX_TOASTS = 4;
const list = createNoticeList<{ message: string }>(MAX_TOASTS);

/**
 * Show a short message in the status region. It goes after its lifetime (default by kind: errors stay until
 * dismissed); `key` names what it is about, so a later toast about the same thing replaces it. A number as
 * the third argument is the lifetime in ms (0 = until dismissed).
 */
export function showToast(message: string, kind: ToastKind = 'info', opts: NoticeOptions | number = {}): number {
  return list.show({ message, kind }, typeof opts === 'number' ? { ttlMs: opts } : opts);
}

export const dismissToast = list.dismiss;
export const holdToasts = list.hold;
export const toasts = list.notices;
