import { TributaryError } from '../../core/errors.ts';
import { regexSafetyProblem } from '../../core/regexSafety.ts';

/** Real pre-tokenizer patterns are under 300 characters with under 10 unbounded repeats. */
export const TOKENIZER_REGEX_LIMITS = { maxLength: 2000, maxRepeats: 16 } as const;

/**
 * Translates a pre-tokenizer regex written for HF `tokenizers` (Oniguruma syntax, Unicode semantics)
 * into an equivalent JavaScript `RegExp` with the `u` flag.
 *
 * What changes:
 * - `\s`/`\S` become `\p{White_Space}`/`\P{White_Space}` (Oniguruma's Unicode `\s` is White_Space: it
 *   includes U+0085 and excludes U+FEFF, unlike JavaScript's `\s`). `\d` -> `\p{Nd}`, `\w` -> letters,
 *   marks, decimal digits and connector punctuation (Oniguruma's Unicode word characters).
 * - `(?i:...)` groups (not supported by the JavaScript engines of Node 20 / older browsers) are
 *   rewritten with explicit case variants of each letter, including the Unicode simple case folds
 *   `s`/`ſ` and `k`/`K` (KELVIN SIGN).
 * - Escapes of punctuation that JavaScript's `u` mode rejects (`\#`, `\&`, `\~`, `\'`, ...) become the
 *   plain character; a lone `{` or `}` is escaped; `\p{Han}`-style script names become `\p{Script=Han}`.
 * Unsupported features (atomic groups, possessive quantifiers, nested classes, POSIX brackets, other
 * inline flags) are refused with `tokenizer/unsupported` instead of being silently approximated.
 */
export function translateRegex(pattern: string): RegExp {
  // Patterns come from files and run over user text: only the backtracking-safe subset is compiled
  // (core/regexSafety), so no tokenizer.json can make encoding take exponential time.
  const problem = regexSafetyProblem(pattern, TOKENIZER_REGEX_LIMITS);
  if (problem !== null) throw unsupported(pattern, problem);
  const source = translateSource(pattern);
  try {
    return new RegExp(source, 'gu');
  } catch (e) {
    throw unsupported(pattern, `it does not compile as a JavaScript regex (${(e as Error).message})`);
  }
}

