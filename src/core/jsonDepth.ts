/**
 * True when a parsed JSON value nests deeper than `limit` arrays/objects. Iterative (an explicit
 * stack), so a value nested a million deep is measured without recursion; it stops at the first path
 * past the limit. Every parser of a file with a known shape (config.json, adapter_config.json,
 * tokenizer.json) calls this first, so nothing after it (builders, error messages) recurses unboundedly.
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 0 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > limit) return true;
    const children = Array.isArray(v) ? v : Object.values(v);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push({ v: child, depth: depth + 1 });
  }
  return false;
}
