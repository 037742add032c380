/** One added token as the splitter needs it. */
export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
  lstrip: boolean;
  rstrip: boolean;
  singleWord: boolean;
  normalized: boolean;
}

/** A piece of input: text still to be tokenized, or the id of an added token found in it. */
export type Segment = string | number;

const WORD_CHAR = /[\p{L}\p{N}_]/u;

function escapeRegex(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/**
 * Finds added tokens in text (leftmost, then longest, like HF's Aho-Corasick matcher), honouring
 * `lstrip`/`rstrip` (the token swallows the whitespace on that side) and `single_word` (only matches
 * when not inside a word).
 */
export class AddedTokenSplitter {
  private readonly re: RegExp | null;
  /** distinct contents, longest first; group `t{i}` of the regex is `tokens[i]` */
  private readonly tokens: AddedToken[] = [];

  constructor(tokens: readonly AddedToken[]) {
    const seen = new Set<string>();
    const sorted = tokens.filter((t) => t.content.length > 0).sort((a, b) => b.content.length - a.content.length);
    for (const t of sorted) {
      if (seen.has(t.content)) continue;
      seen.add(t.content);
      this.tokens.push(t);
    }
    if (this.tokens.length === 0) {
      this.re = null;
      return;
    }
    const alts = this.tokens.map((t, i) => {
      const core = `(?<t${i}>${escapeRegex(t.content)})`;
      return (t.lstrip ? '\\p{White_Space}*' : '') + core + (t.rstrip ? '\\p{White_Space}*' : '');
    });
    // a lookahead on the possible first characters lets the engine skip most positions quickly
    const firsts = new Set<string>();
    let anyStrip = false;
    for (const t of this.tokens) {
      firsts.add(Array.from(t.content)[0]!);
      if (t.lstrip) anyStrip = true;
    }
    const cls = Array.from(firsts, (c) => escapeRegex(c)).join('') + (anyStrip ? '\\p{White_Space}' : '');
    this.re = new RegExp(`(?=[${cls}])(?:${alts.join('|')})`, 'gu');
  }

  get empty(): boolean {
    return this.re === null;
  }

  /** Splits `text` into text pieces and added-token ids. */
  split(text: string): Segment[] {
    if (!this.re || text.length === 0) return text.length ? [text] : [];
    const out: Segment[] = [];
    const tokens = this.tokens;
    let last = 0;
    this.re.lastIndex = 0;
    for (const m of text.matchAll(this.re)) {
      const groups = m.groups ?? {};
      let tok: AddedToken | undefined;
      let coreText = '';
      for (const [name, v] of Object.entries(groups)) {
        if (v !== undefined) {
          tok = tokens[Number(name.slice(1))];
          coreText = v;
          break;
        }
      }
      if (!tok) continue;
      const start = m.index;
      const end = start + m[0].length;
      if (tok.singleWord) {
        const coreStart = start + m[0].indexOf(coreText);
        const coreEnd = coreStart + coreText.length;
        const before = coreStart > 0 ? text.slice(Math.max(0, coreStart - 2), coreStart) : '';
        const after = text.slice(coreEnd, coreEnd + 2);
        const bc = Array.from(before).pop() ?? '';
        const ac = Array.from(after)[0] ?? '';
        if ((bc && WORD_CHAR.test(bc)) || (ac && WORD_CHAR.test(ac))) continue;
      }
      if (start > last) out.push(text.slice(last, start));
      out.push(tok.id);
      last = end;
    }
    if (last < text.length) out.push(text.slice(last));
    return out;
  }
}
