/**
 * A short, safe description of any JSON value for an error message. `JSON.stringify` on a hostile
 * value (an array nested a million deep, a 50 MB string) overflows the stack or floods the message;
 * this walks at most `maxDepth` levels and `maxChars` characters, iteratively bounded, and never throws.
 */
export function describeValue(value: unknown, maxChars = 80, maxDepth = 4): string {
  let out = '';
  const full = (): boolean => out.length >= maxChars;
  const walk = (v: unknown, depth: number): void => {
    if (full()) return;
    if (v === null || typeof v === 'boolean' || typeof v === 'number') out += String(v);
    else if (typeof v === 'string') out += JSON.stringify(v.length > maxChars ? v.slice(0, maxChars) : v);
    else if (v === undefined) out += 'undefined';
    else if (Array.isArray(v)) {
      if (depth >= maxDepth) {
        out += '[…]';
        return;
      }
      out += '[';
      for (let i = 0; i < v.length && !full(); i++) {
        if (i > 0) out += ',';
        walk(v[i], depth + 1);
      }
      out += ']';
    } else if (typeof v === 'object') {
      if (depth >= maxDepth) {
        out += '{…}';
        return;
      }
      out += '{';
      let first = true;
      for (const k in v) {
        if (!Object.prototype.hasOwnProperty.call(v, k) || full()) continue;
        if (!first) out += ',';
        first = false;
        out += `${JSON.stringify(k.slice(0, maxChars))}:`;
        walk((v as Record<string, unknown>)[k], depth + 1);
      }
      out += '}';
    } else out += typeof v;
  };
  walk(value, 0);
  return out.length > maxChars ? `${out.slice(0, maxChars)}…` : out;
}
