/**
 * A backtracking-safety check for regular expressions that come from files (tokenizer.json Split and
 * Replace patterns, PEFT `target_modules`). JavaScript's engine backtracks, so `(a+)+$`, `(a|a)*b` or
 * `(.*)*x` take exponential time on a short hostile input and hang the worker.
 *
 * The safe subset, checked on the pattern's syntax (no input is run):
 * - star height 1: a repeat (`*`, `+`, `{n,}` or `{n,m}` with m > 1) may not apply to a group that
 *   itself holds a repeat or an alternation `|` (the ambiguous shapes behind exponential backtracking);
 * - no backreferences (`\1`, `\k<name>`), which no linear bound covers;
 * - at most `maxRepeats` unbounded repeats in the whole pattern (each one can multiply the work on a
 *   failing match by the input length), and at most `maxLength` characters.
 * Every pre-tokenizer pattern of real tokenizers (GPT-2, Llama 3, Qwen2, Mistral) and every PEFT regex
 * peft's docs show fit this subset.
 *
 * Returns why a pattern is refused, or null when it is inside the subset. Pure; no regex is compiled.
 */
export interface RegexSafetyLimits {
  maxLength: number;
  maxRepeats: number;
}

interface Group {
  /** holds a repeat with an upper bound above 1 (directly or in a nested group) */
  repeats: boolean;
  /** holds an alternation (directly or in a nested group) */
  alternates: boolean;
}

export function regexSafetyProblem(pattern: string, limits: RegexSafetyLimits): string | null {
  if (pattern.length > limits.maxLength) return `it is ${pattern.length} characters long; at most ${limits.maxLength} are accepted`;
  const stack: Group[] = [{ repeats: false, alternates: false }];
  let unbounded = 0;
  // What the next quantifier applies to: a closed group (with its contents) or a single atom
  let last: Group | 'atom' | null = null;
  const top = (): Group => stack[stack.length - 1]!;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const n = pattern[i + 1] ?? '';
      if (/[1-9]/.test(n) || n === 'k') return 'it uses a backreference, which can take exponential time';
      if ((n === 'p' || n === 'P' || n === 'x' || n === 'u') && pattern[i + 2] === '{') {
        const close = pattern.indexOf('}', i + 3);
        i = close < 0 ? pattern.length : close;
      } else i += 1;
      last = 'atom';
      continue;
    }
    if (c === '[') {
      // a character class is one atom; skip to its unescaped closing bracket (a `]` first is literal)
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      for (; j < pattern.length && pattern[j] !== ']'; j++) if (pattern[j] === '\\') j++;
      i = j;
      last = 'atom';
      continue;
    }
    if (c === '(') {
      stack.push({ repeats: false, alternates: false });
      last = null;
      // skip the group's prefix (?:, (?=, (?!, (?<=, (?<!, (?<name>, (?i:
      if (pattern[i + 1] === '?') {
        let j = i + 2;
        if (pattern[j] === '<' && pattern[j + 1] !== '=' && pattern[j + 1] !== '!') {
          const close = pattern.indexOf('>', j);
          j = close < 0 ? pattern.length : close;
        } else if (pattern[j] === '<') j++;
        else while (j < pattern.length && /[a-zA-Z-]/.test(pattern[j]!)) j++;
        i = j; // at ':', '=', '!' or '>'
      }
      continue;
    }
    if (c === ')') {
      if (stack.length === 1) return 'it has an unmatched ")"';
      const g = stack.pop()!;
      const parent = top();
      parent.repeats ||= g.repeats;
      parent.alternates ||= g.alternates;
      last = g;
      continue;
    }
    if (c === '|') {
      top().alternates = true;
      last = null;
      continue;
    }
    if (c === '*' || c === '+' || c === '?' || c === '{') {
      let max = Infinity;
      let end = i;
      if (c === '?') max = 1;
      else if (c === '{') {
        const m = /^\{(\d*)(,?)(\d*)\}/.exec(pattern.slice(i, i + 24));
        if (!m || (m[1] === '' && m[3] === '')) {
          last = 'atom'; // a literal `{`
          continue;
        }
        max = m[2] === '' ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
        end = i + m[0].length - 1;
      }
      if (pattern[end + 1] === '?' || pattern[end + 1] === '+') end++; // lazy or possessive form
      if (last === null) return 'a repeat applies to nothing';
      if (max > 1) {
        if (last !== 'atom' && (last.repeats || last.alternates)) {
          return 'it repeats a group that itself repeats or alternates (like "(a+)+" or "(a|b)*"), which can take exponential time';
        }
        if (max === Infinity && ++unbounded > limits.maxRepeats) return `it has more than ${limits.maxRepeats} unbounded repeats`;
        top().repeats = true;
      }
      last = null;
      i = end;
      continue;
    }
    last = 'atom';
  }
  if (stack.length !== 1) return 'it has an unclosed "("';
  return null;
}
