/**
 * The rule of every notification list: a later notice about the same thing (same `key`) replaces the
 * older one instead of piling up beside it, and the list keeps at most `max` notices (the oldest go).
 */
export interface KeyedNotice {
  readonly id: number;
  /** What the notice is about (e.g. `vote:<contribution id>`); notices without a key never replace others. */
  readonly key?: string | undefined;
}

/**
 * `list` (oldest first) with `notice` added at the end, any notice of the same key removed, and trimmed to
 * the newest `max`. Returns a new array; `list` is not changed.
 *
 * @throws RangeError when `max` is not a whole number >= 1.
 */
export function upsertNotice<T extends KeyedNotice>(list: readonly T[], notice: T, max: number): T[] {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a whole number >= 1 (got ${max})`);
  const kept = notice.key === undefined ? list.slice() : list.filter((n) => n.key !== notice.key);
  kept.push(notice);
  return kept.slice(-max);
}
