/**
 * Counts in words: "1 passage", "2 passages" — and the words that agree with a count ("it waits" / "they wait").
 */

/** `1 passage`, `2 passages`, `0 passages` (`many` for irregular plurals). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${byCount(n, one, many)}`;
}

/** `one` when `n` is 1, else `many`: for the words that agree with a count without printing it. */
export function byCount(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}
