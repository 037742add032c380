import { describe, expect, it } from 'vitest';
import { renderMarkdownSafe } from './markdown.ts';

/** Real tags in the output (text such as `&lt;img onerror=…&gt;` is escaped, so it is not a tag). */
function tags(html: string): string[] {
  return html.match(/<[a-z][^>]*>/gi) ?? [];
}

/** Attribute names and values of a tag; fails unless every attribute is `name="value"` (markdown-it's form). */
function attributes(tag: string): [string, string][] {
  expect(tag).toMatch(/^<[a-z][a-z0-9]*(\s[a-z-]+="[^"<>]*")*\s*\/?>$/);
  return [...tag.matchAll(/\s([a-z-]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]);
}

function assertSafe(html: string): void {
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/<\/?(svg|iframe|object|embed|style|math|form|base|meta|link|div)\b/i);
  for (const tag of tags(html)) {
    for (const [name, value] of attributes(tag)) {
      expect(name).not.toMatch(/^on/i);
      if (name === 'href' || name === 'src') {
        const decoded = value.replace(/&amp;/g, '&').replace(/\s/g, '');
        expect(decoded).toMatch(/^(https?:|mailto:|[^:]*$|[^:]*[/?#])/i);
        expect(decoded).not.toMatch(/^(javascript|vbscript|data|file):/i);
      }
    }
  }
}

const PAYLOADS: string[] = [
  '<script>alert(1)</script>',
  '<SCRIPT SRC=//evil.example/x.js></SCRIPT>',
  '<img src=x onerror=alert(1)>',
  '<svg onload=alert(1)>',
  '<iframe src="javascript:alert(1)"></iframe>',
  '<a href="javascript:alert(1)">x</a>',
  '[x](javascript:alert(1))',
  '[x](JaVaScRiPt:alert(1))',
  '[x]( javascript:alert(1) )',
  '[x](<javascript:alert(1)>)',
  '[x](&#106;avascript:alert(1))',
  '[x](&#x6A;avascript&#x3A;alert(1))',
  '[x](javascript&colon;alert(1))',
  '[x](java%73cript:alert(1))',
  '[x](<java\tscript:alert(1)>)',
  '[x](vbscript:msgbox(1))',
  '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '[x](file:///etc/passwd)',
  '![x](javascript:alert(1))',
  '![x](data:image/png;base64,iVBORw0KGgo=)',
  '![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)',
  '<javascript:alert(1)>',
  '<data:text/html,<script>alert(1)</script>>',
  'javascript:alert(1)',
  '[x]: javascript:alert(1)\n\n[link][x]',
  '[x](https://example.com "a\\" onmouseover=\\"alert(1)")',
  '![a" onerror="alert(1)](https://example.com/i.png)',
  '<div style="background:url(javascript:alert(1))">x</div>',
  '<a href="https://x" onclick="alert(1)">x</a>',
  '```html\n<script>alert(1)</script>\n```',
  '`<img src=x onerror=alert(1)>`',
];

describe('renderMarkdownSafe: XSS payloads', () => {
  it.each(PAYLOADS)('neutralises %j', (payload) => {
    assertSafe(renderMarkdownSafe(payload));
  });

  it('renders refused links as text', () => {
    const html = renderMarkdownSafe('[x](javascript:alert(1))');
    expect(html).not.toContain('<a');
    expect(html).toContain('[x](javascript:alert(1))');
  });

  it('replaces refused images by their alt text', () => {
    expect(renderMarkdownSafe('![a cat](data:image/png;base64,AAAA)')).not.toContain('<img');
    expect(renderMarkdownSafe('![a cat](http://example.com/cat.png)')).toBe('<p>a cat</p>\n');
    expect(renderMarkdownSafe('![<b>cat</b>](javascript:x)')).not.toContain('<b>');
  });
});

describe('renderMarkdownSafe: normal Markdown', () => {
  it('renders headings, lists, emphasis and code', () => {
    const html = renderMarkdownSafe('# Title\n\n## Sub\n\n- one\n- **two**\n\n1. a\n2. b\n\n`x < y`\n\n```\nlet a = 1;\n```\n');
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<h2>Sub</h2>');
    expect(html).toContain('<ul>\n<li>one</li>\n<li><strong>two</strong></li>\n</ul>');
    expect(html).toContain('<ol>');
    expect(html).toContain('<code>x &lt; y</code>');
    expect(html).toContain('<pre><code>let a = 1;\n</code></pre>');
  });

  it('renders allowed links with rel and target', () => {
    const html = renderMarkdownSafe('[site](https://example.com/a?b=1) [mail](mailto:a@example.com) [rel](./docs/x.md) [frag](#top) [plain](http://example.com)');
    expect(html).toContain('<a href="https://example.com/a?b=1" rel="noopener noreferrer nofollow" target="_blank">site</a>');
    expect(html).toContain('<a href="mailto:a@example.com" rel="noopener noreferrer nofollow" target="_blank">mail</a>');
    expect(html).toContain('<a href="./docs/x.md" rel="noopener noreferrer nofollow" target="_blank">rel</a>');
    expect(html).toContain('<a href="#top"');
    expect(html).toContain('<a href="http://example.com"');
  });

  it('linkifies bare URLs with rel and target', () => {
    expect(renderMarkdownSafe('see https://example.com/x now')).toContain(
      '<a href="https://example.com/x" rel="noopener noreferrer nofollow" target="_blank">https://example.com/x</a>',
    );
  });

  it('renders https and relative images', () => {
    expect(renderMarkdownSafe('![cat](https://example.com/cat.png)')).toContain('<img src="https://example.com/cat.png" alt="cat" referrerpolicy="no-referrer" loading="lazy">');
    expect(renderMarkdownSafe('![cat](img/cat.png)')).toContain('<img src="img/cat.png" alt="cat"');
  });

  it('escapes raw HTML and does no typography', () => {
    expect(renderMarkdownSafe('a <b>bold</b> -- "q"')).toBe('<p>a &lt;b&gt;bold&lt;/b&gt; -- &quot;q&quot;</p>\n');
  });
});