/** The JavaScript source of `translateRegex(pattern)` (exposed for tests). */
export function translateSource(pattern: string): string {
  let out = '';
  let i = 0;
  let inClass = false;
  let classStart = -1; // index in `pattern` just after `[` or `[^`
  // stack of groups: whether each is case-insensitive
  const groups: boolean[] = [];
  let globalCi = false;
  const ci = (): boolean => globalCi || groups.includes(true);
  let lastAtomQuantifiable = false;

  const cps = Array.from(pattern); // code points
  const at = (k: number): string => cps[k] ?? '';

  while (i < cps.length) {
    const c = cps[i]!;
    if (c === '\\') {
      const n = at(i + 1);
      if (n === '') throw unsupported(pattern, 'it ends with a lone backslash');
      const [js, used] = translateEscape(pattern, cps, i + 1, inClass);
      out += js;
      i += 1 + used;
      lastAtomQuantifiable = true;
      continue;
    }
    if (inClass) {
      if (c === '[') {
        if (at(i + 1) === ':') throw unsupported(pattern, 'POSIX bracket expressions ([:alpha:]) are not supported');
        throw unsupported(pattern, 'nested character classes are not supported');
      }
      if (c === '&' && at(i + 1) === '&') throw unsupported(pattern, 'class intersection (&&) is not supported');
      if (c === ']') {
        if (i === classStart) {
          out += '\\]'; // a `]` first in the class is a literal in Oniguruma
          i++;
          continue;
        }
        inClass = false;
        out += ']';
        i++;
        lastAtomQuantifiable = true;
        continue;
      }
      if (ci() && isCased(c)) {
        out += caseVariants(c).map(escapeClassChar).join('');
      } else {
        out += c;
      }
      i++;
      continue;
    }
    switch (c) {
      case '[': {
        inClass = true;
        out += '[';
        i++;
        if (at(i) === '^') {
          out += '^';
          i++;
        }
        classStart = i;
        continue;
      }
      case '(': {
        if (at(i + 1) === '?') {
          const rest = cps.slice(i + 2, i + 6).join('');
          if (rest.startsWith(':') || rest.startsWith('=') || rest.startsWith('!') || rest.startsWith('<=') || rest.startsWith('<!')) {
            groups.push(false);
            out += '(?';
            i += 2;
            continue;
          }
          if (rest.startsWith('<')) {
            groups.push(false);
            out += '(?<';
            i += 3;
            continue;
          }
          if (rest.startsWith('i:')) {
            groups.push(true);
            out += '(?:';
            i += 4;
            continue;
          }
          if (rest.startsWith('i)') && out === '') {
            globalCi = true;
            i += 4;
            continue;
          }
          if (rest.startsWith('>')) throw unsupported(pattern, 'atomic groups (?>...) are not supported');
          throw unsupported(pattern, `the group syntax "(?${rest}" is not supported`);
        }
        groups.push(false);
        out += '(';
        i++;
        lastAtomQuantifiable = false;
        continue;
      }
      case ')': {
        if (groups.length === 0) throw unsupported(pattern, 'it has an unbalanced ")"');
        groups.pop();
        out += ')';
        i++;
        lastAtomQuantifiable = true;
        continue;
      }
      case '?':
      case '*':
      case '+': {
        out += c;
        i++;
        if (at(i) === '+') throw unsupported(pattern, 'possessive quantifiers (?+, *+, ++) are not supported');
        if (at(i) === '?' ) {
          out += '?';
          i++;
        }
        lastAtomQuantifiable = false;
        continue;
      }
      case '{': {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(cps.slice(i, i + 24).join(''));
        if (m && lastAtomQuantifiable) {
          out += m[0];
          i += m[0].length;
          if (at(i) === '+') throw unsupported(pattern, 'possessive quantifiers are not supported');
          if (at(i) === '?') {
            out += '?';
            i++;
          }
          lastAtomQuantifiable = false;
        } else {
          out += '\\{';
          i++;
          lastAtomQuantifiable = true;
        }
        continue;
      }
      case '}':
        out += '\\}';
        i++;
        lastAtomQuantifiable = true;
        continue;
      default:
        if (ci() && isCased(c)) {
          out += '[' + caseVariants(c).map(escapeClassChar).join('') + ']';
        } else {
          out += c === '/' ? '\\/' : c;
        }
        i++;
        lastAtomQuantifiable = c !== '|' && c !== '^' && c !== '$';
    }
  }
  if (inClass) throw unsupported(pattern, 'it has an unterminated character class');
  if (groups.length > 0) throw unsupported(pattern, 'it has an unbalanced "("');
  return out;
}

const WORD = '\\p{L}\\p{M}\\p{Nd}\\p{Pc}';

