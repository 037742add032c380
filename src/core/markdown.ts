/**
 * Markdown to HTML for text written by others (Datanet descriptions). The output is meant to go into
 * `innerHTML`, so everything here is about not letting script in.
 */
import MarkdownIt from 'markdown-it';

/** Link schemes allowed in `href`. Anything else (javascript:, vbscript:, data:, file:, …) is not a link. */
const LINK_SCHEMES = new Set(['http', 'https', 'mailto']);
/** Schemes allowed in `<img src>`: https only (no mixed content, no data: URLs, no local files). */
const IMAGE_SCHEMES = new Set(['https']);

/** Drops ASCII control characters, space and DEL. */
function stripControls(s: string): string {
  let out = '';
  for (const ch of s) {
    const code = ch.charCodeAt(0);
    if (code > 0x20 && code !== 0x7f) out += ch;
  }
  return out;
}

/**
 * Scheme of a URL as a browser would see it, or '' for a relative URL. Conservative: ASCII control
 * characters and spaces (which browsers strip) are removed first, and percent-escapes are decoded, so
 * `java\tscript:` or `java%73cript:` are still seen as `javascript`. Any `:` before the first `/`, `?`
 * or `#` makes a scheme, even one that is not syntactically valid (so it is refused).
 */
function schemeOf(url: string): string {
  let s = stripControls(url);
  try {
    s = stripControls(decodeURIComponent(s));
  } catch {
    // not valid percent-encoding: judge the raw string
  }
  const m = /^([^/?#]*?):/.exec(s);
  return m ? m[1]!.toLowerCase() : '';
}

function allowed(url: string, schemes: ReadonlySet<string>): boolean {
  const scheme = schemeOf(url);
  return scheme === '' || schemes.has(scheme);
}

const md = new MarkdownIt({ html: false, linkify: true, typographer: false });

// markdown-it calls this for links, autolinks, linkified URLs and images; a refused URL is rendered as
// plain text. Images get the stricter check in their renderer below.
md.validateLink = (url: string): boolean => allowed(url, LINK_SCHEMES);

const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const token = tokens[idx]!;
  token.attrSet('rel', 'noopener noreferrer nofollow');
  token.attrSet('target', '_blank');
  return defaultLinkOpen(tokens, idx, options, env, self);
};

const defaultImage = md.renderer.rules.image!;
md.renderer.rules.image = (tokens, idx, options, env, self) => {
  const token = tokens[idx]!;
  const src = String(token.attrGet('src') ?? '');
  if (!allowed(src, IMAGE_SCHEMES)) {
    // Not an allowed image source: show its alt text instead.
    return md.utils.escapeHtml(self.renderInlineAsText(token.children ?? [], options, env));
  }
  token.attrSet('referrerpolicy', 'no-referrer');
  token.attrSet('loading', 'lazy');
  return defaultImage(tokens, idx, options, env, self);
};

/**
 * Renders Markdown to HTML that is safe to insert into the page:
 * - raw HTML in the source is escaped, never passed through (`html: false`);
 * - links only to `http:`, `https:`, `mailto:` or relative URLs; any other scheme (javascript:,
 *   vbscript:, data:, file:, …, in any letter case, entity- or percent-encoded) is rendered as text;
 * - images only from `https:` or relative URLs; others are replaced by their alt text;
 * - every link gets `rel="noopener noreferrer nofollow"` and `target="_blank"`; images get
 *   `referrerpolicy="no-referrer"` and `loading="lazy"`;
 * - bare URLs are linked (linkify); no typographic replacements.
 */
export function renderMarkdownSafe(source: string): string {
  return md.render(source);
}