/** Translates the escape whose letter is at `cps[k]`; returns the JS text and how many code points it used. */
function translateEscape(pattern: string, cps: string[], k: number, inClass: boolean): [string, number] {
  const n = cps[k]!;
  switch (n) {
    case 's':
      return ['\\p{White_Space}', 1];
    case 'S':
      return ['\\P{White_Space}', 1];
    case 'd':
      return ['\\p{Nd}', 1];
    case 'D':
      return ['\\P{Nd}', 1];
    case 'w':
      return [inClass ? WORD : `[${WORD}]`, 1];
    case 'W':
      if (inClass) throw unsupported(pattern, '\\W inside a character class is not supported');
      return [`[^${WORD}]`, 1];
    case 'h':
      return [inClass ? '0-9a-fA-F' : '[0-9a-fA-F]', 1];
    case 'H':
      if (inClass) throw unsupported(pattern, '\\H inside a character class is not supported');
      return ['[^0-9a-fA-F]', 1];
    case 'A':
      if (inClass) throw unsupported(pattern, '\\A inside a character class');
      return ['^', 1];
    case 'z':
      if (inClass) throw unsupported(pattern, '\\z inside a character class');
      return ['$', 1];
    case 'p':
    case 'P': {
      let name: string;
      let used: number;
      if (cps[k + 1] === '{') {
        const close = cps.indexOf('}', k + 2);
        if (close < 0) throw unsupported(pattern, 'a \\p{ has no closing }');
        name = cps.slice(k + 2, close).join('');
        used = close - k + 1;
      } else {
        name = cps[k + 1] ?? '';
        used = 2;
      }
      let neg = n === 'P';
      if (name.startsWith('^')) {
        neg = !neg;
        name = name.slice(1);
      }
      return [unicodeProperty(pattern, name, neg), used];
    }
    case 'x': {
      if (cps[k + 1] === '{') {
        const close = cps.indexOf('}', k + 2);
        const hex = cps.slice(k + 2, close).join('');
        if (close < 0 || !/^[0-9a-fA-F]{1,6}$/.test(hex)) throw unsupported(pattern, 'a malformed \\x{...} escape');
        return [`\\u{${hex}}`, close - k + 1];
      }
      const hex = cps.slice(k + 1, k + 3).join('');
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw unsupported(pattern, 'a malformed \\x escape');
      return [`\\x${hex}`, 3];
    }
    case 'u': {
      const hex = cps.slice(k + 1, k + 5).join('');
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw unsupported(pattern, 'a malformed \\u escape');
      return [`\\u${hex}`, 5];
    }
    case 'n':
    case 'r':
    case 't':
    case 'f':
    case 'v':
      return ['\\' + n, 1];
    case 'b':
    case 'B':
      if (inClass && n === 'b') return ['\\x08', 1];
      if (inClass) throw unsupported(pattern, '\\B inside a character class');
      return ['\\' + n, 1];
    case '0':
      return ['\\x00', 1];
    default:
      if (/^[1-9]$/.test(n) && !inClass) return ['\\' + n, 1];
      if (/^[\^$\\.*+?()[\]{}|/-]$/.test(n)) return ['\\' + n, 1];
      if (/^\p{L}$/u.test(n) || /^\p{N}$/u.test(n)) throw unsupported(pattern, `the escape \\${n} is not supported`);
      // punctuation or symbol: the escape only means the character itself
      return [n, 1];
  }
}

const GENERAL_CATEGORY_OK = new Map<string, boolean>();

function unicodeProperty(pattern: string, name: string, neg: boolean): string {
  const p = neg ? 'P' : 'p';
  const tryName = (n: string): boolean => {
    const cached = GENERAL_CATEGORY_OK.get(n);
    if (cached !== undefined) return cached;
    let ok = true;
    try {
      new RegExp(`\\p{${n}}`, 'u');
    } catch {
      ok = false;
    }
    GENERAL_CATEGORY_OK.set(n, ok);
    return ok;
  };
  if (tryName(name)) return `\\${p}{${name}}`;
  if (tryName(`Script=${name}`)) return `\\${p}{Script=${name}}`;
  throw unsupported(pattern, `the Unicode property \\p{${name}} is not known`);
}

function isCased(c: string): boolean {
  return c.toLowerCase() !== c || c.toUpperCase() !== c || c === '\u017f' || c === '\u212a';
}

/** The characters that match `c` case-insensitively under Unicode simple case folding (common cases). */
export function caseVariants(c: string): string[] {
  const set = new Set<string>([c]);
  const add = (x: string): void => {
    if (Array.from(x).length === 1) set.add(x);
  };
  add(c.toLowerCase());
  add(c.toUpperCase());
  for (const x of Array.from(set)) {
    add(x.toLowerCase());
    add(x.toUpperCase());
  }
  const extra: Record<string, string> = { s: '\u017f', S: '\u017f', '\u017f': 'sS', k: '\u212a', K: '\u212a', '\u212a': 'kK' };
  const e = extra[c];
  if (e) for (const x of e) set.add(x);
  return Array.from(set);
}

function escapeClassChar(c: string): string {
  return /^[\]\\^-]$/.test(c) ? '\\' + c : c;
}

function unsupported(pattern: string, why: string): TributaryError {
  return new TributaryError(
    'tokenizer/unsupported',
    `The tokenizer's pre-tokenizer regex cannot be used here: ${why}. Use a tokenizer.json whose regex avoids this feature.`,
    pattern.length > 80 ? pattern.slice(0, 77) + '...' : pattern,
  );
}
